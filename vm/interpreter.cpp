// The classic BPF interpreter, with libpcap's bpf_filter semantics.
//
// One switch on the instruction code, its cases generated from
// bpf/opcodes.def: each table row expands to SIFT_VM_<Shape>(<Arg>), a
// statement of a line or two below. Arg tokens name the registers (A, X)
// directly, or select a template instantiation (load size, ALU operation,
// jump condition). The program is a ValidatedProgram, so every code is
// known, every jump lands inside the program, scratch indices are below
// 16 and the last instruction returns.
#include <cstdint>
#include <cstring>

#include "bpf/opcodes.h"
#include "sift/vm.h"

namespace sift::vm {
namespace {

using bpf::Arg;

// A backward ja (possible only under the libpcap profile, which lets
// k wrap around) could loop forever; libpcap would hang. Stop after this
// many backward jumps and reject the packet.
constexpr uint32_t kBackwardJumpBudget = 1u << 24;

template <Arg Size>
inline bool loadAt(const uint8_t* p, size_t len, uint64_t off, uint32_t& out) {
  constexpr uint64_t n = Size == Arg::W ? 4 : Size == Arg::H ? 2 : 1;
  if (off > len || n > len - off) return false;
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
  if constexpr (Op == Arg::Add) a += v;
  else if constexpr (Op == Arg::Sub) a -= v;
  else if constexpr (Op == Arg::Mul) a *= v;
  else if constexpr (Op == Arg::Div) { if (v == 0) return false; a /= v; }
  else if constexpr (Op == Arg::Mod) { if (v == 0) return false; a %= v; }
  else if constexpr (Op == Arg::And) a &= v;
  else if constexpr (Op == Arg::Or) a |= v;
  else if constexpr (Op == Arg::Xor) a ^= v;
  else if constexpr (Op == Arg::Lsh) a = v < 32 ? a << v : 0;
  else if constexpr (Op == Arg::Rsh) a = v < 32 ? a >> v : 0;
  else static_assert(Op == Arg::Add, "not an alu operation");
  return true;
}

template <Arg Cond>
inline bool test(uint32_t a, uint32_t v) {
  if constexpr (Cond == Arg::Eq) return a == v;
  else if constexpr (Cond == Arg::Gt) return a > v;
  else if constexpr (Cond == Arg::Ge) return a >= v;
  else return (a & v) != 0;
}

// One statement per shape; `in` is the current instruction, A and X the
// registers, `mem` the scratch cells, `pc` the index of `in`.
#define SIFT_VM_LoadImm(R) R = in.k;
#define SIFT_VM_LoadAbs(S) if (!loadAt<Arg::S>(pkt, len, in.k, A)) return 0;
#define SIFT_VM_LoadInd(S) if (!loadAt<Arg::S>(pkt, len, uint64_t(X) + in.k, A)) return 0;
#define SIFT_VM_LoadMem(R) R = mem[in.k];
#define SIFT_VM_LoadLen(R) R = wireLength;
#define SIFT_VM_LoadMsh(S)                                        \
  {                                                               \
    uint32_t byte;                                                \
    if (!loadAt<Arg::S>(pkt, len, in.k, byte)) return 0;          \
    X = (byte & 0xf) << 2;                                        \
  }
#define SIFT_VM_Store(R) mem[in.k] = R;
#define SIFT_VM_AluK(Op) if (!alu<Arg::Op>(A, in.k)) return 0;
#define SIFT_VM_AluX(Op) if (!alu<Arg::Op>(A, X)) return 0;
#define SIFT_VM_Negate(None) A = 0u - A;
#define SIFT_VM_Jump(None)                                                      \
  if (in.k >= 0x80000000u && ++backwardJumps > kBackwardJumpBudget) return 0;  \
  pc += in.k;
#define SIFT_VM_JumpK(C) pc += test<Arg::C>(A, in.k) ? in.jt : in.jf;
#define SIFT_VM_JumpX(C) pc += test<Arg::C>(A, X) ? in.jt : in.jf;
#define SIFT_VM_ReturnK(None) return in.k;
#define SIFT_VM_ReturnReg(R) return R;
#define SIFT_VM_Move(R) moveInto##R(A, X);

inline void moveIntoX(uint32_t a, uint32_t& x) { x = a; }
inline void moveIntoA(uint32_t& a, uint32_t x) { a = x; }

}  // namespace

uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength) {
  const bpf::Insn* prog = p.insns().data();
  const uint8_t* pkt = packet.data();
  const size_t len = packet.size();
  uint32_t A = 0, X = 0;
  uint32_t mem[bpf::kMemWords] = {};
  uint32_t backwardJumps = 0;
  // 32-bit pc: a libpcap-profile ja wraps around exactly as libpcap's does.
  for (uint32_t pc = 0;; ++pc) {
    const bpf::Insn& in = prog[pc];
    switch (in.code) {
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, ArgV, ...) \
  case Code: {                                              \
    SIFT_VM_##Shape(ArgV)                                   \
  } break;
#include "bpf/opcodes.def"
      default:
        return 0;  // unreachable: validated programs hold known codes only
    }
  }
}

}  // namespace sift::vm
