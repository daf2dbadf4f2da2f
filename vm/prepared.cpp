// The decoded interpreter behind vm::Prepared: the program is decoded once
// (handler indices, absolute jump targets, fused load + jump pairs, jeq
// chains as binary searches) and then run per packet with no decoding
// left to do. Results are vm::run's, packet for packet; tests/unit/vm
// compares the two (and libpcap's bpf_filter) on random programs.
//
// Handler indices: first one per row of bpf/opcodes.def, in table order
// (so the plain handlers are generated from the table, as in
// interpreter.cpp), then the fused load + jump handlers (absolute or
// indirect load, of 4, 2 or 1 bytes, then jeq/jgt/jge/jset against a
// constant) in three exit forms, then the return forms of the plain
// jumps against a constant, then the jeq-chain search.
//
// Exit forms. Most tests have a `ret` on one side (the reject at the end
// of every failing path) or on both (a filter's last test): a step whose
// false exit is a `ret #k` (form RetF) holds that k in place of the step
// index and returns it at once, and one whose exits are both returns
// (RetB) returns one of the two values without a jump. Either saves the
// dispatch to the return step, once per packet.
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

// The fused handlers, in index order: exit form (Go, RetF, RetB) x mode
// (Abs, Ind) x size (W, H, B) x condition (Eq, Gt, Ge, Set).
#define SIFT_PVM_FUSED_SIZE(F, Form, Mode, S) \
  F(Form, Mode, S, Eq) F(Form, Mode, S, Gt) F(Form, Mode, S, Ge) F(Form, Mode, S, Set)
#define SIFT_PVM_FUSED_MODE(F, Form, Mode) \
  SIFT_PVM_FUSED_SIZE(F, Form, Mode, W) SIFT_PVM_FUSED_SIZE(F, Form, Mode, H) SIFT_PVM_FUSED_SIZE(F, Form, Mode, B)
#define SIFT_PVM_FUSED_FORM(F, Form) SIFT_PVM_FUSED_MODE(F, Form, Abs) SIFT_PVM_FUSED_MODE(F, Form, Ind)
#define SIFT_PVM_FUSED(F) SIFT_PVM_FUSED_FORM(F, Go) SIFT_PVM_FUSED_FORM(F, RetF) SIFT_PVM_FUSED_FORM(F, RetB)
// The return forms of a plain jump against a constant: form x condition.
#define SIFT_PVM_JUMPRET_FORM(F, Form) F(Form, Eq) F(Form, Gt) F(Form, Ge) F(Form, Set)
#define SIFT_PVM_JUMPRET(F) SIFT_PVM_JUMPRET_FORM(F, RetF) SIFT_PVM_JUMPRET_FORM(F, RetB)

// Handler indices, generated from the opcode table and the fused list.
enum Handler : uint16_t {
#define SIFT_BPF_OP(Name, ...) h##Name,
#include "bpf/opcodes.def"
#define SIFT_PVM_ENUM(Form, Mode, S, C) hFused##Form##Mode##S##C,
  SIFT_PVM_FUSED(SIFT_PVM_ENUM)
#undef SIFT_PVM_ENUM
#define SIFT_PVM_ENUM(Form, C) hJump##Form##C,
  SIFT_PVM_JUMPRET(SIFT_PVM_ENUM)
#undef SIFT_PVM_ENUM
  hChain,
};
constexpr uint16_t kFirstFused = hFusedGoAbsWEq;
constexpr uint16_t kFusedPerForm = hFusedRetFAbsWEq - hFusedGoAbsWEq;
constexpr uint16_t kFirstJumpRet = hJumpRetFEq;
constexpr uint16_t kJumpRetPerForm = hJumpRetBEq - hJumpRetFEq;
enum Form : uint16_t { kGo = 0, kRetF = 1, kRetB = 2 };

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

  // Exit forms (see the top of the file), decided from each step's own
  // targets; steps are only read as targets here, so the order is free.
  auto isReturn = [&](uint32_t target) { return info(target).shape == bpf::Shape::ReturnK; };
  for (size_t pc = 0; pc < n; ++pc) {
    Step& s = steps_[pc];
    const bool fused = s.handler >= kFirstFused && s.handler < kFirstFused + kFusedPerForm;
    const bool plain = !fused && s.handler < kFirstFused && info(pc).shape == bpf::Shape::JumpK;
    if (!fused && !plain) continue;
    const Form form = !isReturn(s.jf) ? kGo : isReturn(s.jt) ? kRetB : kRetF;
    if (form == kGo) continue;
    if (form == kRetB) s.jt = insns[s.jt].k;
    s.jf = insns[s.jf].k;
    if (fused) s.handler = static_cast<uint16_t>(s.handler + form * kFusedPerForm);
    else s.handler = static_cast<uint16_t>(kFirstJumpRet + (form - kRetF) * kJumpRetPerForm + condIndex(info(pc).arg));
    ++shape_.returnExits;
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
#define SIFT_PVM_EXIT_Go(cond) GOTO((cond) ? st->jt : st->jf);
#define SIFT_PVM_EXIT_RetF(cond) \
  if (!(cond)) return st->jf;    \
  GOTO(st->jt);
#define SIFT_PVM_EXIT_RetB(cond) return (cond) ? st->jt : st->jf;
#define SIFT_PVM_FUSED_BODY(Form, Mode, S, C)                                            \
  if (!loadAt<Arg::S>(pkt, len, SIFT_PVM_OFFSET_##Mode + st->k, A)) return 0;            \
  SIFT_PVM_EXIT_##Form(test<Arg::C>(A, st->k2))
#define SIFT_PVM_JUMPRET_BODY(Form, C) SIFT_PVM_EXIT_##Form(test<Arg::C>(A, st->k))
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
#define SIFT_PVM_LABEL(Form, Mode, S, C) &&fused##Form##Mode##S##C,
      SIFT_PVM_FUSED(SIFT_PVM_LABEL)
#undef SIFT_PVM_LABEL
#define SIFT_PVM_LABEL(Form, C) &&jump##Form##C,
      SIFT_PVM_JUMPRET(SIFT_PVM_LABEL)
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
#define SIFT_PVM_HANDLER(Form, Mode, S, C) \
  fused##Form##Mode##S##C : {              \
    SIFT_PVM_FUSED_BODY(Form, Mode, S, C)  \
  }
  SIFT_PVM_FUSED(SIFT_PVM_HANDLER)
#undef SIFT_PVM_HANDLER
#define SIFT_PVM_HANDLER(Form, C) \
  jump##Form##C : {               \
    SIFT_PVM_JUMPRET_BODY(Form, C) \
  }
  SIFT_PVM_JUMPRET(SIFT_PVM_HANDLER)
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
#define SIFT_PVM_CASE(Form, Mode, S, C) \
  case hFused##Form##Mode##S##C: {      \
    SIFT_PVM_FUSED_BODY(Form, Mode, S, C) \
  }
      SIFT_PVM_FUSED(SIFT_PVM_CASE)
#undef SIFT_PVM_CASE
#define SIFT_PVM_CASE(Form, C)      \
  case hJump##Form##C: {            \
    SIFT_PVM_JUMPRET_BODY(Form, C)  \
  }
      SIFT_PVM_JUMPRET(SIFT_PVM_CASE)
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
