// The JIT: compiles a validated classic BPF program to native code.
//
// jit::compile translates a bpf::ValidatedProgram to LLVM IR, optimizes it
// and hands it to an ORC LLJIT, which returns a native function with
// exactly the interpreter's semantics (libpcap's bpf_filter: A and X start
// at 0, scratch memory starts zeroed, a load outside the captured bytes
// returns 0, division or modulo by X == 0 returns 0, shifts by 32 or more
// give 0, `ld #pktlen` is the wire length).
//
// Compile once, run from any number of threads: the generated function
// keeps A, X and the scratch cells in locals, so concurrent calls on one
// CompiledFilter never interfere. Each CompiledFilter owns its own LLJIT
// instance; destroying the filter frees its code.
//
// Tiering (CompileOptions::tierUp): compile() returns as soon as the
// quick level is ready, and the filter recompiles itself at O2 on a
// thread of its own; when that code is ready, run() switches to it with
// one atomic store. Calls never wait and never see a half-built function;
// the quick code stays alive until the filter is destroyed, which waits
// for (or cancels) a recompile still running.
//
// The JIT is optional at build time (CMake option SIFT_WITH_LLVM). In a
// build without LLVM, available() is false and compile() returns the
// Diagnostic "JIT not available in this build"; callers then use
// vm::run, which gives the same results. See docs/jit.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift::jit {

/// True when this build has a working JIT backend for the host.
bool available();

/// How hard the JIT works on the code it emits.
enum class OptLevel : uint8_t {
  O0,  // no IR passes, fast instruction selection and register allocation
  O1,  // SROA, CSE, CFG cleanup; fast instruction selection, optimizing register allocation (the default)
  O2,  // O1 plus instcombine, constraint elimination, GVN and jump threading, full code generation
};

struct CompileOptions {
  OptLevel optLevel = OptLevel::O1;
  /// Tiering, for long captures: after compiling at optLevel (when it is
  /// below O2), recompile at O2 in the background and switch to that code
  /// when it is ready. compile() takes no longer; see CompiledFilter::level().
  bool tierUp = false;
  /// Keep the textual LLVM IR (after optimization) in CompiledFilter::ir(),
  /// for `--print-ir`-style debugging and tests.
  bool keepIr = false;
};

/// Where a compile spent its time.
struct CompileStats {
  std::chrono::nanoseconds buildIr{0};   // cBPF -> LLVM IR
  std::chrono::nanoseconds optimize{0};  // the new pass manager pipeline
  std::chrono::nanoseconds codegen{0};   // LLJIT setup, instruction selection, linking
  std::chrono::nanoseconds total() const { return buildIr + optimize + codegen; }
};

class CompiledFilter;

/// Compiles `program` to native code. Errors (no JIT in this build, an
/// LLVM failure) come back as a Diagnostic whose message starts "JIT ".
Expected<std::unique_ptr<CompiledFilter>> compile(const bpf::ValidatedProgram& program,
                                                  const CompileOptions& options = {});

/// A compiled filter: an immutable native function and the JIT that owns
/// its code. Thread-safe to run concurrently; not copyable.
class CompiledFilter {
 public:
  /// The native entry point: packet bytes, captured length, wire length.
  using Function = uint32_t (*)(const uint8_t* packet, uint32_t capturedLength,
                                uint32_t wireLength);

  ~CompiledFilter();
  CompiledFilter(const CompiledFilter&) = delete;
  CompiledFilter& operator=(const CompiledFilter&) = delete;

  /// Runs the filter over `packet` (the captured bytes); `wireLength` is
  /// the packet's original length, what `ld #pktlen` sees. Returns what
  /// the program returns: 0 rejects, anything else is the snap length.
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const {
    return function()(packet.data(), clampLength(packet.size()), wireLength);
  }
  /// The same, with the wire length equal to the captured length.
  uint32_t run(std::span<const uint8_t> packet) const {
    return run(packet, clampLength(packet.size()));
  }

  /// The entry point run() calls now (it changes once, on tier-up).
  Function function() const { return function_.load(std::memory_order_acquire); }
  /// The level of the code function() returns.
  OptLevel level() const { return level_.load(std::memory_order_acquire); }
  /// Waits until a tier-up started by compile() has finished and returns
  /// level(): O2 once it has switched, the first level if there was no
  /// tier-up or it failed (tierUpError() says why). Call it from the
  /// filter's owner, not from several threads at once.
  OptLevel waitForTierUp();
  /// Why the background recompile failed (empty if it did not); valid
  /// after waitForTierUp().
  const std::string& tierUpError() const { return tierUpError_; }
  /// The first compile's stages.
  const CompileStats& stats() const { return stats_; }
  /// The background recompile's stages; valid after waitForTierUp()
  /// returned O2.
  const CompileStats& tierUpStats() const { return tierUpStats_; }
  /// The optimized LLVM IR, when CompileOptions::keepIr was set.
  const std::string& ir() const { return ir_; }
  /// Number of cBPF instructions compiled.
  size_t programSize() const { return programSize_; }

  struct Impl;  // the backend's state (the LLJIT instance)

 private:
  friend Expected<std::unique_ptr<CompiledFilter>> compile(const bpf::ValidatedProgram&,
                                                           const CompileOptions&);
  CompiledFilter(std::unique_ptr<Impl> impl, Function function);

  static uint32_t clampLength(size_t n) {
    return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
  }

  std::unique_ptr<Impl> impl_;
  std::atomic<Function> function_;
  std::atomic<OptLevel> level_{OptLevel::O0};
  CompileStats stats_;
  CompileStats tierUpStats_;
  std::string tierUpError_;
  std::string ir_;
  size_t programSize_ = 0;
};

}  // namespace sift::jit
