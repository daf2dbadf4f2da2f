// The interpreter: runs a validated classic BPF program over one packet
// with libpcap's bpf_filter semantics exactly (see docs/isa.md):
// A and X start at 0, scratch memory starts zeroed, a load outside the
// captured bytes returns 0, division or modulo by X == 0 returns 0,
// shifts by 32 or more give 0.
#pragma once

#include <cstdint>
#include <span>

#include "sift/bpf.h"

namespace sift::vm {

/// Runs `p` over `packet` (the captured bytes); `wireLength` is the
/// packet's original length, what `len` and `ld #pktlen` see.
uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength);

/// The same, with the wire length equal to the captured length.
inline uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet) {
  return run(p, packet, static_cast<uint32_t>(packet.size()));
}

}  // namespace sift::vm
