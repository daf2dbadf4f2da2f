// The optimizer's passes. Each is defined in its own file, which opens with
// what it does, what it requires and what it preserves. A pass returns true
// when it changed the program.
#pragma once

#include "ir/ir.h"

namespace sift::optimizer {

/// thread_jumps.cpp
bool threadJumps(ir::Program& program);
/// simplify_blocks.cpp
bool simplifyBlocks(ir::Program& program);
/// merge_blocks.cpp
bool mergeBlocks(ir::Program& program);
/// fold_reject_tails.cpp
bool foldRejectTails(ir::Program& program);
/// group_sets.cpp
bool groupSets(ir::Program& program);
/// group_sets.cpp: the speed-first form (balanced search), run once
bool searchSets(ir::Program& program);
/// remove_unreachable.cpp
bool removeUnreachable(ir::Program& program);

}  // namespace sift::optimizer
