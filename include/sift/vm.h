// The interpreter: runs a validated classic BPF program over one packet
// with libpcap's bpf_filter semantics exactly (see docs/isa.md):
// A and X start at 0, scratch memory starts zeroed, a load outside the
// captured bytes returns 0, division or modulo by X == 0 returns 0,
// shifts by 32 or more give 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sift/bpf.h"

namespace sift::vm {

/// Runs `p` over `packet` (the captured bytes); `wireLength` is the
/// packet's original length, what `len` and `ld #pktlen` see.
uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet, uint32_t wireLength);

/// The same, with the wire length equal to the captured length.
inline uint32_t run(const bpf::ValidatedProgram& p, std::span<const uint8_t> packet) {
  return run(p, packet, static_cast<uint32_t>(packet.size()));
}

/// A program decoded once for many runs: the fastest way to run one filter
/// over many packets in userspace, with exactly vm::run's results.
///
/// Decoding does once what the validator has proven need not be done per
/// packet: every code becomes a handler index (no table lookup per step),
/// every jump an absolute step index. It also fuses the commonest pairs,
/// a packet load followed by a conditional jump against a constant, into
/// one step, and turns a chain of four or more `jeq #k` whose false
/// branches fall through to the next (the shape of `host a or host b or
/// ...` and of port lists) into one binary search over the sorted
/// constants. The original instructions stay decodable at every pc, so a
/// jump into the middle of a fused pair or a chain runs them one by one.
/// Immutable once built: run it from any number of threads.
class Prepared {
 public:
  explicit Prepared(const bpf::ValidatedProgram& program);

  /// Runs the program over `packet` (the captured bytes); `wireLength` is
  /// the packet's original length, what `len` and `ld #pktlen` see.
  uint32_t run(std::span<const uint8_t> packet, uint32_t wireLength) const;
  uint32_t run(std::span<const uint8_t> packet) const {
    return run(packet, static_cast<uint32_t>(packet.size()));
  }

  /// What decoding did, for tests and `sift bench`.
  struct Shape {
    size_t steps = 0;         // one per instruction
    size_t fusedJumps = 0;    // load + conditional jump pairs fused
    size_t searchChains = 0;  // jeq chains turned into a binary search
    size_t chainedConstants = 0;
    size_t returnExits = 0;   // tests whose false exit (or both) return at once
  };
  const Shape& shape() const { return shape_; }

  /// One decoded instruction (the layout is private to vm/).
  struct Step {
    uint16_t handler = 0;  // index into the interpreter's handler table
    uint16_t unused = 0;
    uint32_t k = 0;        // the operand
    uint32_t k2 = 0;       // fused steps: the jump's constant; chains: the table
    uint32_t jt = 0;       // absolute step index taken when the test holds (ja: the target),
                           // or the value returned there (exit form RetB)
    uint32_t jf = 0;       // absolute step index otherwise, or the value returned (RetF, RetB)
  };
  /// A chain of jeq: sorted constants, the step each one jumps to, and
  /// where a value that matches none of them goes.
  struct Chain {
    std::vector<uint32_t> keys;
    std::vector<uint32_t> targets;
    uint32_t otherwise = 0;
  };

 private:
  std::vector<Step> steps_;
  std::vector<Chain> chains_;
  bool readsScratch_ = false;
  Shape shape_;
};

}  // namespace sift::vm
