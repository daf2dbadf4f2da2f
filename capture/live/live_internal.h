// Pieces the live-capture backends share: the filter they install (and
// the one they fall back to in userspace), and the userspace filter.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "sift/bpf.h"
#include "sift/jit.h"
#include "sift/live.h"
#include "sift/vm.h"

namespace sift::live::detail {

/// The programs a backend needs for one capture.
struct FilterPlan {
  bool any = false;          // false: capture everything
  bpf::Program kernel;       // for the kernel (ancillary loads allowed)
  bpf::Program userspace;    // for a userspace engine (no ancillary loads)
};

/// Compiles options.filter for `linktype` twice (for the kernel with
/// liveLinuxSocket, for userspace without), or takes options.program as
/// both. `live` is false when the target is not a Linux socket.
Expected<FilterPlan> planFilter(const OpenOptions& options, uint32_t linktype, bool live);

/// Runs a program over packets in userspace: the JIT when allowed and
/// available, else the interpreter.
class UserspaceFilter {
 public:
  static Expected<UserspaceFilter> make(const bpf::Program& program, bool allowJit);
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const;
  bool usesJit() const { return jit_ != nullptr; }

 private:
  std::shared_ptr<const vm::Prepared> program_;  // decoded once, shared by copies
  std::shared_ptr<jit::CompiledFilter> jit_;
};

Expected<std::unique_ptr<Source>> openNative(const OpenOptions& options);
Expected<std::unique_ptr<Source>> openSystem(const OpenOptions& options, const std::string& path);
Expected<std::vector<InterfaceInfo>> listNative();
Expected<std::vector<InterfaceInfo>> listSystem(const std::string& path);

/// The cooked-mode (LINUX_SLL) program rewritten for a SOCK_DGRAM socket,
/// whose filter sees the packet from the network header on: offsets past
/// the 16-byte header move down, header fields become ancillary loads.
/// Absent when some load cannot be translated.
std::optional<bpf::Program> rewriteForCooked(const bpf::Program& program);

}  // namespace sift::live::detail
