// Engines behind `sift -r --engine`: the interpreter always, the JIT when
// the build links sift_jit (SIFT_CLI_HAVE_JIT) and the backend says it is
// available at run time.
#include "cli/engine.h"

#include "sift/vm.h"
#if SIFT_CLI_HAVE_JIT
#include "sift/jit.h"
#endif

namespace sift::cli {
namespace {

class VmFilter final : public PacketFilter {
 public:
  explicit VmFilter(bpf::ValidatedProgram program) : program_(std::move(program)) {}
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const override {
    return vm::run(program_, packet, wireLength);
  }

 private:
  bpf::ValidatedProgram program_;
};

#if SIFT_CLI_HAVE_JIT
class JitFilter final : public PacketFilter {
 public:
  explicit JitFilter(std::unique_ptr<jit::CompiledFilter> compiled) : compiled_(std::move(compiled)) {}
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const override {
    return compiled_->run(packet, wireLength);
  }

 private:
  std::unique_ptr<jit::CompiledFilter> compiled_;
};
#endif

}  // namespace

Expected<std::unique_ptr<PacketFilter>> makePacketFilter(Engine engine, bpf::ValidatedProgram program) {
  if (engine == Engine::Vm) return std::unique_ptr<PacketFilter>(new VmFilter(std::move(program)));
#if SIFT_CLI_HAVE_JIT
  if (!jit::available()) return Diagnostic::error("the 'jit' engine is not available in this build (use '--engine vm')");
  auto compiled = jit::compile(program);
  if (!compiled) return compiled.takeError();
  return std::unique_ptr<PacketFilter>(new JitFilter(std::move(compiled.value())));
#else
  return Diagnostic::error("the 'jit' engine is not available in this build (use '--engine vm')");
#endif
}

const char* availableEngines() {
#if SIFT_CLI_HAVE_JIT
  return jit::available() ? "vm, jit" : "vm";
#else
  return "vm";
#endif
}

}  // namespace sift::cli
