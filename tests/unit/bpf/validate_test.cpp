// Tests for the validator: each rule of both profiles, accepted and
// refused, with the rule name, pc and message.
#include <doctest/doctest.h>

#include "sift/bpf.h"

using namespace sift::bpf;

namespace {

constexpr uint16_t LdImm = 0x00, LdAbsW = 0x20, LdAbsH = 0x28, LdAbsB = 0x30, LdMem = 0x60, LdxMem = 0x61,
                   LdxLen = 0x81, St = 0x02, Stx = 0x03, DivK = 0x34, ModK = 0x94, DivX = 0x3c, LshK = 0x64,
                   RshK = 0x74, Ja = 0x05, JeqK = 0x15, JgtX = 0x2d, RetK = 0x06, RetA = 0x16, RetX = 0x0e,
                   Tax = 0x07;

Program prog(std::initializer_list<Insn> insns) { return Program{std::vector<Insn>(insns)}; }

// The error for `p` under `profile`, or "" if it validates.
ValidationError check(const Program& p, Profile profile) {
  ValidationError why;
  if (validate(p, profile, &why)) return ValidationError{0, "", ""};
  return why;
}

void accepts(const Program& p, Profile profile) {
  ValidationError why = check(p, profile);
  CHECK_MESSAGE(why.rule.empty(), why.message);
  CHECK(validate(p, profile).ok());
}

void refuses(const Program& p, Profile profile, const char* rule, size_t pc, const std::string& message) {
  ValidationError why = check(p, profile);
  CHECK(why.rule == rule);
  CHECK(why.pc == pc);
  CHECK(why.message == message);
  auto v = validate(p, profile);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().message == message);
  CHECK_FALSE(v.error().span.has_value());
}

constexpr Profile kBoth[] = {Profile::Libpcap, Profile::Kernel};

}  // namespace

TEST_CASE("a small program validates under both profiles") {
  Program p = prog({{LdAbsH, 0, 0, 12}, {JeqK, 0, 1, 0x800}, {RetK, 0, 0, 262144}, {RetK, 0, 0, 0}});
  for (Profile pr : kBoth) {
    auto v = validate(p, pr);
    REQUIRE(v.ok());
    CHECK(v->profile() == pr);
    CHECK(v->program() == p);
    CHECK(v->size() == 4);
  }
}

TEST_CASE("empty-program") {
  for (Profile pr : kBoth) refuses(Program{}, pr, "empty-program", 0, "program has no instructions");
}

TEST_CASE("too-many-instructions (kernel only)") {
  Program p;
  p.insns.assign(kKernelMaxInsns, Insn{LdImm, 0, 0, 1});
  p.insns.back() = Insn{RetA, 0, 0, 0};
  accepts(p, Profile::Kernel);
  p.insns.insert(p.insns.begin(), Insn{Tax, 0, 0, 0});
  refuses(p, Profile::Kernel, "too-many-instructions", 0,
          "program has 4097 instructions, the kernel accepts at most 4096");
  accepts(p, Profile::Libpcap);
}

TEST_CASE("unknown-opcode") {
  for (Profile pr : kBoth) {
    refuses(prog({{LdImm, 0, 0, 0}, {0x08, 0, 0, 0}, {RetA, 0, 0, 0}}), pr, "unknown-opcode", 1,
            "pc 1: unknown opcode 0x8");
    refuses(prog({{0xff06, 0, 0, 0}}), pr, "unknown-opcode", 0, "pc 0: unknown opcode 0xff06");
    refuses(prog({{0x1e, 0, 0, 0}}), pr, "unknown-opcode", 0, "pc 0: unknown opcode 0x1e");
  }
}

TEST_CASE("kernel-opcode: ret x") {
  Program p = prog({{LdImm, 0, 0, 1}, {Tax, 0, 0, 0}, {RetX, 0, 0, 0}});
  accepts(p, Profile::Libpcap);
  refuses(p, Profile::Kernel, "kernel-opcode", 2,
          "pc 2: 'ret x' (opcode 0xe) is not accepted by the linux kernel");
  accepts(prog({{LdxLen, 0, 0, 0}, {RetK, 0, 0, 1}}), Profile::Kernel);
}

TEST_CASE("scratch-out-of-range") {
  for (Profile pr : kBoth) {
    for (uint16_t code : {LdMem, LdxMem, St, Stx}) {
      CAPTURE(code);
      Program p = prog({{St, 0, 0, 0}, {code, 0, 0, 16}, {RetA, 0, 0, 0}});
      refuses(p, pr, "scratch-out-of-range", 1,
              "pc 1: scratch cell M[16] out of range, cells are M[0] to M[15]");
      p.insns[1].k = 0;
      accepts(p, pr);
    }
    refuses(prog({{St, 0, 0, 0xffffffffu}, {RetA, 0, 0, 0}}), pr, "scratch-out-of-range", 0,
            "pc 0: scratch cell M[4294967295] out of range, cells are M[0] to M[15]");
  }
}

TEST_CASE("division-by-zero") {
  for (Profile pr : kBoth) {
    refuses(prog({{DivK, 0, 0, 0}, {RetA, 0, 0, 0}}), pr, "division-by-zero", 0,
            "pc 0: division by constant 0");
    refuses(prog({{ModK, 0, 0, 0}, {RetA, 0, 0, 0}}), pr, "division-by-zero", 0,
            "pc 0: modulo by constant 0");
    accepts(prog({{DivK, 0, 0, 3}, {ModK, 0, 0, 1}, {DivX, 0, 0, 0}, {RetA, 0, 0, 0}}), pr);
  }
}

TEST_CASE("shift-out-of-range (kernel only)") {
  Program p = prog({{LshK, 0, 0, 32}, {RetA, 0, 0, 0}});
  accepts(p, Profile::Libpcap);
  refuses(p, Profile::Kernel, "shift-out-of-range", 0,
          "pc 0: 'lsh #32' shifts by 32, the kernel requires less than 32");
  refuses(prog({{RshK, 0, 0, 0xffffffffu}, {RetA, 0, 0, 0}}), Profile::Kernel, "shift-out-of-range", 0,
          "pc 0: 'rsh #-1' shifts by 4294967295, the kernel requires less than 32");
  accepts(prog({{LshK, 0, 0, 31}, {RshK, 0, 0, 0}, {RetA, 0, 0, 0}}), Profile::Kernel);
}

TEST_CASE("unknown-extension (kernel only)") {
  Program p = prog({{LdAbsW, 0, 0, 0xfffff040u}, {RetA, 0, 0, 0}});
  accepts(p, Profile::Libpcap);
  refuses(p, Profile::Kernel, "unknown-extension", 0,
          "pc 0: 'ld [-4032]' reads ancillary offset 64, which the kernel does not know");
  refuses(prog({{LdAbsB, 0, 0, 0xfffff001u}, {RetA, 0, 0, 0}}), Profile::Kernel, "unknown-extension", 0,
          "pc 0: 'ldb [-4095]' reads ancillary offset 1, which the kernel does not know");
  accepts(prog({{LdAbsH, 0, 0, 0xfffff02cu},
                {LdAbsB, 0, 0, 0xfffff030u},
                {LdAbsW, 0, 0, 0xffffefffu},
                {RetA, 0, 0, 0}}),
          Profile::Kernel);
}

TEST_CASE("jump-out-of-range") {
  for (Profile pr : kBoth) {
    Program ja = prog({{Ja, 0, 0, 1}, {RetK, 0, 0, 1}, {RetK, 0, 0, 0}});
    accepts(ja, pr);
    ja.insns[0].k = 2;
    refuses(ja, pr, "jump-out-of-range", 0, "pc 0: jump target 3 past end of 3-instruction program");
    Program jt = prog({{LdImm, 0, 0, 0}, {JeqK, 1, 0, 0}, {RetK, 0, 0, 1}, {RetK, 0, 0, 0}});
    accepts(jt, pr);
    jt.insns[1].jt = 2;
    refuses(jt, pr, "jump-out-of-range", 1, "pc 1: true jump target 4 past end of 4-instruction program");
    jt.insns[1].jt = 0;
    jt.insns[1].jf = 255;
    refuses(jt, pr, "jump-out-of-range", 1, "pc 1: false jump target 257 past end of 4-instruction program");
    jt.insns[1] = Insn{JgtX, 0, 2, 0};
    refuses(jt, pr, "jump-out-of-range", 1, "pc 1: false jump target 4 past end of 4-instruction program");
  }
}

TEST_CASE("ja wraps around under libpcap, is a backward jump for the kernel") {
  // from + k in 32-bit arithmetic: pc 2 + 1 + 0xfffffffe == 1.
  Program p = prog({{LdImm, 0, 0, 0}, {RetK, 0, 0, 1}, {Ja, 0, 0, 0xfffffffeu}, {RetK, 0, 0, 0}});
  accepts(p, Profile::Libpcap);
  refuses(p, Profile::Kernel, "backward-jump", 2,
          "pc 2: 'ja' offset 4294967294 (-2) jumps backward, the kernel allows forward jumps only");
  p.insns[2].k = 0xfffffff0u;  // wraps to 4294967283: out of range
  refuses(p, Profile::Libpcap, "jump-out-of-range", 2,
          "pc 2: jump target 4294967283 past end of 4-instruction program");
  // Large forward offsets do not wrap for the kernel.
  p.insns[2].k = 0x7fffffffu;
  refuses(p, Profile::Kernel, "jump-out-of-range", 2,
          "pc 2: jump target 2147483650 past end of 4-instruction program");
}

TEST_CASE("no-final-return") {
  for (Profile pr : kBoth) {
    refuses(prog({{LdImm, 0, 0, 1}}), pr, "no-final-return", 0,
            "pc 0: last instruction 'ld #0x1' is not a return");
    refuses(prog({{RetA, 0, 0, 0}, {Tax, 0, 0, 0}}), pr, "no-final-return", 1,
            "pc 1: last instruction 'tax' is not a return");
    accepts(prog({{RetK, 0, 0, 0}}), pr);
    refuses(prog({{LdImm, 0, 0, 1}, {RetK, 0, 0, 0}, {JeqK, 0, 0, 0x800}}), pr, "jump-out-of-range", 2,
            "pc 2: true jump target 3 past end of 3-instruction program");
  }
  refuses(prog({{LdImm, 0, 0, 1}, {LdxLen, 0, 0, 0}}), Profile::Kernel, "no-final-return", 1,
          "pc 1: last instruction 'ldx #pktlen' is not a return");
  refuses(prog({{RetK, 0, 0, 0}, {Ja, 0, 0, 0xffffffffu}}), Profile::Libpcap, "no-final-return", 1,
          "pc 1: last instruction 'ja 1' is not a return");
  accepts(prog({{RetX, 0, 0, 0}}), Profile::Libpcap);
}

TEST_CASE("first error wins, in pc order, final return before scratch") {
  ValidationError why = check(prog({{DivK, 0, 0, 0}, {0x08, 0, 0, 0}}), Profile::Libpcap);
  CHECK(why.rule == "division-by-zero");
  why = check(prog({{LdMem, 0, 0, 0}, {Tax, 0, 0, 0}}), Profile::Kernel);
  CHECK(why.rule == "no-final-return");
}

TEST_CASE("uninitialized-scratch (kernel only)") {
  Program readFirst = prog({{LdMem, 0, 0, 3}, {RetA, 0, 0, 0}});
  accepts(readFirst, Profile::Libpcap);
  refuses(readFirst, Profile::Kernel, "uninitialized-scratch", 0,
          "pc 0: 'ld M[3]' may read M[3] before it is written");

  accepts(prog({{St, 0, 0, 3}, {LdxMem, 0, 0, 3}, {RetA, 0, 0, 0}}), Profile::Kernel);
  refuses(prog({{St, 0, 0, 2}, {LdxMem, 0, 0, 3}, {RetA, 0, 0, 0}}), Profile::Kernel, "uninitialized-scratch",
          1, "pc 1: 'ldx M[3]' may read M[3] before it is written");

  // Written on one branch only.
  Program oneBranch = prog({
      {LdAbsB, 0, 0, 0},  // 0
      {JeqK, 0, 1, 1},    // 1: true -> 2, false -> 3
      {Stx, 0, 0, 5},     // 2
      {LdMem, 0, 0, 5},   // 3
      {RetA, 0, 0, 0},    // 4
  });
  refuses(oneBranch, Profile::Kernel, "uninitialized-scratch", 3,
          "pc 3: 'ld M[5]' may read M[5] before it is written");
  // Written on both branches.
  Program bothBranches = prog({
      {LdAbsB, 0, 0, 0},  // 0
      {JeqK, 0, 2, 1},    // 1: true -> 2, false -> 4
      {St, 0, 0, 5},      // 2
      {Ja, 0, 0, 1},      // 3 -> 5
      {Stx, 0, 0, 5},     // 4
      {LdMem, 0, 0, 5},   // 5
      {RetA, 0, 0, 0},    // 6
  });
  accepts(bothBranches, Profile::Kernel);
  // Written before a branch, read on both sides.
  accepts(prog({{St, 0, 0, 0},
                {JeqK, 0, 2, 0},
                {LdMem, 0, 0, 0},
                {RetA, 0, 0, 0},
                {LdxMem, 0, 0, 0},
                {RetK, 0, 0, 0}}),
          Profile::Kernel);
  // Like Linux, the instruction after a return inherits the state as if
  // the return fell through, even when only a jump reaches it.
  Program afterRet = prog({
      {St, 0, 0, 1},     // 0
      {JeqK, 0, 1, 0},   // 1: true -> 2, false -> 3
      {RetK, 0, 0, 0},   // 2
      {LdMem, 0, 0, 1},  // 3: M[1] written on every path
      {RetA, 0, 0, 0},   // 4
  });
  accepts(afterRet, Profile::Kernel);
  Program unreachableRead = prog({{RetK, 0, 0, 0}, {LdMem, 0, 0, 1}, {RetA, 0, 0, 0}});
  refuses(unreachableRead, Profile::Kernel, "uninitialized-scratch", 1,
          "pc 1: 'ld M[1]' may read M[1] before it is written");
  // Unreachable code after a jump starts with every cell valid, as in Linux.
  accepts(prog({{Ja, 0, 0, 1}, {LdMem, 0, 0, 9}, {RetK, 0, 0, 0}}), Profile::Kernel);
}
