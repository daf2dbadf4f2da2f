// The null backend of the JIT, built when LLVM is off or missing.
//
// available() is false and compile() always returns the Diagnostic
// "JIT not available in this build", so callers fall back to vm::run,
// which has the same semantics. No CompiledFilter is ever made here; the
// class's out-of-line members exist only so the library links.
#include "sift/jit.h"

namespace sift::jit {

struct CompiledFilter::Impl {};

CompiledFilter::CompiledFilter(std::unique_ptr<Impl> impl, Function function)
    : impl_(std::move(impl)), function_(function) {}

CompiledFilter::~CompiledFilter() = default;

OptLevel CompiledFilter::waitForTierUp() { return level(); }

bool available() { return false; }

Expected<std::unique_ptr<CompiledFilter>> compile(const bpf::ValidatedProgram&,
                                                  const CompileOptions&) {
  return Diagnostic::error("JIT not available in this build")
      .note("rebuild with -DSIFT_WITH_LLVM=ON and llvm-19-dev installed, or use the interpreter");
}

}  // namespace sift::jit
