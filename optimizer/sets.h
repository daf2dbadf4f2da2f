// Set-membership chains, shared by group-sets (size first, in the fixed
// point loop) and search-sets (speed first, once after it).
#pragma once

#include <functional>
#include <vector>

#include "optimizer/analyses.h"
#include "optimizer/values.h"

namespace sift::optimizer {

/// What the set passes know about one block.
struct SetLeaf {
  ValueId value = 0;      // the value in A when the block tests it
  bool isTest = false;    // ends in jeq #k with two distinct exits
  bool movable = false;   // a test whose statements write only A and cannot reject
  bool head = false;      // a test whose statements write only A (they may reject)
  bool singlePred = false;
};

/// The constants one value is compared with, and how to compute it.
struct SetGroup {
  ValueId value;
  std::vector<bpf::Insn> stmts;    // recomputes the value into A
  std::vector<uint32_t> constants; // sorted, unique
};

struct SetRange {
  uint32_t lo, hi;
};

std::vector<SetLeaf> findSetLeaves(const ir::Program& p, Analyses& analyses);
/// Maximal chains of movable tests sharing the block they jump to on a match.
std::vector<std::vector<ir::BlockId>> findSetChains(const ir::Program& p, Analyses& analyses,
                                                    const std::vector<SetLeaf>& leaves);
std::vector<SetGroup> groupChain(const ir::Program& p, const std::vector<SetLeaf>& leaves,
                                 const std::vector<ir::BlockId>& chain);
/// Sorted constants as ranges; runs shorter than `minRun` stay single values.
std::vector<SetRange> toRanges(const std::vector<uint32_t>& sorted, size_t minRun);

using GroupBuilder = std::function<ir::BlockId(ir::Program&, const SetGroup&, ir::BlockId match, ir::BlockId next)>;
ir::BlockId buildGroups(ir::Program& p, const std::vector<SetGroup>& groups, ir::BlockId match, ir::BlockId miss,
                        const GroupBuilder& build);
/// A balanced search over sorted ranges; the first block gets `stmts`.
ir::BlockId buildSearch(ir::Program& p, std::vector<bpf::Insn> stmts, const std::vector<SetRange>& ranges,
                        ir::BlockId match, ir::BlockId miss);

}  // namespace sift::optimizer
