// Tests for parseImage: every instruction the -d printer writes reads
// back to the same instruction, and malformed lines are refused with the
// line number.
#include "bpf/image_reader.h"

#include <doctest/doctest.h>

#include <random>

#include "bpf/opcodes.h"

using namespace sift::bpf;

namespace {
std::string errorOf(std::string_view text) {
  auto p = parseImage(text);
  return p.ok() ? std::string("<ok>") : p.error().message;
}
}  // namespace

TEST_CASE("the -d listing of every printable instruction reads back") {
  std::mt19937 rng(99);
  const uint32_t ks[] = {0,           1,           15,          255,         0x800,       0x7fffffff,
                         0x80000000u, 0xfffff000u, 0xfffff028u, 0xfffff02cu, 0xfffff040u, 0xffffffffu};
  for (int round = 0; round < 20; ++round) {
    Program p;
    // Room for forward jumps: each jump's targets stay inside the program.
    for (const OpInfo& info : allOps()) {
      if (!info.image) continue;
      Insn insn{info.code, 0, 0, 0};
      if (info.operand != Operand::NoOperand && info.operand != Operand::RegX &&
          info.operand != Operand::PktLen)
        insn.k = ks[rng() % std::size(ks)];
      if (info.readsScratch() || info.writesScratch()) insn.k = rng() % 16;
      if (info.isConditional()) {
        insn.jt = static_cast<uint8_t>(rng() % 40);
        insn.jf = static_cast<uint8_t>(rng() % 40);
      }
      if (info.shape == Shape::Jump && round % 2) insn.k = static_cast<uint32_t>(rng());
      p.insns.push_back(insn);
    }
    for (int i = 0; i < 40; ++i) p.insns.push_back(Insn{0x06, 0, 0, static_cast<uint32_t>(i)});
    std::string text = listing(p, ListingFormat::Image);
    auto back = parseImage(text);
    REQUIRE_MESSAGE(back.ok(), back.error().message);
    CHECK(*back == p);
  }
}

TEST_CASE("unimp lines, extra spellings, optional pc column") {
  auto p = parseImage(
      "(000) unimp    0x81\n"
      "(001) unimp    0xe\n"
      "(002) unimp    0xffdd           jt 3\tjf 4\n");
  REQUIRE(p.ok());
  CHECK(p->insns == std::vector<Insn>{{0x81, 0, 0, 0}, {0x0e, 0, 0, 0}, {0xffdd, 0, 1, 0}});
  auto q = parseImage(
      "ldx #pktlen\n"
      "ret x\n"
      "ret a\n"
      "ret\n"
      "ld [x+4]\n"
      "ldb [xor_x]\n"
      "ld #10\n"
      "add #0x10\n"
      "jeq #2048 jt 9 jf 10\n"
      "ja 10\n"
      "ret #0\n");
  REQUIRE_MESSAGE(q.ok(), q.error().message);
  CHECK(q->insns == std::vector<Insn>{{0x81, 0, 0, 0},
                                      {0x0e, 0, 0, 0},
                                      {0x16, 0, 0, 0},
                                      {0x16, 0, 0, 0},
                                      {0x40, 0, 0, 4},
                                      {0x30, 0, 0, 0xfffff028u},
                                      {0x00, 0, 0, 10},
                                      {0x04, 0, 0, 16},
                                      {0x15, 0, 1, 2048},
                                      {0x05, 0, 0, 0},
                                      {0x06, 0, 0, 0}});
}

TEST_CASE("malformed lines") {
  CHECK(errorOf("(001) ret #0\n") == "line 1: pc 1 out of sequence, expected 0 in '(001) ret #0'");
  CHECK(errorOf("ret #0\n\n(x) ret #0\n") == "line 3: bad pc column in '(x) ret #0'");
  CHECK(errorOf("ldq [1]\n") == "line 1: unknown instruction in 'ldq [1]'");
  CHECK(errorOf("ldxb [1]\n") == "line 1: unknown instruction in 'ldxb [1]'");
  CHECK(errorOf("ld [x - 1]\n") == "line 1: bad operand '[x - 1]' in 'ld [x - 1]'");
  CHECK(errorOf("ld #0x1g\n") == "line 1: bad operand '#0x1g' in 'ld #0x1g'");
  CHECK(errorOf("ld #4294967296\n") == "line 1: bad operand '#4294967296' in 'ld #4294967296'");
  CHECK(errorOf("jeq #1\n") == "line 1: 'jeq' needs 'jt N jf N' in 'jeq #1'");
  CHECK(errorOf("ld #1 jt 1 jf 2\n") == "line 1: unexpected 'jt/jf' columns in 'ld #1 jt 1 jf 2'");
  CHECK(errorOf("ret #0\njeq #1 jt 1 jf 2\n") ==
        "line 2: jt target 1 is not 1 to 256 instructions after pc 1 in 'jeq #1 jt 1 jf 2'");
  CHECK(errorOf("jeq #1 jt 1 jf 258\n") ==
        "line 1: jf target 258 is not 1 to 256 instructions after pc 0 in 'jeq #1 jt 1 jf 258'");
  CHECK(errorOf("unimp 0x10000\n") == "line 1: bad code in 'unimp 0x10000'");
  CHECK(parseImage("").ok());
}
