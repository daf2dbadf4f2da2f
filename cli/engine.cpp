// Engines behind `sift -r --engine` and `sift bench`: the interpreter
// always, the JIT when the build links sift_jit (SIFT_CLI_HAVE_JIT) and the
// backend says it is available at run time, and libpcap's bpf_filter() when
// the build found libpcap (SIFT_CLI_HAVE_LIBPCAP).
#include "cli/engine.h"

#include <cstddef>
#include <vector>

#include "sift/vm.h"
#if SIFT_CLI_HAVE_JIT
#include "sift/jit.h"
#endif
#if SIFT_CLI_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

namespace sift::cli {
namespace {

class VmFilter final : public PacketFilter {
 public:
  explicit VmFilter(const bpf::ValidatedProgram& program) : program_(program) {}
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const override {
    return program_.run(packet, wireLength);
  }

 private:
  vm::Prepared program_;
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

#if SIFT_CLI_HAVE_LIBPCAP
static_assert(sizeof(bpf::Insn) == sizeof(struct bpf_insn));
static_assert(offsetof(bpf::Insn, code) == offsetof(struct bpf_insn, code));
static_assert(offsetof(bpf::Insn, jt) == offsetof(struct bpf_insn, jt));
static_assert(offsetof(bpf::Insn, jf) == offsetof(struct bpf_insn, jf));
static_assert(offsetof(bpf::Insn, k) == offsetof(struct bpf_insn, k));

/// libpcap's own interpreter running sift's program, as a program given to
/// pcap_setfilter() would run in a userspace capture.
class LibpcapFilter final : public PacketFilter {
 public:
  explicit LibpcapFilter(bpf::ValidatedProgram program) : program_(std::move(program)) {}
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const override {
    auto* insns = reinterpret_cast<const struct bpf_insn*>(program_.insns().data());
    return bpf_filter(insns, packet.data(), wireLength, static_cast<u_int>(packet.size()));
  }

 private:
  bpf::ValidatedProgram program_;
};
#endif

}  // namespace

bool engineAvailable(Engine engine) {
  switch (engine) {
    case Engine::Vm: return true;
    case Engine::Jit:
#if SIFT_CLI_HAVE_JIT
      return jit::available();
#else
      return false;
#endif
    case Engine::Libpcap:
#if SIFT_CLI_HAVE_LIBPCAP
      return true;
#else
      return false;
#endif
    case Engine::All: return true;
  }
  return false;
}

const char* engineName(Engine engine) {
  switch (engine) {
    case Engine::Vm: return "vm";
    case Engine::Jit: return "jit";
    case Engine::Libpcap: return "libpcap";
    case Engine::All: return "all";
  }
  return "?";
}

Expected<std::unique_ptr<PacketFilter>> makePacketFilter(Engine engine, bpf::ValidatedProgram program) {
  if (engine == Engine::Vm) return std::unique_ptr<PacketFilter>(new VmFilter(std::move(program)));
  if (engine == Engine::Libpcap) {
#if SIFT_CLI_HAVE_LIBPCAP
    return std::unique_ptr<PacketFilter>(new LibpcapFilter(std::move(program)));
#else
    return Diagnostic::error("the 'libpcap' engine is not available in this build (use '--engine vm')");
#endif
  }
  if (engine == Engine::All) return Diagnostic::error("engine 'all' is only for 'sift bench'");
#if SIFT_CLI_HAVE_JIT
  if (!jit::available()) return Diagnostic::error("the 'jit' engine is not available in this build (use '--engine vm')");
  // Captures are long next to a compile: start on O1 code at once and
  // switch to O2 code when the filter's own thread has built it.
  jit::CompileOptions options;
  options.tierUp = true;
  auto compiled = jit::compile(program, options);
  if (!compiled) return compiled.takeError();
  return std::unique_ptr<PacketFilter>(new JitFilter(std::move(compiled.value())));
#else
  return Diagnostic::error("the 'jit' engine is not available in this build (use '--engine vm')");
#endif
}

const char* availableEngines() {
  bool jit = engineAvailable(Engine::Jit), pcap = engineAvailable(Engine::Libpcap);
  return jit && pcap ? "vm, jit, libpcap" : jit ? "vm, jit" : pcap ? "vm, libpcap" : "vm";
}

}  // namespace sift::cli
