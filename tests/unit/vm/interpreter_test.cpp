// Tests for the interpreter's semantics, one case per rule of libpcap's
// bpf_filter: initial state, loads and their bounds, ALU corner cases,
// jumps (including libpcap's wrap-around ja), returns.
#include <doctest/doctest.h>

#include <vector>

#include "sift/vm.h"
#include "vm/trace.h"

using namespace sift;
using bpf::Insn;

namespace {

constexpr uint16_t LdImm = 0x00, LdAbsW = 0x20, LdAbsH = 0x28, LdAbsB = 0x30, LdIndW = 0x40, LdIndH = 0x48,
                   LdIndB = 0x50, LdMem = 0x60, LdLen = 0x80, LdxImm = 0x01, LdxMem = 0x61, LdxLen = 0x81,
                   LdxMsh = 0xb1, St = 0x02, Stx = 0x03, AddK = 0x04, AddX = 0x0c, SubK = 0x14, SubX = 0x1c,
                   MulK = 0x24, MulX = 0x2c, DivK = 0x34, DivX = 0x3c, OrK = 0x44, OrX = 0x4c, AndK = 0x54,
                   AndX = 0x5c, LshK = 0x64, LshX = 0x6c, RshK = 0x74, RshX = 0x7c, Neg = 0x84, ModK = 0x94,
                   ModX = 0x9c, XorK = 0xa4, XorX = 0xac, Ja = 0x05, JeqK = 0x15, JeqX = 0x1d, JgtK = 0x25,
                   JgtX = 0x2d, JgeK = 0x35, JgeX = 0x3d, JsetK = 0x45, JsetX = 0x4d, RetK = 0x06,
                   RetX = 0x0e, RetA = 0x16, Tax = 0x07, Txa = 0x87;

const std::vector<uint8_t> kPacket = {0x45, 0x00, 0x00, 0x54, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02};

uint32_t run(std::initializer_list<Insn> insns, const std::vector<uint8_t>& packet = kPacket,
             uint32_t wireLength = 0, bpf::Profile profile = bpf::Profile::Libpcap) {
  auto v = bpf::validate(bpf::Program{std::vector<Insn>(insns)}, profile);
  REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
  return vm::run(*v, packet, wireLength ? wireLength : static_cast<uint32_t>(packet.size()));
}

// Runs "A = a; X = x; <op>; ret a".
uint32_t alu(uint16_t code, uint32_t a, uint32_t x, uint32_t k = 0) {
  return run({{LdImm, 0, 0, a}, {LdxImm, 0, 0, x}, {code, 0, 0, k}, {RetA, 0, 0, 0}});
}

// Runs "A = a; X = x; <jump> -> ret #1 : ret #2".
uint32_t jump(uint16_t code, uint32_t a, uint32_t x, uint32_t k = 0) {
  return run({{LdImm, 0, 0, a}, {LdxImm, 0, 0, x}, {code, 0, 1, k}, {RetK, 0, 0, 1}, {RetK, 0, 0, 2}});
}

}  // namespace

TEST_CASE("registers and scratch start at zero") {
  CHECK(run({{RetA, 0, 0, 0}}) == 0);
  CHECK(run({{RetX, 0, 0, 0}}) == 0);
  CHECK(run({{Txa, 0, 0, 0}, {AddK, 0, 0, 7}, {RetA, 0, 0, 0}}) == 7);
  for (uint32_t m = 0; m < bpf::kMemWords; ++m) {
    CHECK(run({{LdMem, 0, 0, m}, {AddK, 0, 0, 7}, {RetA, 0, 0, 0}}) == 7);
    CHECK(run({{LdxMem, 0, 0, m}, {Txa, 0, 0, 0}, {AddK, 0, 0, 9}, {RetA, 0, 0, 0}}) == 9);
  }
}

TEST_CASE("returns") {
  CHECK(run({{RetK, 0, 0, 262144}}) == 262144);
  CHECK(run({{RetK, 0, 0, 0xffffffffu}}) == 0xffffffffu);
  CHECK(run({{LdImm, 0, 0, 77}, {RetA, 0, 0, 0}}) == 77);
  CHECK(run({{LdxImm, 0, 0, 78}, {RetX, 0, 0, 0}}) == 78);
}

TEST_CASE("absolute loads are big-endian and reject out of bounds") {
  CHECK(run({{LdAbsW, 0, 0, 0}, {RetA, 0, 0, 0}}) == 0x45000054u);
  CHECK(run({{LdAbsW, 0, 0, 6}, {RetA, 0, 0, 0}}) == 0xbeef0102u);
  CHECK(run({{LdAbsW, 0, 0, 7}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdAbsH, 0, 0, 4}, {RetA, 0, 0, 0}}) == 0xdeadu);
  CHECK(run({{LdAbsH, 0, 0, 8}, {RetA, 0, 0, 0}}) == 0x0102u);
  CHECK(run({{LdAbsH, 0, 0, 9}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdAbsB, 0, 0, 9}, {RetA, 0, 0, 0}}) == 2);
  CHECK(run({{LdAbsB, 0, 0, 10}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdAbsW, 0, 0, 0xffffffffu}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdAbsW, 0, 0, 0xfffffffeu}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdAbsB, 0, 0, 0}, {RetK, 0, 0, 1}}, {}) == 0);
  CHECK(run({{RetK, 0, 0, 1}}, {}) == 1);
  // The captured length bounds loads, not the wire length.
  CHECK(run({{LdAbsB, 0, 0, 10}, {RetK, 0, 0, 1}}, kPacket, 1500) == 0);
}

TEST_CASE("ancillary loads are out of bounds in userspace") {
  for (uint32_t off = 0; off < 64; off += 4) {
    CAPTURE(off);
    CHECK(run({{LdAbsW, 0, 0, 0xfffff000u + off}, {RetK, 0, 0, 1}}) == 0);
    CHECK(run({{LdAbsH, 0, 0, 0xfffff000u + off}, {RetK, 0, 0, 1}}) == 0);
    CHECK(run({{LdAbsB, 0, 0, 0xfffff000u + off}, {RetK, 0, 0, 1}}) == 0);
  }
  CHECK(run({{LdAbsH, 0, 0, 0xfffff02cu}, {RetK, 0, 0, 1}}, kPacket, 0, bpf::Profile::Kernel) == 0);
}

TEST_CASE("indirect loads check x + k without overflow") {
  CHECK(run({{LdxImm, 0, 0, 4}, {LdIndW, 0, 0, 2}, {RetA, 0, 0, 0}}) == 0xbeef0102u);
  CHECK(run({{LdxImm, 0, 0, 4}, {LdIndW, 0, 0, 3}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxImm, 0, 0, 8}, {LdIndH, 0, 0, 0}, {RetA, 0, 0, 0}}) == 0x0102u);
  CHECK(run({{LdxImm, 0, 0, 9}, {LdIndH, 0, 0, 0}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxImm, 0, 0, 9}, {LdIndB, 0, 0, 0}, {RetA, 0, 0, 0}}) == 2);
  CHECK(run({{LdxImm, 0, 0, 0}, {LdIndB, 0, 0, 10}, {RetK, 0, 0, 1}}) == 0);
  // X + k would wrap to 1 in 32 bits; libpcap rejects, and so must we.
  CHECK(run({{LdxImm, 0, 0, 0xffffffffu}, {LdIndB, 0, 0, 2}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxImm, 0, 0, 2}, {LdIndB, 0, 0, 0xffffffffu}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxImm, 0, 0, 0xfffffffcu}, {LdIndW, 0, 0, 4}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxImm, 0, 0, 0x80000000u}, {LdIndH, 0, 0, 0x80000000u}, {RetK, 0, 0, 1}}) == 0);
}

TEST_CASE("ldxb 4*([k]&0xf)") {
  CHECK(run({{LdxMsh, 0, 0, 0}, {Txa, 0, 0, 0}, {RetA, 0, 0, 0}}) == 20);
  CHECK(run({{LdxMsh, 0, 0, 5}, {Txa, 0, 0, 0}, {RetA, 0, 0, 0}}) == 4 * 0xd);
  CHECK(run({{LdxMsh, 0, 0, 10}, {RetK, 0, 0, 1}}) == 0);
  CHECK(run({{LdxMsh, 0, 0, 0xffffffffu}, {RetK, 0, 0, 1}}) == 0);
}

TEST_CASE("lengths, constants, scratch, moves") {
  CHECK(run({{LdLen, 0, 0, 0}, {RetA, 0, 0, 0}}, kPacket, 1514) == 1514);
  CHECK(run({{LdxLen, 0, 0, 0}, {RetX, 0, 0, 0}}, kPacket, 60) == 60);
  CHECK(run({{LdLen, 0, 0, 0}, {RetA, 0, 0, 0}}) == kPacket.size());
  CHECK(run({{LdImm, 0, 0, 5},
             {St, 0, 0, 15},
             {LdImm, 0, 0, 0},
             {LdxMem, 0, 0, 15},
             {Txa, 0, 0, 0},
             {RetA, 0, 0, 0}}) == 5);
  CHECK(run({{LdxImm, 0, 0, 6}, {Stx, 0, 0, 0}, {LdMem, 0, 0, 0}, {RetA, 0, 0, 0}}) == 6);
  CHECK(run({{LdImm, 0, 0, 3}, {Tax, 0, 0, 0}, {LdImm, 0, 0, 0}, {RetX, 0, 0, 0}}) == 3);
}

TEST_CASE("alu with constants and with x") {
  CHECK(alu(AddK, 0xffffffffu, 0, 2) == 1);
  CHECK(alu(AddX, 5, 6) == 11);
  CHECK(alu(SubK, 1, 0, 2) == 0xffffffffu);
  CHECK(alu(SubX, 10, 3) == 7);
  CHECK(alu(MulK, 0x10000, 0, 0x10000) == 0);
  CHECK(alu(MulX, 7, 6) == 42);
  CHECK(alu(DivK, 100, 0, 7) == 14);
  CHECK(alu(DivX, 100, 9) == 11);
  CHECK(alu(ModK, 100, 0, 7) == 2);
  CHECK(alu(ModX, 100, 9) == 1);
  CHECK(alu(AndK, 0xf0f0, 0, 0xff00) == 0xf000);
  CHECK(alu(AndX, 0xf0f0, 0x0ff0) == 0x00f0);
  CHECK(alu(OrK, 0xf000, 0, 0x000f) == 0xf00f);
  CHECK(alu(OrX, 1, 2) == 3);
  CHECK(alu(XorK, 0xff, 0, 0x0f) == 0xf0);
  CHECK(alu(XorX, 3, 5) == 6);
  CHECK(alu(LshK, 1, 0, 31) == 0x80000000u);
  CHECK(alu(LshX, 3, 4) == 48);
  CHECK(alu(RshK, 0x80000000u, 0, 31) == 1);
  CHECK(alu(RshX, 48, 4) == 3);
  CHECK(alu(Neg, 1, 0) == 0xffffffffu);
  CHECK(alu(Neg, 0, 0) == 0);
}

TEST_CASE("division and modulo by x == 0 reject") {
  CHECK(alu(DivX, 100, 0) == 0);
  CHECK(alu(ModX, 100, 0) == 0);
  CHECK(run({{LdImm, 0, 0, 5}, {DivX, 0, 0, 0}, {RetK, 0, 0, 9}}) == 0);
  CHECK(run({{LdImm, 0, 0, 5}, {ModX, 0, 0, 0}, {RetK, 0, 0, 9}}) == 0);
}

TEST_CASE("shifts by 32 or more give 0") {
  CHECK(alu(LshX, 1, 32) == 0);
  CHECK(alu(RshX, 0xffffffffu, 32) == 0);
  CHECK(alu(LshX, 1, 0xffffffffu) == 0);
  CHECK(alu(RshX, 0x80000000u, 31) == 1);
  // Constant shifts of 32 or more pass the libpcap profile only.
  CHECK(alu(LshK, 1, 0, 32) == 0);
  CHECK(alu(RshK, 0xffffffffu, 0, 40) == 0);
  // Unlike division by zero, a big shift does not end the program.
  CHECK(run({{LdImm, 0, 0, 1}, {LdxImm, 0, 0, 33}, {LshX, 0, 0, 0}, {AddK, 0, 0, 5}, {RetA, 0, 0, 0}}) == 5);
}

TEST_CASE("conditional jumps compare unsigned") {
  CHECK(jump(JeqK, 5, 0, 5) == 1);
  CHECK(jump(JeqK, 5, 0, 6) == 2);
  CHECK(jump(JeqX, 5, 5) == 1);
  CHECK(jump(JeqX, 5, 4) == 2);
  CHECK(jump(JgtK, 0x80000000u, 0, 1) == 1);
  CHECK(jump(JgtK, 1, 0, 1) == 2);
  CHECK(jump(JgtX, 0xffffffffu, 0x7fffffffu) == 1);
  CHECK(jump(JgtX, 3, 3) == 2);
  CHECK(jump(JgeK, 1, 0, 1) == 1);
  CHECK(jump(JgeK, 0, 0, 1) == 2);
  CHECK(jump(JgeX, 3, 3) == 1);
  CHECK(jump(JgeX, 2, 3) == 2);
  CHECK(jump(JsetK, 0x12, 0, 0x02) == 1);
  CHECK(jump(JsetK, 0x12, 0, 0x01) == 2);
  CHECK(jump(JsetX, 0x12, 0x10) == 1);
  CHECK(jump(JsetX, 0x12, 0) == 2);
  // Offsets count from the next instruction.
  CHECK(run({{LdImm, 0, 0, 0}, {JeqK, 2, 0, 0}, {RetK, 0, 0, 1}, {RetK, 0, 0, 2}, {RetK, 0, 0, 3}}) == 3);
}

TEST_CASE("ja forward and, under the libpcap profile, wrapping backward") {
  CHECK(run({{Ja, 0, 0, 1}, {RetK, 0, 0, 1}, {RetK, 0, 0, 2}}) == 2);
  CHECK(run({{Ja, 0, 0, 0}, {RetK, 0, 0, 1}}) == 1);
  // X counts to 5 with a backward ja (k = -5), as protochain loops do.
  CHECK(run({
            {LdxImm, 0, 0, 0},        // 0
            {Txa, 0, 0, 0},           // 1
            {AddK, 0, 0, 1},          // 2
            {Tax, 0, 0, 0},           // 3
            {JeqK, 1, 0, 5},          // 4: -> 6 when A == 5
            {Ja, 0, 0, 0xfffffffbu},  // 5: 6 - 5 = 1
            {RetA, 0, 0, 0},          // 6
        }) == 5);
  // A jump to itself would spin forever in libpcap; the VM gives up and rejects.
  CHECK(run({{Ja, 0, 0, 0xffffffffu}, {RetK, 0, 0, 1}}) == 0);
}

TEST_CASE("trace records each step and why the run stopped") {
  auto v =
      bpf::validate(bpf::Program{{{LdAbsH, 0, 0, 2}, {JeqK, 0, 1, 0x54}, {Tax, 0, 0, 0}, {RetA, 0, 0, 0}}},
                    bpf::Profile::Libpcap);
  REQUIRE(v.ok());
  vm::Trace t = vm::trace(*v, kPacket);
  CHECK(t.result == 0x54);
  CHECK(t.reason == vm::StopReason::Return);
  CHECK(t.stopPc == 3);
  REQUIRE(t.steps.size() == 4);
  CHECK(t.steps[0].pc == 0);
  CHECK(t.steps[0].a == 0);
  CHECK(t.steps[1].pc == 1);
  CHECK(t.steps[1].a == 0x54);
  CHECK(t.steps[2].pc == 2);
  CHECK(t.steps[3].pc == 3);
  CHECK(t.steps[3].x == 0x54);

  auto oob =
      bpf::validate(bpf::Program{{{LdImm, 0, 0, 9}, {St, 0, 0, 4}, {LdAbsW, 0, 0, 8}, {RetK, 0, 0, 1}}},
                    bpf::Profile::Libpcap);
  REQUIRE(oob.ok());
  t = vm::trace(*oob, kPacket);
  CHECK(t.result == 0);
  CHECK(t.reason == vm::StopReason::OutOfBounds);
  CHECK(t.stopPc == 2);
  CHECK(t.mem[4] == 9);
  CHECK(t.steps.size() == 3);

  auto div = bpf::validate(bpf::Program{{{DivX, 0, 0, 0}, {RetK, 0, 0, 1}}}, bpf::Profile::Libpcap);
  REQUIRE(div.ok());
  t = vm::trace(*div, kPacket);
  CHECK(t.reason == vm::StopReason::DivisionByZero);
  CHECK(t.stopPc == 0);

  auto spin = bpf::validate(bpf::Program{{{Ja, 0, 0, 0xffffffffu}, {RetK, 0, 0, 1}}}, bpf::Profile::Libpcap);
  REQUIRE(spin.ok());
  CHECK(vm::run(*spin, kPacket) == 0);
}
