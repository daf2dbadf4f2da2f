// Tracing: runs a program like vm::run and records the machine state
// before every instruction, and why the program stopped. For `sift trace`
// and for tests; vm::run itself carries no tracing cost.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "sift/bpf.h"

namespace sift::vm {

/// Why a run ended.
enum class StopReason : uint8_t {
  Return,          // a ret instruction; the result is its value
  OutOfBounds,     // a packet load past the captured bytes; result 0
  DivisionByZero,  // div x or mod x with X == 0; result 0
  LoopLimit,       // too many backward jumps (libpcap would hang); result 0
};

/// The registers just before the instruction at `pc` runs.
struct TraceStep {
  uint32_t pc = 0;
  uint32_t a = 0;
  uint32_t x = 0;
};

struct Trace {
  std::vector<TraceStep> steps;  // in execution order
  uint32_t result = 0;           // what vm::run returns
  StopReason reason = StopReason::Return;
  uint32_t stopPc = 0;                         // the instruction that ended the run
  std::array<uint32_t, bpf::kMemWords> mem{};  // scratch cells at the end
};

Trace trace(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength);

inline Trace trace(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet) {
  return trace(p, packet, static_cast<uint32_t>(packet.size()));
}

}  // namespace sift::vm
