// The classic BPF interpreter, with libpcap's bpf_filter semantics.
//
// The handlers are generated from bpf/opcodes.def: each table row expands
// to SIFT_VM_<Shape>(<Arg>), a statement of a line or two below. Arg
// tokens name the registers (A, X) directly, or select a template
// instantiation (load size, ALU operation, jump condition). With GCC or
// Clang the handlers are threaded with computed goto (each ends in its own
// dispatch, which branch predictors like); elsewhere, or with
// SIFT_VM_SWITCH_DISPATCH defined, they are the cases of one switch.
//
// The loop is a template over an observer: vm::run uses one that does
// nothing (and compiles away), vm::trace one that records every step.
// The program is a ValidatedProgram, so every code is known, every jump
// lands inside the program, scratch indices are below 16 and the last
// instruction returns.
#include <array>
#include <cstdint>
#include <cstring>

#include "bpf/opcodes.h"
#include "sift/vm.h"
#include "vm/semantics.h"
#include "vm/trace.h"

namespace sift::vm {
namespace {

using bpf::Arg;
using namespace detail;

inline void moveIntoX(uint32_t a, uint32_t& x) { x = a; }
inline void moveIntoA(uint32_t& a, uint32_t x) { a = x; }

// vm::run's observer: nothing to see.
struct NoObserver {
  static void step(uint32_t, uint32_t, uint32_t) {}
  static void stop(StopReason, uint32_t, const uint32_t*) {}
};

// vm::trace's observer.
struct Recorder {
  Trace* trace;
  void step(uint32_t pc, uint32_t a, uint32_t x) { trace->steps.push_back({pc, a, x}); }
  void stop(StopReason reason, uint32_t pc, const uint32_t* mem) {
    trace->reason = reason;
    trace->stopPc = pc;
    std::memcpy(trace->mem.data(), mem, sizeof(uint32_t) * bpf::kMemWords);
  }
};

// One statement per shape; `in` is the current instruction, A and X the
// registers, `mem` the scratch cells, `pc` points at `in`. NEXT() runs
// the instruction after pc, DISPATCH() the one pc points at, STOP() ends
// the run with a value and a reason.
#define STOP(reason, value)                                 \
  do {                                                      \
    obs.stop(StopReason::reason, uint32_t(pc - prog), mem); \
    return value;                                           \
  } while (0)
#define SIFT_VM_LoadImm(R) R = in.k;
#define SIFT_VM_LoadAbs(S) \
  if (!loadAt<Arg::S>(pkt, len, in.k, A)) STOP(OutOfBounds, 0);
#define SIFT_VM_LoadInd(S) \
  if (!loadAt<Arg::S>(pkt, len, uint64_t(X) + in.k, A)) STOP(OutOfBounds, 0);
#define SIFT_VM_LoadMem(R) R = mem[in.k];
#define SIFT_VM_LoadLen(R) R = wireLength;
#define SIFT_VM_LoadMsh(S)                                           \
  {                                                                  \
    uint32_t byte;                                                   \
    if (!loadAt<Arg::S>(pkt, len, in.k, byte)) STOP(OutOfBounds, 0); \
    X = (byte & 0xf) << 2;                                           \
  }
#define SIFT_VM_Store(R) mem[in.k] = R;
#define SIFT_VM_AluK(Op) \
  if (!alu<Arg::Op>(A, in.k)) STOP(DivisionByZero, 0);
#define SIFT_VM_AluX(Op) \
  if (!alu<Arg::Op>(A, X)) STOP(DivisionByZero, 0);
#define SIFT_VM_Negate(None) A = 0u - A;
// The target is computed in 32 bits, so a libpcap-profile ja whose k
// wraps around lands where libpcap's sign-extended jump does.
#define SIFT_VM_Jump(None)                                                              \
  if (in.k >= 0x80000000u && ++backwardJumps > kBackwardJumpBudget) STOP(LoopLimit, 0); \
  pc = prog + static_cast<uint32_t>((pc - prog) + 1 + in.k);                            \
  DISPATCH();
#define SIFT_VM_JumpK(C)       \
  if (test<Arg::C>(A, in.k)) { \
    pc += in.jt;               \
    NEXT();                    \
  }                            \
  pc += in.jf;
#define SIFT_VM_JumpX(C)    \
  if (test<Arg::C>(A, X)) { \
    pc += in.jt;            \
    NEXT();                 \
  }                         \
  pc += in.jf;
#define SIFT_VM_ReturnK(None) STOP(Return, in.k);
#define SIFT_VM_ReturnReg(R) STOP(Return, R);
#define SIFT_VM_Move(R) moveInto##R(A, X);

#if defined(__GNUC__) && !defined(SIFT_VM_SWITCH_DISPATCH)
#define SIFT_VM_THREADED 1
// Code -> position in the table (the handler's slot); unknown codes get
// the slot after the last, which is never reached for validated programs.
constexpr uint16_t kCodes[] = {
#define SIFT_BPF_OP(Name, Code, ...) Code,
#include "bpf/opcodes.def"
};
constexpr std::array<uint8_t, 256> makeSlots() {
  std::array<uint8_t, 256> slots{};
  for (auto& s : slots) s = static_cast<uint8_t>(std::size(kCodes));
  for (size_t i = 0; i < std::size(kCodes); ++i) slots[kCodes[i]] = static_cast<uint8_t>(i);
  return slots;
}
constexpr auto kSlot = makeSlots();
#endif

template <class Observer>
uint32_t execute(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength,
                 Observer& obs) {
  const bpf::Insn* prog = p.insns().data();
  const uint8_t* pkt = packet.data();
  const size_t len = packet.size();
  uint32_t A = 0, X = 0;
  uint32_t mem[bpf::kMemWords] = {};
  uint32_t backwardJumps = 0;
  const bpf::Insn* pc = prog;
#if SIFT_VM_THREADED
  static const void* const kHandlers[] = {
#define SIFT_BPF_OP(Name, ...) &&op##Name,
#include "bpf/opcodes.def"
      &&unknown};
#define DISPATCH()                           \
  do {                                       \
    obs.step(uint32_t(pc - prog), A, X);     \
    goto* kHandlers[kSlot[pc->code & 0xff]]; \
  } while (0)
#define NEXT()  \
  do {          \
    ++pc;       \
    DISPATCH(); \
  } while (0)
  DISPATCH();
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, ArgV, ...) \
  op##Name : {                                              \
    [[maybe_unused]] const bpf::Insn& in = *pc;             \
    SIFT_VM_##Shape(ArgV)                                   \
  }                                                         \
  NEXT();
#include "bpf/opcodes.def"
unknown:
  STOP(Return, 0);  // unreachable: validated programs hold known codes only
#else
#define DISPATCH() continue
#define NEXT() \
  {            \
    ++pc;      \
    continue;  \
  }
  for (;;) {
    const bpf::Insn& in = *pc;
    obs.step(uint32_t(pc - prog), A, X);
    switch (in.code) {
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, ArgV, ...) \
  case Code: {                                              \
    SIFT_VM_##Shape(ArgV)                                   \
  }                                                         \
    NEXT();
#include "bpf/opcodes.def"
      default:
        STOP(Return, 0);  // unreachable: validated programs hold known codes only
    }
  }
#endif
}

}  // namespace

uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength) {
  NoObserver obs;
  return execute(p, packet, wireLength, obs);
}

Trace trace(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength) {
  Trace t;
  Recorder obs{&t};
  t.result = execute(p, packet, wireLength, obs);
  return t;
}

}  // namespace sift::vm
