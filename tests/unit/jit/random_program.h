// Random valid classic BPF programs and packets for differential tests.
//
// randomProgram draws every opcode of the table (bpf/opcodes.def) with
// forward jumps only, so every program terminates. With `libpcapSafe` the
// program also stays inside what libpcap 1.10.3's bpf_filter runs with
// defined results: every scratch cell is written on every path before it
// is read (1.10.3 leaves scratch uninitialised), constant shifts are below
// 32 (C leaves larger ones undefined) and `ret x` is absent (bpf_filter
// aborts on it). Without it the program may use all of the above, which is
// fine for comparing sift's own engines.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "sift/bpf.h"

namespace sift::jittest {

using Rng = std::mt19937_64;

struct RandomProgramOptions {
  size_t minLength = 2;
  size_t maxLength = 40;
  bool libpcapSafe = true;
};

bpf::Program randomProgram(Rng& rng, const RandomProgramOptions& options = {});

struct RandomPacket {
  std::vector<uint8_t> bytes;  // the captured bytes
  uint32_t wireLength = 0;     // >= bytes.size(); larger for a truncated capture
};

/// A packet of up to `maxLength` captured bytes, sometimes truncated
/// (wire length larger than the capture), sometimes empty.
RandomPacket randomPacket(Rng& rng, size_t maxLength = 96);

}  // namespace sift::jittest
