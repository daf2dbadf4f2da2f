// Tests for the bpf_asm assembler and writer: the documented example,
// every spelling, assemble(disassemble(p)) == p for every instruction and
// for tcpdump's programs, and errors with line numbers.
#include "bpf/asm.h"

#include <doctest/doctest.h>

#include <random>

#include "bpf/opcodes.h"

using namespace sift::bpf;

namespace {
std::string errorOf(std::string_view text) {
  auto p = assemble(text);
  return p.ok() ? std::string("<ok>") : p.error().message;
}
}  // namespace

TEST_CASE("an IPv4 TCP filter") {
  auto p = assemble(
      "; accept TCP over IPv4\n"
      "  ldh [12]\n"
      "  jneq #0x800, drop\n"
      "  ldb [23]\n"
      "  jeq #6, keep, drop   ; protocol\n"
      "keep: ret #-1\n"
      "drop:\n"
      "  ret #0\n");
  REQUIRE_MESSAGE(p.ok(), p.error().message);
  CHECK(p->insns == std::vector<Insn>{{0x28, 0, 0, 12},
                                      {0x15, 0, 3, 0x800},
                                      {0x30, 0, 0, 23},
                                      {0x15, 0, 1, 6},
                                      {0x06, 0, 0, 0xffffffffu},
                                      {0x06, 0, 0, 0}});
}

TEST_CASE("every spelling") {
  auto p = assemble(
      "ld #1\nldi #2\nldi 3\nld #len\nld len\nld M[4]\nld [5]\nld [x + 6]\nld [%x + 7]\n"
      "ldh [8]\nldh [x+9]\nldb [10]\nldb [x + 11]\nld #proto\nldh #vlan_tci\nldb #vlan_avail\nld rand\n"
      "ldx #12\nldxi 13\nldx #len\nldx M[14]\nldxb 4*([15]&0xf)\nldx 4*([16]&0xf)\n"
      "st M[1]\nstx M[2]\n"
      "add #1\nsub x\nmul %x\ndiv #0x10\nmod #0b101\nand #017\nor x\nxor #-1\nlsh #2\nrsh x\nneg\n"
      "tax\ntxa\n"
      "jeq #1, a1\na1: jgt x, a2, a2\na2: jge #2, a3\na3: jset %x, a4\na4: jne #3, a5\na5: jlt #4, a6\n"
      "a6: jle x, a7\na7: jmp a8\na8: ja a9\na9: ret a\nret %x\nret x\nret #7\n");
  REQUIRE_MESSAGE(p.ok(), p.error().message);
  std::vector<Insn> want = {
      {0x00, 0, 0, 1},           {0x00, 0, 0, 2},           {0x00, 0, 0, 3},
      {0x80, 0, 0, 0},           {0x80, 0, 0, 0},           {0x60, 0, 0, 4},
      {0x20, 0, 0, 5},           {0x40, 0, 0, 6},           {0x40, 0, 0, 7},
      {0x28, 0, 0, 8},           {0x48, 0, 0, 9},           {0x30, 0, 0, 10},
      {0x50, 0, 0, 11},          {0x20, 0, 0, 0xfffff000u}, {0x28, 0, 0, 0xfffff02cu},
      {0x30, 0, 0, 0xfffff030u}, {0x20, 0, 0, 0xfffff038u}, {0x01, 0, 0, 12},
      {0x01, 0, 0, 13},          {0x81, 0, 0, 0},           {0x61, 0, 0, 14},
      {0xb1, 0, 0, 15},          {0xb1, 0, 0, 16},          {0x02, 0, 0, 1},
      {0x03, 0, 0, 2},           {0x04, 0, 0, 1},           {0x1c, 0, 0, 0},
      {0x2c, 0, 0, 0},           {0x34, 0, 0, 16},          {0x94, 0, 0, 5},
      {0x54, 0, 0, 15},          {0x4c, 0, 0, 0},           {0xa4, 0, 0, 0xffffffffu},
      {0x64, 0, 0, 2},           {0x7c, 0, 0, 0},           {0x84, 0, 0, 0},
      {0x07, 0, 0, 0},           {0x87, 0, 0, 0},           {0x15, 0, 0, 1},
      {0x2d, 0, 0, 0},           {0x35, 0, 0, 2},           {0x4d, 0, 0, 0},
      {0x15, 0, 0, 3},           {0x35, 0, 0, 4},           {0x2d, 0, 0, 0},
      {0x05, 0, 0, 0},           {0x05, 0, 0, 0},           {0x16, 0, 0, 0},
      {0x0e, 0, 0, 0},           {0x0e, 0, 0, 0},           {0x06, 0, 0, 7},
  };
  REQUIRE(p->insns.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(p->insns[i] == want[i]);
  }
}

TEST_CASE("assemble(disassemble(p)) == p for every instruction") {
  std::mt19937 rng(5);
  const uint32_t ks[] = {0,           1,           15,          255,         0x800,      0x7fffffff,
                         0x80000000u, 0xfffff000u, 0xfffff02cu, 0xfffff040u, 0xffffffffu};
  for (int round = 0; round < 30; ++round) {
    Program p;
    for (const OpInfo& info : allOps()) {
      Insn in{info.code, 0, 0, 0};
      if (info.operand != sift::bpf::Operand::NoOperand && info.operand != sift::bpf::Operand::RegX &&
          info.operand != sift::bpf::Operand::PktLen)
        in.k = ks[rng() % std::size(ks)];
      if (info.readsScratch() || info.writesScratch()) in.k = rng() % 16;
      if (info.isConditional()) in.jt = rng() % 30, in.jf = rng() % 30;
      if (info.shape == Shape::Jump)
        in.k = round % 3 ? rng() % 30 : static_cast<uint32_t>(-(int)(rng() % 40));
      p.insns.push_back(in);
    }
    for (int i = 0; i < 31; ++i) p.insns.push_back({0x06, 0, 0, static_cast<uint32_t>(i)});
    // Keep wrap-around ja targets inside the program.
    for (size_t pc = 0; pc < p.insns.size(); ++pc)
      if (p.insns[pc].code == 0x05 && static_cast<uint32_t>(pc + 1 + p.insns[pc].k) >= p.insns.size())
        p.insns[pc].k = 0;
    auto text = disassemble(p);
    REQUIRE_MESSAGE(text.ok(), text.error().message);
    auto back = assemble(*text);
    REQUIRE_MESSAGE(back.ok(), (back.error().message + "\n" + *text));
    CHECK(*back == p);
  }
}

TEST_CASE("disassemble output and refusals") {
  Program p{{{0x28, 0, 0, 12}, {0x15, 0, 1, 0x800}, {0x06, 0, 0, 262144}, {0x06, 0, 0, 0}}};
  auto text = disassemble(p);
  REQUIRE(text.ok());
  CHECK(*text == "ldh [12]\njeq #0x800, L2, L3\nL2: ret #262144\nL3: ret #0\n");
  auto unknown = disassemble(Program{{{0x08, 0, 0, 0}}});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "pc 0: unknown opcode 0x8 has no bpf_asm spelling");
  auto stale = disassemble(Program{{{0x07, 0, 0, 3}, {0x16, 0, 0, 0}}});
  REQUIRE(stale.ok());
  CHECK(*stale == "tax\nret a\n");
  auto past = disassemble(Program{{{0x15, 0, 5, 0}, {0x16, 0, 0, 0}}});
  REQUIRE_FALSE(past.ok());
  CHECK(past.error().message == "pc 0: jump target past the end of the program");
}

TEST_CASE("assembler errors name the line") {
  CHECK(errorOf("ret #0\nfoo #1\n") == "line 2: unknown instruction 'foo' in 'foo #1'");
  CHECK(errorOf("ldh #5\n") == "line 1: 'ldh' does not take this operand in 'ldh #5'");
  CHECK(errorOf("ld [x - 1]\n") == "line 1: unexpected character '-' in 'ld [x - 1]'");
  CHECK(errorOf("ld [x + x]\n") == "line 1: bad operand in 'ld [x + x]'");
  CHECK(errorOf("ld #0x1g\n") == "line 1: bad number '0x1g' in 'ld #0x1g'");
  CHECK(errorOf("ld #4294967296\n") == "line 1: bad number '4294967296' in 'ld #4294967296'");
  CHECK(errorOf("ld #1 #2\n") == "line 1: unexpected '#' in 'ld #1 #2'");
  CHECK(errorOf("ld @\n") == "line 1: unexpected character '@' in 'ld @'");
  CHECK(errorOf("jeq #1, nowhere\nret #0\n") == "line 1: unknown label 'nowhere' in 'jeq #1, nowhere'");
  CHECK(errorOf("jeq M[1], a\na: ret #0\n") == "line 1: 'jeq' compares with '#k' or 'x' in 'jeq M[1], a'");
  CHECK(errorOf("jeq #1\n") == "line 1: 'jeq' takes one or two labels in 'jeq #1'");
  CHECK(errorOf("jneq #1, a, b\n") == "line 1: 'jneq' takes one label in 'jneq #1, a, b'");
  CHECK(errorOf("jeq #1 a\n") == "line 1: expected ', label' in 'jeq #1 a'");
  CHECK(errorOf("ja\n") == "line 1: 'ja' takes a label in 'ja'");
  CHECK(errorOf("a: ret #0\na: ret #1\n") == "line 2: label 'a' defined twice in 'a: ret #1'");
  CHECK(errorOf("ret #0\nend:\n") == "line 3: label 'end' is not followed by an instruction");
  CHECK(
      errorOf("back: ld #1\njeq #1, back\n") ==
      "line 2: label 'back' is not 1 to 256 instructions after this one (pc 1 jumps to 0) in 'jeq #1, back'");
  CHECK(errorOf("42\n") == "line 1: expected an instruction in '42'");
  CHECK(assemble("").ok());
  CHECK(assemble("; only a comment\n\n").ok());
  // A backward ja wraps around, as libpcap's validator reads it.
  auto loop = assemble("top: ld #1\nja top\n");
  REQUIRE(loop.ok());
  CHECK(loop->insns[1] == Insn{0x05, 0, 0, 0xfffffffeu});
}

TEST_CASE("iptables bytecode") {
  Program p{{{48, 0, 0, 9}, {21, 0, 1, 6}, {6, 0, 0, 1}, {6, 0, 0, 0}}};
  CHECK(bytecode(p) == "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0");
  auto back = parseDecimal(bytecode(p));
  REQUIRE(back.ok());
  CHECK(*back == p);
  CHECK(bytecode(Program{}) == "0");
}
