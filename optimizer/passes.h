// The optimizer's passes. Each is defined in its own file, which opens with
// what it does, what it requires and what it preserves. A pass reads the
// analyses it needs from `analyses` (which describe the program as it was
// when the pass started) and says what it changed.
#pragma once

#include <cstdint>

#include "ir/ir.h"
#include "optimizer/analyses.h"

namespace sift::optimizer {

/// An instruction as one comparable key (code, jt, jf and k).
inline uint64_t packInsn(const bpf::Insn& i) {
  return (uint64_t{i.code} << 48) | (uint64_t{i.jt} << 40) | (uint64_t{i.jf} << 32) | i.k;
}

/// Absolute offsets from here up (SKF_AD_OFF, SKF_NET_OFF, SKF_LL_OFF and
/// negative ones) are what Linux reads as ancillary data, not packet bytes.
inline constexpr uint32_t kKernelOffsets = 0x80000000u;

/// A block that is `ret #0`.
inline bool isRejectReturn(const ir::Block& b) {
  return b.termKind == ir::TermKind::Return && b.term.code == 0x06 && b.term.k == 0;
}

enum class Change : uint8_t {
  None,        // the program is unchanged
  Statements,  // statements or tests changed; every edge is where it was
  Settled,     // as Statements, and the same pass run again at once would
               // change nothing (checked when verifying)
  Edges,       // anything may have changed: edges, blocks, block numbers
};

/// thread_jumps.cpp
Change threadJumps(ir::Program& program, Analyses& analyses);
/// simplify_blocks.cpp
Change simplifyBlocks(ir::Program& program, Analyses& analyses);
/// merge_blocks.cpp
Change mergeBlocks(ir::Program& program, Analyses& analyses);
/// fold_reject_tails.cpp
Change foldRejectTails(ir::Program& program, Analyses& analyses);
/// hoist_tests.cpp
Change hoistTests(ir::Program& program, Analyses& analyses);
/// group_sets.cpp
Change groupSets(ir::Program& program, Analyses& analyses);
/// group_sets.cpp: the speed-first form (balanced search), run once
Change searchSets(ir::Program& program, Analyses& analyses);
/// share_shifted_tails.cpp: run once, after the fixed point
Change shareShiftedTails(ir::Program& program, Analyses& analyses);
/// narrow_loads.cpp: run once, after the fixed point
Change narrowLoads(ir::Program& program, Analyses& analyses);
/// share_suffixes.cpp: run once, last
Change shareSuffixes(ir::Program& program, Analyses& analyses);
/// remove_unreachable.cpp
Change removeUnreachable(ir::Program& program, Analyses& analyses);
/// The same, for callers without analyses; true when blocks were removed.
bool removeUnreachable(ir::Program& program);

}  // namespace sift::optimizer
