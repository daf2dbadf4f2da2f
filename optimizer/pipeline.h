// The optimizer's pass pipeline.
//
// Passes are listed in one place (pipeline.cpp) in the order they run.
// In debug builds and tests the IR verifier runs after every pass and names
// the pass that broke an invariant. The loop over the pass list ends on a
// real fixed point: a full round that does not make the program's measure
// (block and instruction counts, then the number of paths) strictly
// smaller; a pass must never make the size grow, and the pipeline reports
// it as a bug if one does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "sift/diagnostics.h"

namespace sift::optimizer {

/// What one pass did, for --stats.
struct PassStats {
  std::string pass;
  size_t runs = 0;
  size_t blocksRemoved = 0;
  size_t insnsRemoved = 0;
};

struct Options {
  int level = 1;        // 0: no passes, 1: size first, 2: speed
  bool verify = false;  // run the IR verifier after every pass
  /// Called after each pass with its name and the program (--print-after).
  std::function<void(const std::string& pass, const ir::Program&)> afterPass;
  std::vector<PassStats>* stats = nullptr;
};

/// The names of the passes at `level`, in order.
std::vector<std::string> passNames(int level);

/// Runs the pipeline. A loop inside a block (protochain's header walk) goes
/// through the passes as one statement and comes out as it went in; a loop
/// that reads a scratch cell before writing it leaves the whole program
/// unchanged. Fails only on an internal error (a pass broke the IR or made
/// the program larger), reported with the pass's name.
Status optimize(ir::Program& program, const Options& options);

/// The size measure the fixed point is taken on.
size_t measure(const ir::Program& program);
/// The number of paths from the entry to a return (saturating at
/// UINT64_MAX), given the program's reverse post-order: the fixed point's
/// second measure, after the size.
uint64_t pathCount(const ir::Program& program, const std::vector<ir::BlockId>& rpo);

}  // namespace sift::optimizer
