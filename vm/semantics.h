// The instruction semantics both interpreters share (interpreter.cpp, the
// direct one vm::run and vm::trace use, and prepared.cpp, the decoded one
// behind vm::Prepared): bounds-checked big-endian loads, ALU operations
// with libpcap's division and shift rules, and jump conditions. Each is a
// template over the opcode table's Arg, so a handler compiles to the one
// operation it names.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bpf/opcodes.h"

namespace sift::vm::detail {

using bpf::Arg;

// A backward ja (possible only under the libpcap profile, which lets
// k wrap around) could loop forever; libpcap would hang. Stop after this
// many backward jumps and reject the packet.
constexpr uint32_t kBackwardJumpBudget = 1u << 24;

template <Arg Size>
inline bool loadAt(const uint8_t* p, size_t len, uint64_t off, uint32_t& out) {
  constexpr uint64_t n = Size == Arg::W ? 4 : Size == Arg::H ? 2 : 1;
  // off is at most 2^33 (X + k, both 32-bit), so off + n cannot wrap:
  // one compare where `off > len || n > len - off` needed two.
  if (off + n > len) return false;
  const uint8_t* q = p + off;
  if constexpr (n == 4) {
    out = (uint32_t(q[0]) << 24) | (uint32_t(q[1]) << 16) | (uint32_t(q[2]) << 8) | uint32_t(q[3]);
  } else if constexpr (n == 2) {
    out = (uint32_t(q[0]) << 8) | uint32_t(q[1]);
  } else {
    out = q[0];
  }
  return true;
}

// A = A op v; false means "reject the packet" (division by zero).
template <Arg Op>
inline bool alu(uint32_t& a, uint32_t v) {
  if constexpr (Op == Arg::Add) {
    a += v;
  } else if constexpr (Op == Arg::Sub) {
    a -= v;
  } else if constexpr (Op == Arg::Mul) {
    a *= v;
  } else if constexpr (Op == Arg::Div) {
    if (v == 0) return false;
    a /= v;
  } else if constexpr (Op == Arg::Mod) {
    if (v == 0) return false;
    a %= v;
  } else if constexpr (Op == Arg::And) {
    a &= v;
  } else if constexpr (Op == Arg::Or) {
    a |= v;
  } else if constexpr (Op == Arg::Xor) {
    a ^= v;
  } else if constexpr (Op == Arg::Lsh) {
    a = v < 32 ? a << v : 0;
  } else if constexpr (Op == Arg::Rsh) {
    a = v < 32 ? a >> v : 0;
  } else {
    static_assert(Op == Arg::Add, "not an alu operation");
  }
  return true;
}

template <Arg Cond>
inline bool test(uint32_t a, uint32_t v) {
  if constexpr (Cond == Arg::Eq) return a == v;
  if constexpr (Cond == Arg::Gt) return a > v;
  if constexpr (Cond == Arg::Ge) return a >= v;
  return (a & v) != 0;
}

}  // namespace sift::vm::detail
