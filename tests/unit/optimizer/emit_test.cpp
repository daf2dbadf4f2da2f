// Tests of the IR builder's jump lists and of the emitter's layout and long
// jumps: programs built by hand, emitted, validated and run in the VM.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "compiler/emit.h"
#include "ir/ir.h"
#include "sift/vm.h"

using namespace sift;

namespace {

constexpr uint16_t kLdb = 0x30;   // ldb [k]
constexpr uint16_t kJeqK = 0x15;  // jeq #k

ir::Fragment byteIs(ir::Builder& b, uint32_t off, uint32_t value) {
  return b.test({bpf::Insn{kLdb, 0, 0, off}}, kJeqK, value);
}

uint32_t runProgram(const bpf::Program& p, const std::vector<uint8_t>& pkt) {
  auto v = bpf::validate(p, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
  return vm::run(*v, pkt);
}

}  // namespace

TEST_CASE("and, or and not patch their jump lists") {
  // (b0 == 1 and not b1 == 2) or b2 == 3
  ir::Builder b;
  auto f = b.makeOr(b.makeAnd(byteIs(b, 0, 1), ir::Builder::makeNot(byteIs(b, 1, 2))), byteIs(b, 2, 3));
  ir::Program prog = b.finish(f, 99);
  CHECK(ir::verify(prog).empty());
  auto out = compiler::emit(prog);
  REQUIRE(out.ok());
  for (int x = 0; x < 8; ++x) {
    std::vector<uint8_t> pkt{uint8_t(x & 1 ? 1 : 0), uint8_t(x & 2 ? 2 : 0), uint8_t(x & 4 ? 3 : 0)};
    bool expect = ((x & 1) && !(x & 2)) || (x & 4);
    CHECK(runProgram(*out, pkt) == (expect ? 99u : 0u));
  }
}

TEST_CASE("branches further than 255 instructions reach a nearby copy of their return") {
  // b[0]==0 or b[0]==1 or ... or b[0]==299: the early true exits are far
  // from the accepting return.
  ir::Builder b;
  ir::Fragment f = byteIs(b, 0, 0);
  for (uint32_t i = 1; i < 300; ++i) f = b.makeOr(f, b.test({bpf::Insn{0x20, 0, 0, 0}}, kJeqK, i));
  ir::Program prog = b.finish(f, 1);
  auto out = compiler::emit(prog);
  REQUIRE(out.ok());
  size_t rets = 0;
  for (const auto& insn : out->insns) rets += insn.code == 0x06;
  CHECK(rets > 2);
  // Each test is 2 instructions; one copy of the return serves ~250 of them.
  CHECK(out->insns.size() < 300 * 2 + 10);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> pkt(4);
    for (auto& byte : pkt) byte = uint8_t(rng() % 4 == 0 ? 0 : rng());
    uint32_t word = (uint32_t(pkt[0]) << 24) | (uint32_t(pkt[1]) << 16) | (uint32_t(pkt[2]) << 8) | pkt[3];
    bool expect = pkt[0] == 0 || (word >= 1 && word < 300);
    CHECK(runProgram(*out, pkt) == (expect ? 1u : 0u));
  }
}

TEST_CASE("far targets that are not returns go through ja") {
  // t0 ? (300 tests or-ed, each true to accept) : X, where X = b[1] == 7 is
  // placed after the long chain.
  ir::Builder b;
  ir::Fragment chain = b.test({bpf::Insn{0x20, 0, 0, 0}}, kJeqK, 1000);
  for (uint32_t i = 1; i < 300; ++i) chain = b.makeOr(chain, b.test({bpf::Insn{0x20, 0, 0, 0}}, kJeqK, 1000 + i));
  ir::Fragment head = byteIs(b, 0, 9);
  ir::Fragment tail = byteIs(b, 1, 7);
  // head true -> chain, head false -> tail; chain false -> tail.
  b.patch(head.trueExits, chain.entry);
  b.patch(head.falseExits, tail.entry);
  b.patch(chain.falseExits, tail.entry);
  ir::Fragment whole{head.entry, chain.trueExits, {}};
  whole.trueExits.append(tail.trueExits);
  whole.falseExits = tail.falseExits;
  ir::Program prog = b.finish(whole, 1);
  auto out = compiler::emit(prog);
  REQUIRE(out.ok());
  size_t jas = 0;
  for (const auto& insn : out->insns) jas += insn.code == 0x05;
  CHECK(jas > 0);
  CHECK(runProgram(*out, {9, 7, 0, 0}) == 1);  // word 0x09070000 is no chain constant; tail matches
  CHECK(runProgram(*out, {8, 7, 0, 0}) == 1);
  CHECK(runProgram(*out, {8, 6, 0, 0}) == 0);
  CHECK(runProgram(*out, {0, 0, 0x03, 0xe9}) == 0);  // head false (b0 != 9), tail false
}

TEST_CASE("a plain jump to the next block costs nothing") {
  ir::Builder b;
  auto t = byteIs(b, 0, 1);
  ir::Program prog = b.finish(t, 5);
  // Make the test block a jump straight to the accepting return.
  prog.blocks[prog.entry].jf = prog.blocks[prog.entry].jt;
  auto out = compiler::emit(prog);
  REQUIRE(out.ok());
  // ldb [0] then ret #5: the jump vanished.
  REQUIRE(out->insns.size() == 2);
  CHECK(out->insns[1].code == 0x06);
  CHECK(out->insns[1].k == 5);
}

TEST_CASE("a plain jump placed away from its target moves next to it") {
  // E: ldb [0]; jeq #1 -> A | B
  // A: ldb [1]; jump -> T        (reverse post-order puts B's chain between A and T)
  // B: ldb [2]; jeq #2 -> C | ret 0
  // C: ldb [3]; jeq #3 -> T | ret 0
  // T: ldb [4]; jeq #4 -> ret 7 | ret 0
  ir::Program p;
  auto block = [&](std::vector<bpf::Insn> stmts) {
    ir::Block blk;
    blk.stmts = std::move(stmts);
    p.blocks.push_back(std::move(blk));
    return ir::BlockId(p.blocks.size() - 1);
  };
  auto branch = [&](ir::BlockId id, uint32_t k, ir::BlockId jt, ir::BlockId jf) {
    ir::Block& blk = p.blocks[id];
    blk.termKind = ir::TermKind::Branch;
    blk.term = bpf::Insn{kJeqK, 0, 0, k};
    blk.jt = jt;
    blk.jf = jf;
  };
  ir::BlockId yes = block({}), no = block({});
  p.blocks[yes].term = bpf::Insn{0x06, 0, 0, 7};
  p.blocks[no].term = bpf::Insn{0x06, 0, 0, 0};
  ir::BlockId e = block({{kLdb, 0, 0, 0}}), a = block({{kLdb, 0, 0, 1}}), bb = block({{kLdb, 0, 0, 2}}),
              c = block({{kLdb, 0, 0, 3}}), t = block({{kLdb, 0, 0, 4}});
  branch(e, 1, a, bb);
  branch(a, 0, t, t);
  branch(bb, 2, c, no);
  branch(c, 3, t, no);
  branch(t, 4, yes, no);
  p.entry = e;
  auto out = compiler::emit(p);
  REQUIRE(out.ok());
  // 5 loads, 4 tests, 2 returns, and no ja.
  CHECK(out->insns.size() == 11);
  for (const auto& insn : out->insns) CHECK(insn.code != 0x05);
  for (uint8_t b0 : {0, 1, 2})
    for (uint8_t b4 : {0, 4}) {
      std::vector<uint8_t> pkt{b0, 9, uint8_t(b0 == 2 ? 2 : 5), 3, b4};
      const bool accept = (b0 == 1 || b0 == 2) && b4 == 4;
      CHECK(runProgram(*out, pkt) == (accept ? 7u : 0u));
      pkt.resize(4);  // T's load fails
      CHECK(runProgram(*out, pkt) == 0);
    }
}
