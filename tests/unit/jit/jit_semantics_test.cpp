// The JIT's semantics, one rule of libpcap's bpf_filter per case: bounds
// checks against the captured length, big-endian loads, #pktlen, division
// by X == 0, shifts by 32 or more, zeroed scratch memory, every jump kind,
// backward jumps and their budget. Every case runs at O0, O1 and O2 and
// must also agree with the interpreter. In a build without LLVM, only the
// null backend's diagnostic is checked.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bpf/opcodes.h"
#include "sift/jit.h"
#include "sift/vm.h"

using namespace sift;
using bpf::Op;

namespace {

bpf::Insn I(Op op, uint32_t k = 0, uint8_t jt = 0, uint8_t jf = 0) {
  return bpf::Insn{static_cast<uint16_t>(op), jt, jf, k};
}

bpf::ValidatedProgram validated(std::vector<bpf::Insn> insns) {
  auto v = bpf::validate(bpf::Program{std::move(insns)}, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
  return std::move(v).value();
}

constexpr jit::OptLevel kLevels[] = {jit::OptLevel::O0, jit::OptLevel::O1, jit::OptLevel::O2};

// Runs `insns` over the packet through the JIT at every level and the
// interpreter; all must return `expected`.
void check(std::vector<bpf::Insn> insns, std::vector<uint8_t> packet, uint32_t expected,
           int64_t wireLength = -1) {
  auto program = validated(std::move(insns));
  const uint32_t wire = wireLength < 0 ? static_cast<uint32_t>(packet.size())
                                       : static_cast<uint32_t>(wireLength);
  CHECK(vm::run(program, packet, wire) == expected);
  CHECK(vm::Prepared(program).run(packet, wire) == expected);
  for (jit::OptLevel level : kLevels) {
    CAPTURE(static_cast<int>(level));
    jit::CompileOptions options;
    options.optLevel = level;
    auto filter = jit::compile(program, options);
    REQUIRE_MESSAGE(filter.ok(), (filter.ok() ? "" : filter.error().message));
    CHECK((*filter)->run(packet, wire) == expected);
  }
}

const std::vector<uint8_t> kBytes = {0x01, 0x02, 0x03, 0x04, 0x45, 0xf0, 0x80, 0x00};

}  // namespace

TEST_CASE("jit: the null backend explains itself") {
  if (jit::available()) return;
  auto program = validated({I(Op::RetK, 1)});
  auto filter = jit::compile(program);
  REQUIRE_FALSE(filter.ok());
  CHECK(filter.error().message == "JIT not available in this build");
}

TEST_CASE("jit: returns") {
  if (!jit::available()) return;
  check({I(Op::RetK, 262144)}, {}, 262144);
  check({I(Op::RetK, 0)}, kBytes, 0);
  check({I(Op::LdImm, 77), I(Op::RetA)}, {}, 77);
  check({I(Op::LdxImm, 99), I(Op::RetX)}, {}, 99);
  check({I(Op::RetA)}, kBytes, 0);  // A starts at 0
}

TEST_CASE("jit: big-endian packet loads") {
  if (!jit::available()) return;
  check({I(Op::LdAbsW, 0), I(Op::RetA)}, kBytes, 0x01020304);
  check({I(Op::LdAbsH, 1), I(Op::RetA)}, kBytes, 0x0203);
  check({I(Op::LdAbsB, 5), I(Op::RetA)}, kBytes, 0xf0);
  check({I(Op::LdxImm, 2), I(Op::LdIndW, 1), I(Op::RetA)}, kBytes, 0x0445f080);
  check({I(Op::LdxImm, 3), I(Op::LdIndH, 3), I(Op::RetA)}, kBytes, 0x8000);
  check({I(Op::LdxImm, 7), I(Op::LdIndB, 0), I(Op::RetA)}, kBytes, 0x00);
}

TEST_CASE("jit: loads are checked against the captured length") {
  if (!jit::available()) return;
  const std::vector<uint8_t> four = {1, 2, 3, 4};
  check({I(Op::LdAbsW, 0), I(Op::RetK, 1)}, four, 1);
  check({I(Op::LdAbsW, 1), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdAbsH, 2), I(Op::RetK, 1)}, four, 1);
  check({I(Op::LdAbsH, 3), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdAbsB, 3), I(Op::RetK, 1)}, four, 1);
  check({I(Op::LdAbsB, 4), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdAbsB, 0), I(Op::RetK, 1)}, {}, 0);
  // The wire length does not matter, only the captured bytes.
  check({I(Op::LdAbsB, 4), I(Op::RetK, 1)}, four, 0, 1500);
  check({I(Op::LdAbsW, 0xfffffffe), I(Op::RetK, 1)}, four, 0);
  // Ancillary offsets are out of bounds for a userspace filter.
  check({I(Op::LdAbsB, static_cast<uint32_t>(bpf::kSkfAdOff) + 44), I(Op::RetK, 1)}, four, 0);
}

TEST_CASE("jit: indirect loads cannot wrap around") {
  if (!jit::available()) return;
  const std::vector<uint8_t> four = {1, 2, 3, 4};
  // x + k would wrap to 0 in 32 bits; libpcap checks without wrapping.
  check({I(Op::LdxImm, 0xffffffff), I(Op::LdIndB, 1), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdxImm, 1), I(Op::LdIndB, 0xffffffff), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdxImm, 0xfffffffc), I(Op::LdIndW, 4), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdxImm, 2), I(Op::LdIndH, 0), I(Op::RetK, 1)}, four, 1);
  check({I(Op::LdxImm, 2), I(Op::LdIndH, 1), I(Op::RetK, 1)}, four, 0);
  check({I(Op::LdxImm, 4), I(Op::LdIndB, 0), I(Op::RetK, 1)}, four, 0);
}

TEST_CASE("jit: ldxb 4*([k]&0xf)") {
  if (!jit::available()) return;
  check({I(Op::LdxMsh, 4), I(Op::Txa), I(Op::RetA)}, kBytes, 20);
  check({I(Op::LdxMsh, 5), I(Op::Txa), I(Op::RetA)}, kBytes, 0);
  check({I(Op::LdxMsh, 8), I(Op::RetK, 1)}, kBytes, 0);
}

TEST_CASE("jit: #pktlen is the wire length") {
  if (!jit::available()) return;
  check({I(Op::LdLen), I(Op::RetA)}, kBytes, 8);
  check({I(Op::LdLen), I(Op::RetA)}, kBytes, 1514, 1514);
  check({I(Op::LdxLen), I(Op::Txa), I(Op::RetA)}, {1, 2}, 60, 60);
}

TEST_CASE("jit: arithmetic") {
  if (!jit::available()) return;
  check({I(Op::LdImm, 7), I(Op::AddK, 0xfffffffe), I(Op::RetA)}, {}, 5);
  check({I(Op::LdImm, 7), I(Op::SubK, 9), I(Op::RetA)}, {}, 0xfffffffe);
  check({I(Op::LdImm, 0x10001), I(Op::MulK, 0x10001), I(Op::RetA)}, {}, 0x00020001);
  check({I(Op::LdImm, 100), I(Op::DivK, 7), I(Op::RetA)}, {}, 14);
  check({I(Op::LdImm, 100), I(Op::ModK, 7), I(Op::RetA)}, {}, 2);
  check({I(Op::LdImm, 0xf0f0), I(Op::AndK, 0xff00), I(Op::RetA)}, {}, 0xf000);
  check({I(Op::LdImm, 0xf0f0), I(Op::OrK, 0x0f00), I(Op::RetA)}, {}, 0xfff0);
  check({I(Op::LdImm, 0xf0f0), I(Op::XorK, 0xffff), I(Op::RetA)}, {}, 0x0f0f);
  check({I(Op::LdImm, 1), I(Op::Neg), I(Op::RetA)}, {}, 0xffffffff);
  check({I(Op::LdxImm, 6), I(Op::LdImm, 45), I(Op::DivX), I(Op::RetA)}, {}, 7);
  check({I(Op::LdxImm, 6), I(Op::LdImm, 45), I(Op::ModX), I(Op::RetA)}, {}, 3);
  check({I(Op::LdxImm, 3), I(Op::LdImm, 5), I(Op::SubX), I(Op::RetA)}, {}, 2);
  check({I(Op::LdxImm, 0xff), I(Op::LdImm, 0xf0f), I(Op::AndX), I(Op::RetA)}, {}, 0x0f);
}

TEST_CASE("jit: division and modulo by X == 0 reject") {
  if (!jit::available()) return;
  check({I(Op::LdImm, 45), I(Op::DivX), I(Op::RetK, 1)}, {}, 0);
  check({I(Op::LdImm, 45), I(Op::ModX), I(Op::RetK, 1)}, {}, 0);
  check({I(Op::LdImm, 0), I(Op::LdxImm, 0), I(Op::DivX), I(Op::RetK, 1)}, {}, 0);
}

TEST_CASE("jit: shifts by 32 or more give 0") {
  if (!jit::available()) return;
  check({I(Op::LdImm, 1), I(Op::LshK, 31), I(Op::RetA)}, {}, 0x80000000);
  check({I(Op::LdImm, 1), I(Op::LshK, 32), I(Op::RetA)}, {}, 0);
  check({I(Op::LdImm, 0x80000000), I(Op::RshK, 31), I(Op::RetA)}, {}, 1);
  check({I(Op::LdImm, 0x80000000), I(Op::RshK, 40), I(Op::RetA)}, {}, 0);
  check({I(Op::LdImm, 1), I(Op::LdxImm, 31), I(Op::LshX), I(Op::RetA)}, {}, 0x80000000);
  check({I(Op::LdImm, 1), I(Op::LdxImm, 32), I(Op::LshX), I(Op::RetA)}, {}, 0);
  check({I(Op::LdImm, 0xffffffff), I(Op::LdxImm, 33), I(Op::RshX), I(Op::RetA)}, {}, 0);
  check({I(Op::LdImm, 0xffffffff), I(Op::LdxImm, 0xffffffff), I(Op::LshX), I(Op::RetA)}, {}, 0);
}

TEST_CASE("jit: scratch memory starts zeroed and holds values") {
  if (!jit::available()) return;
  check({I(Op::LdImm, 7), I(Op::LdMem, 5), I(Op::RetA)}, {}, 0);
  check({I(Op::LdxImm, 7), I(Op::LdxMem, 15), I(Op::Txa), I(Op::RetA)}, {}, 0);
  check({I(Op::LdImm, 7), I(Op::St, 3), I(Op::LdImm, 0), I(Op::LdMem, 3), I(Op::RetA)}, {}, 7);
  check({I(Op::LdxImm, 9), I(Op::Stx, 15), I(Op::LdxMem, 15), I(Op::Txa), I(Op::RetA)}, {}, 9);
}

TEST_CASE("jit: register moves") {
  if (!jit::available()) return;
  check({I(Op::LdImm, 5), I(Op::Tax), I(Op::LdImm, 0), I(Op::Txa), I(Op::RetA)}, {}, 5);
}

TEST_CASE("jit: conditional jumps") {
  if (!jit::available()) return;
  struct Case {
    Op op;
    uint32_t a, operand;
    bool taken;
  };
  const Case cases[] = {
      {Op::JeqK, 5, 5, true},           {Op::JeqK, 5, 6, false},
      {Op::JgtK, 0xffffffff, 1, true},  {Op::JgtK, 1, 1, false},
      {Op::JgeK, 1, 1, true},           {Op::JgeK, 0, 0x80000000, false},
      {Op::JsetK, 0x10, 0x30, true},    {Op::JsetK, 0x10, 0x0f, false},
      {Op::JeqX, 5, 5, true},           {Op::JeqX, 5, 6, false},
      {Op::JgtX, 0x80000000, 1, true},  {Op::JgtX, 1, 2, false},
      {Op::JgeX, 2, 2, true},           {Op::JgeX, 1, 2, false},
      {Op::JsetX, 0xff, 0x100, false},  {Op::JsetX, 0x1ff, 0x100, true},
  };
  for (const Case& c : cases) {
    CAPTURE(bpf::opInfo(c.op).name);
    CAPTURE(c.a);
    CAPTURE(c.operand);
    check({I(Op::LdxImm, c.operand), I(Op::LdImm, c.a), I(c.op, c.operand, 1, 0), I(Op::RetK, 2),
           I(Op::RetK, 1)},
          {}, c.taken ? 1 : 2);
  }
  // jt == jf is an unconditional branch.
  check({I(Op::JeqK, 0, 1, 1), I(Op::RetK, 2), I(Op::RetK, 1)}, {}, 1);
}

TEST_CASE("jit: a run of jeq keeps its meaning as one switch") {
  if (!jit::available()) return;
  // pc 2..6 is a chain (false branches fall through): a repeated constant
  // (1 at pc 2 and pc 4: the first wins) and an entry into its middle
  // (pc 1 jumps to pc 5 for values above 200).
  const std::vector<bpf::Insn> program = {
      I(Op::LdAbsB, 0),      I(Op::JgtK, 200, 3, 0), I(Op::JeqK, 1, 4, 0), I(Op::JeqK, 2, 4, 0),
      I(Op::JeqK, 1, 4, 0),  I(Op::JeqK, 250, 4, 0), I(Op::JeqK, 3, 4, 5), I(Op::RetK, 10),
      I(Op::RetK, 11),       I(Op::RetK, 12),        I(Op::RetK, 13),      I(Op::RetK, 14),
      I(Op::RetK, 15)};
  const std::pair<uint8_t, uint32_t> cases[] = {{1, 10}, {2, 11}, {3, 14}, {250, 13}, {4, 15}, {201, 15},
                                                {0, 15}, {255, 15}};
  for (const auto& [byte, expected] : cases) {
    CAPTURE(int(byte));
    check(program, {byte}, expected);
  }
  check(program, {}, 0);  // the load is out of bounds
}

TEST_CASE("jit: a long run of jeq is a balanced search at every level") {
  if (!jit::available()) return;
  // 40 jeq on one byte, in no order, with repeated constants (the first
  // wins) and a target per entry; O0 and O1 emit the search in IR, O2 a
  // switch. Every byte value is checked against the interpreter.
  const uint32_t keys[] = {200, 3,   17,  99,  3,  250, 1,   64,  128, 17, 0,   255, 42, 7,
                           180, 181, 182, 90,  91, 92,  5,   6,   250, 33, 34,  35,  36, 37,
                           150, 151, 152, 153, 10, 11,  12,  13,  14,  15, 199, 201};
  constexpr size_t n = sizeof keys / sizeof keys[0];
  std::vector<bpf::Insn> insns = {I(Op::LdAbsB, 0)};
  for (size_t i = 0; i < n; ++i) {
    // Entry i jumps to `ret 100+i`, laid out after `ret 0`.
    const size_t pc = insns.size();
    const size_t target = 1 + n + 1 + i;
    insns.push_back(I(Op::JeqK, keys[i], static_cast<uint8_t>(target - pc - 1), 0));
  }
  insns.push_back(I(Op::RetK, 0));
  for (size_t i = 0; i < n; ++i) insns.push_back(I(Op::RetK, static_cast<uint32_t>(100 + i)));
  for (int byte = 0; byte < 256; ++byte) {
    CAPTURE(byte);
    const std::vector<uint8_t> packet = {static_cast<uint8_t>(byte)};
    uint32_t expected = 0;
    for (size_t i = 0; i < n; ++i)
      if (keys[i] == static_cast<uint32_t>(byte)) {
        expected = static_cast<uint32_t>(100 + i);
        break;
      }
    check(insns, packet, expected);
  }
}

TEST_CASE("jit: ja, forward and backward") {
  if (!jit::available()) return;
  check({I(Op::Ja, 1), I(Op::RetK, 2), I(Op::RetK, 1)}, {}, 1);
  check({I(Op::Ja, 0), I(Op::RetK, 2), I(Op::RetK, 1)}, {}, 2);
  // A counting loop through a wrapping ja (the libpcap profile allows it):
  // A = 5; do { M[0] += 3; A -= 1 } while (A != 0); return M[0].
  check({I(Op::LdImm, 5),                         // 0
         I(Op::St, 1),                            // 1: M[1] = A
         I(Op::LdMem, 0), I(Op::AddK, 3),         // 2, 3
         I(Op::St, 0),                            // 4
         I(Op::LdMem, 1), I(Op::SubK, 1),         // 5, 6
         I(Op::JeqK, 0, 1, 0),                    // 7: done?
         I(Op::Ja, static_cast<uint32_t>(-8)),    // 8: back to 1
         I(Op::LdMem, 0), I(Op::RetA)},           // 9, 10
        {}, 15);
}

TEST_CASE("jit: an endless loop stops where the interpreter stops") {
  if (!jit::available()) return;
  // `ja -1` jumps to itself; both engines give up after the same budget.
  check({I(Op::Ja, 0xffffffff), I(Op::RetK, 1)}, {}, 0);
}

TEST_CASE("jit: a long program compiles") {
  if (!jit::available()) return;
  std::vector<bpf::Insn> insns;
  for (int i = 0; i < 1500; ++i) {
    insns.push_back(I(Op::AddK, 1));
    insns.push_back(I(Op::JgtK, 0xffffff, 0, 0));
  }
  insns.push_back(I(Op::RetA));
  check(std::move(insns), {}, 1500);
}

TEST_CASE("jit: keepIr and stats") {
  if (!jit::available()) return;
  auto program = validated({I(Op::LdAbsH, 12), I(Op::JeqK, 0x800, 0, 1), I(Op::RetK, 65535),
                            I(Op::RetK, 0)});
  jit::CompileOptions options;
  options.keepIr = true;
  auto filter = jit::compile(program, options);
  REQUIRE(filter.ok());
  CHECK((*filter)->ir().find("define") != std::string::npos);
  CHECK((*filter)->ir().find("sift_filter") != std::string::npos);
  CHECK((*filter)->stats().total().count() > 0);
  CHECK((*filter)->programSize() == 4);
  auto plain = jit::compile(program);
  REQUIRE(plain.ok());
  CHECK((*plain)->ir().empty());
}
