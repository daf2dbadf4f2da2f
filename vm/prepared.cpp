// The decoded interpreter behind vm::Prepared: the program is decoded once
// (handler indices, absolute jump targets, fused load + jump pairs, jeq
// chains as binary searches) and then run per packet with no decoding
// left to do. Results are vm::run's, packet for packet; tests/unit/vm
// compares the two (and libpcap's bpf_filter) on random programs.
//
// Handler indices: first one per row of bpf/opcodes.def, in table order
// (so the plain handlers are generated from the table, as in
// interpreter.cpp), then the 24 fused load + jump handlers (absolute or
// indirect load, of 4, 2 or 1 bytes, then jeq/jgt/jge/jset against a
// constant), then the jeq-chain search.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "bpf/opcodes.h"
#include "sift/vm.h"
#include "vm/semantics.h"

namespace sift::vm {
namespace {

using bpf::Arg;
using namespace detail;

// The fused handlers, in index order: mode (Abs, Ind) x size (W, H, B) x
// condition (Eq, Gt, Ge, Set).
#define SIFT_PVM_FUSED_SIZE(F, Mode, S) F(Mode, S, Eq) F(Mode, S, Gt) F(Mode, S, Ge) F(Mode, S, Set)
#define SIFT_PVM_FUSED_MODE(F, Mode) \
  SIFT_PVM_FUSED_SIZE(F, Mode, W) SIFT_PVM_FUSED_SIZE(F, Mode, H) SIFT_PVM_FUSED_SIZE(F, Mode, B)
#define SIFT_PVM_FUSED(F) SIFT_PVM_FUSED_MODE(F, Abs) SIFT_PVM_FUSED_MODE(F, Ind)

// Handler indices, generated from the opcode table and the fused list.
enum Handler : uint16_t {
#define SIFT_BPF_OP(Name, ...) h##Name,
#include "bpf/opcodes.def"
#define SIFT_PVM_ENUM(Mode, S, C) hFused##Mode##S##C,
  SIFT_PVM_FUSED(SIFT_PVM_ENUM)
#undef SIFT_PVM_ENUM
  hChain,
};
constexpr uint16_t kFirstFused = hFusedAbsWEq;

// Chains shorter than this stay plain jeq steps: a binary search costs
// about what three compares do.
constexpr size_t kMinChain = 4;

int sizeIndex(Arg a) { return a == Arg::W ? 0 : a == Arg::H ? 1 : 2; }
int condIndex(Arg a) { return a == Arg::Eq ? 0 : a == Arg::Gt ? 1 : a == Arg::Ge ? 2 : 3; }

uint16_t tableHandler(uint16_t code) {
  const auto ops = bpf::allOps();
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].code == code) return static_cast<uint16_t>(i);
  return 0;  // unreachable: the program is validated
}

}  // namespace

Prepared::Prepared(const bpf::ValidatedProgram& program) {
  const std::vector<bpf::Insn>& insns = program.insns();
  const size_t n = insns.size();
  steps_.resize(n);
  shape_.steps = n;
  auto info = [&](size_t pc) -> const bpf::OpInfo& { return *bpf::opInfo(insns[pc].code); };
  for (size_t pc = 0; pc < n; ++pc) {
    const bpf::Insn& in = insns[pc];
    const bpf::OpInfo& op = info(pc);
    Step& s = steps_[pc];
    s.handler = tableHandler(in.code);
    s.k = in.k;
    if (op.readsScratch()) readsScratch_ = true;
    if (op.shape == bpf::Shape::Jump) {
      // 32-bit wrap-around, as vm::run computes it (libpcap profile).
      s.jt = static_cast<uint32_t>(pc + 1 + in.k);
      s.unused = s.jt <= pc ? 1 : 0;  // a backward jump counts against the budget
    } else if (op.isConditional()) {
      s.jt = static_cast<uint32_t>(pc + 1 + in.jt);
      s.jf = static_cast<uint32_t>(pc + 1 + in.jf);
    }
  }

  for (size_t pc = 0; pc < n; ++pc) {
    if (size_t length = bpf::jeqChainLength(insns, pc); length >= kMinChain) {
      Chain chain;
      std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (constant, target), first occurrence wins
      for (size_t m = pc; m < pc + length; ++m) {
        const uint32_t k = insns[m].k;
        if (std::none_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == k; }))
          pairs.emplace_back(k, steps_[m].jt);
      }
      std::sort(pairs.begin(), pairs.end());
      for (const auto& [k, target] : pairs) {
        chain.keys.push_back(k);
        chain.targets.push_back(target);
      }
      chain.otherwise = steps_[pc + length - 1].jf;
      steps_[pc].handler = hChain;
      steps_[pc].k2 = static_cast<uint32_t>(chains_.size());
      chains_.push_back(std::move(chain));
      ++shape_.searchChains;
      shape_.chainedConstants += length;
    }
  }

  for (size_t pc = 0; pc + 1 < n; ++pc) {
    const bpf::OpInfo& load = info(pc);
    const bpf::OpInfo& jump = info(pc + 1);
    if (load.shape != bpf::Shape::LoadAbs && load.shape != bpf::Shape::LoadInd) continue;
    if (jump.shape != bpf::Shape::JumpK || steps_[pc + 1].handler == hChain) continue;
    Step& s = steps_[pc];
    const int mode = load.shape == bpf::Shape::LoadAbs ? 0 : 1;
    s.handler = static_cast<uint16_t>(kFirstFused + mode * 12 + sizeIndex(load.arg) * 4 + condIndex(jump.arg));
    s.k2 = insns[pc + 1].k;
    s.jt = steps_[pc + 1].jt;
    s.jf = steps_[pc + 1].jf;
    ++shape_.fusedJumps;
  }
}

// Handler bodies: `st` points at the current step, NEXT() runs the step
// after it, GOTO(i) step i, and a run ends with `return`.
#define SIFT_PVM_LoadImm(R) R = st->k;
#define SIFT_PVM_LoadAbs(S) \
  if (!loadAt<Arg::S>(pkt, len, st->k, A)) return 0;
#define SIFT_PVM_LoadInd(S) \
  if (!loadAt<Arg::S>(pkt, len, uint64_t(X) + st->k, A)) return 0;
#define SIFT_PVM_LoadMem(R) R = mem[st->k];
#define SIFT_PVM_LoadLen(R) R = wireLength;
#define SIFT_PVM_LoadMsh(S)                                     \
  {                                                             \
    uint32_t byte;                                              \
    if (!loadAt<Arg::S>(pkt, len, st->k, byte)) return 0;       \
    X = (byte & 0xf) << 2;                                      \
  }
#define SIFT_PVM_Store(R) mem[st->k] = R;
#define SIFT_PVM_AluK(Op) \
  if (!alu<Arg::Op>(A, st->k)) return 0;
#define SIFT_PVM_AluX(Op) \
  if (!alu<Arg::Op>(A, X)) return 0;
#define SIFT_PVM_Negate(None) A = 0u - A;
#define SIFT_PVM_Jump(None)                                               \
  if (st->unused && ++backwardJumps > kBackwardJumpBudget) return 0;      \
  GOTO(st->jt);
#define SIFT_PVM_JumpK(C) GOTO(test<Arg::C>(A, st->k) ? st->jt : st->jf);
#define SIFT_PVM_JumpX(C) GOTO(test<Arg::C>(A, X) ? st->jt : st->jf);
#define SIFT_PVM_ReturnK(None) return st->k;
#define SIFT_PVM_ReturnReg(R) return R;
#define SIFT_PVM_Move(R) moveInto##R(A, X);
#define SIFT_PVM_FUSED_BODY(Mode, S, C)                                                  \
  if (!loadAt<Arg::S>(pkt, len, SIFT_PVM_OFFSET_##Mode + st->k, A)) return 0;            \
  GOTO(test<Arg::C>(A, st->k2) ? st->jt : st->jf);
#define SIFT_PVM_OFFSET_Abs uint64_t(0)
#define SIFT_PVM_OFFSET_Ind uint64_t(X)
#define SIFT_PVM_CHAIN_BODY                                                            \
  {                                                                                    \
    const Chain& c = chains[st->k2];                                                   \
    auto it = std::lower_bound(c.keys.begin(), c.keys.end(), A);                       \
    GOTO(it != c.keys.end() && *it == A ? c.targets[size_t(it - c.keys.begin())] : c.otherwise); \
  }

namespace {
inline void moveIntoX(uint32_t a, uint32_t& x) { x = a; }
inline void moveIntoA(uint32_t& a, uint32_t x) { a = x; }
}  // namespace

uint32_t Prepared::run(std::span<const uint8_t> packet, uint32_t wireLength) const {
  const Step* const steps = steps_.data();
  const Chain* const chains = chains_.data();
  const uint8_t* pkt = packet.data();
  const size_t len = packet.size();
  uint32_t A = 0, X = 0;
  uint32_t mem[bpf::kMemWords];
  if (readsScratch_) std::memset(mem, 0, sizeof mem);
  uint32_t backwardJumps = 0;
  const Step* st = steps;
#if defined(__GNUC__) && !defined(SIFT_VM_SWITCH_DISPATCH)
  static const void* const kHandlers[] = {
#define SIFT_BPF_OP(Name, ...) &&op##Name,
#include "bpf/opcodes.def"
#define SIFT_PVM_LABEL(Mode, S, C) &&fused##Mode##S##C,
      SIFT_PVM_FUSED(SIFT_PVM_LABEL)
#undef SIFT_PVM_LABEL
      &&chain};
  static_assert(std::size(kHandlers) == hChain + 1);
#define DISPATCH() goto* kHandlers[st->handler]
#define GOTO(i)       \
  do {                \
    st = steps + (i); \
    DISPATCH();       \
  } while (0)
  DISPATCH();
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, ArgV, ...) \
  op##Name : {                                              \
    SIFT_PVM_##Shape(ArgV)                                  \
  }                                                         \
  ++st;                                                     \
  DISPATCH();
#include "bpf/opcodes.def"
#define SIFT_PVM_HANDLER(Mode, S, C) \
  fused##Mode##S##C : {              \
    SIFT_PVM_FUSED_BODY(Mode, S, C)  \
  }
  SIFT_PVM_FUSED(SIFT_PVM_HANDLER)
#undef SIFT_PVM_HANDLER
chain:
  SIFT_PVM_CHAIN_BODY
#undef DISPATCH
#undef GOTO
#else
#define GOTO(i)       \
  {                   \
    st = steps + (i); \
    continue;         \
  }
  for (;;) {
    switch (st->handler) {
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, ArgV, ...) \
  case h##Name: {                                           \
    SIFT_PVM_##Shape(ArgV)                                  \
  }                                                         \
    ++st;                                                   \
    continue;
#include "bpf/opcodes.def"
#define SIFT_PVM_CASE(Mode, S, C) \
  case hFused##Mode##S##C: {      \
    SIFT_PVM_FUSED_BODY(Mode, S, C) \
  }
      SIFT_PVM_FUSED(SIFT_PVM_CASE)
#undef SIFT_PVM_CASE
      case hChain:
        SIFT_PVM_CHAIN_BODY
      default:
        return 0;  // unreachable: every step has a handler
    }
  }
#undef GOTO
#endif
}

}  // namespace sift::vm
