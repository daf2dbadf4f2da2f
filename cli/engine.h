// The engines `sift -r` can run a filter on: the interpreter (vm::run) and,
// in builds that have it, the LLVM JIT. Both take a validated program and
// give the same verdict for every packet.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "cli/options.h"
#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift::cli {

class PacketFilter {
 public:
  virtual ~PacketFilter() = default;
  /// What the program returns for this packet: 0 rejects, otherwise the
  /// number of bytes to keep.
  virtual uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const = 0;
};

/// A filter running `program` on `engine`. Fails only when the engine is
/// not available in this build or cannot compile the program.
Expected<std::unique_ptr<PacketFilter>> makePacketFilter(Engine engine, bpf::ValidatedProgram program);

/// Whether this build (and, for the JIT, this machine) can run `engine`.
bool engineAvailable(Engine engine);
/// "vm", "jit", "libpcap": the engine's name on the command line.
const char* engineName(Engine engine);

/// "vm" or "vm, jit, libpcap": the engines this build offers, for --version.
const char* availableEngines();

}  // namespace sift::cli
