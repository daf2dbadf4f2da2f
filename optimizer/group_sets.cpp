// Pass: group set-membership tests (size first).
//
// Does: finds chains of equality tests that all jump to the same block on a
//   match and to the next test otherwise, like the ones `host a or host b
//   or ...` and `port 80 or 443 or ...` leave after threading, and reorders
//   them so the tests of one value (one field) come together: the field is
//   loaded once, its constants are tested in ascending order, and runs of
//   three or more consecutive constants become one range test. The first
//   test of a chain keeps its place and its statements (they may be the
//   first load of the field, which can reject): its field's group comes
//   first.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet. Only tests that cannot reject are
//   moved: a test is movable when its statements only write A and every
//   packet load among them has already succeeded on every path to it (so
//   the first test of each field stays where it is, or heads its chain).
//   The blocks on a match and after the last test must not read A.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "optimizer/facts.h"
#include "optimizer/passes.h"
#include "optimizer/sets.h"
#include "optimizer/values.h"

namespace sift::optimizer {

std::vector<SetLeaf> findSetLeaves(const ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  const auto& preds = analyses.preds();
  const auto& idom = analyses.idom();
  const auto& entry = analyses.entry();
  ValueTable& values = analyses.values();
  const size_t n = p.blocks.size();
  std::vector<SetLeaf> leaves(n);


  Facts facts(/*hashing=*/false);
  std::vector<ValueId> rejecting;  // values of the block's statements that may reject
  auto visit = [&](ir::BlockId id) {
    const ir::Block& b = p.blocks[id];
    State s = entry[id];
    bool safe = true, onlyA = true;
    rejecting.clear();
    for (const auto& insn : b.stmts) {
      if (defsOf(insn) & ~bit(kRegA)) onlyA = false;
      // A statement that may reject writes A or X: the registers before
      // it are the ones after it with those two put back.
      const ValueId oldA = s.reg[kRegA], oldX = s.reg[kRegX];
      StepResult r = step(values, s, insn);
      if (!r.mayReject) continue;
      rejecting.push_back(r.value);
      if (facts.succeeded(values, r.value)) continue;
      const ValueId newA = s.reg[kRegA], newX = s.reg[kRegX];
      s.reg[kRegA] = oldA;
      s.reg[kRegX] = oldX;
      if (!available(values, s, r.value)) safe = false;
      s.reg[kRegA] = newA;
      s.reg[kRegX] = newX;
    }
    SetLeaf& leaf = leaves[id];
    leaf.value = s.reg[kRegA];
    leaf.isTest = b.termKind == ir::TermKind::Branch && b.jt != b.jf && b.term.code == 0x15;  // jeq #k
    leaf.movable = leaf.isTest && safe && onlyA;
    leaf.head = leaf.isTest && onlyA;
    leaf.singlePred = preds[id].size() == 1;
    // Loads of this block succeed for everything it dominates.
    for (ValueId v : rejecting) facts.proveSucceeded(values, v);
  };
  walkDominatorTree(p, rpo, idom, facts, visit);
  return leaves;
}

std::vector<std::vector<ir::BlockId>> findSetChains(const ir::Program& p, Analyses& analyses,
                                                    const std::vector<SetLeaf>& leaves) {
  const auto& rpo = analyses.rpo();
  const auto& live = analyses.live();
  std::vector<uint8_t> used(p.blocks.size(), 0);
  std::vector<std::vector<ir::BlockId>> chains;
  std::vector<ir::BlockId> chain;  // the one being followed; copied when kept
  for (ir::BlockId id : rpo) {
    // A chain may start with a test whose load can still reject: its group
    // comes first and its statements run first, as they did.
    if (used[id] || !leaves[id].head) continue;
    const ir::BlockId match = p.blocks[id].jt;
    chain.assign(1, id);
    ir::BlockId cur = id;
    for (;;) {
      ir::BlockId next = p.blocks[cur].jf;
      if (used[next] || !leaves[next].movable || !leaves[next].singlePred || p.blocks[next].jt != match) break;
      chain.push_back(next);
      cur = next;
    }
    for (ir::BlockId b : chain) used[b] = 1;
    const ir::BlockId miss = p.blocks[chain.back()].jf;
    if (chain.size() < 2 || (live[match] & bit(kRegA)) || (live[miss] & bit(kRegA))) continue;
    chains.push_back(chain);
  }
  return chains;
}

std::vector<SetGroup> groupChain(const ir::Program& p, const std::vector<SetLeaf>& leaves,
                                 const std::vector<ir::BlockId>& chain) {
  std::vector<SetGroup> groups;
  std::map<ValueId, size_t> index;
  for (ir::BlockId id : chain) {
    const SetLeaf& leaf = leaves[id];
    auto [it, inserted] = index.emplace(leaf.value, groups.size());
    if (inserted) groups.push_back(SetGroup{leaf.value, p.blocks[id].stmts, {}});
    groups[it->second].constants.push_back(p.blocks[id].term.k);
  }
  for (auto& g : groups) {
    std::sort(g.constants.begin(), g.constants.end());
    g.constants.erase(std::unique(g.constants.begin(), g.constants.end()), g.constants.end());
  }
  return groups;
}

std::vector<SetRange> toRanges(const std::vector<uint32_t>& sorted, size_t minRun) {
  std::vector<SetRange> out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (j - i + 1 >= minRun) {
      out.push_back({sorted[i], sorted[j]});
    } else {
      for (size_t k = i; k <= j; ++k) out.push_back({sorted[k], sorted[k]});
    }
    i = j + 1;
  }
  return out;
}

namespace {

constexpr uint16_t kJeqK = 0x15, kJgtK = 0x25, kJgeK = 0x35;

/// Appends a block and returns its id.
ir::BlockId addBlock(ir::Program& p, ir::Block b) {
  p.blocks.push_back(std::move(b));
  return static_cast<ir::BlockId>(p.blocks.size() - 1);
}

ir::Block branch(std::vector<bpf::Insn> stmts, uint16_t code, uint32_t k, ir::BlockId jt, ir::BlockId jf) {
  ir::Block b;
  b.stmts = std::move(stmts);
  b.termKind = ir::TermKind::Branch;
  b.term = bpf::Insn{code, 0, 0, k};
  b.jt = jt;
  b.jf = jf;
  return b;
}

/// Builds the linear tests of `ranges` (A already holds the value); returns
/// the first block. The first block gets `stmts`.
ir::BlockId buildLinear(ir::Program& p, std::vector<bpf::Insn> stmts, const std::vector<SetRange>& ranges,
                        ir::BlockId match, ir::BlockId miss) {
  ir::BlockId next = miss;
  for (size_t i = ranges.size(); i-- > 0;) {
    const SetRange& r = ranges[i];
    std::vector<bpf::Insn> s = i == 0 ? std::move(stmts) : std::vector<bpf::Insn>{};
    if (r.lo == r.hi) {
      next = addBlock(p, branch(std::move(s), kJeqK, r.lo, match, next));
    } else {
      ir::BlockId hi = addBlock(p, branch({}, kJgtK, r.hi, next, match));
      next = addBlock(p, branch(std::move(s), kJgeK, r.lo, hi, next));
    }
  }
  return next;
}

size_t linearSize(const SetGroup& g, const std::vector<SetRange>& ranges) {
  size_t n = g.stmts.size();
  for (const auto& r : ranges) n += r.lo == r.hi ? 1 : 2;
  return n;
}

}  // namespace

ir::BlockId buildGroups(ir::Program& p, const std::vector<SetGroup>& groups, ir::BlockId match, ir::BlockId miss,
                        const GroupBuilder& build) {
  ir::BlockId next = miss;
  for (size_t i = groups.size(); i-- > 0;) next = build(p, groups[i], match, next);
  return next;
}

namespace {
/// A cheap look for two chained equality tests sharing their match target;
/// without one there is nothing to group.
bool mayHaveChains(const ir::Program& p) {
  for (const auto& b : p.blocks) {
    if (b.termKind != ir::TermKind::Branch || b.jt == b.jf || b.term.code != 0x15) continue;
    const ir::Block& next = p.blocks[b.jf];
    if (next.termKind == ir::TermKind::Branch && next.term.code == 0x15 && next.jt == b.jt && next.jf != next.jt)
      return true;
  }
  return false;
}
}  // namespace

ir::BlockId buildSearch(ir::Program& p, std::vector<bpf::Insn> stmts, const std::vector<SetRange>& ranges,
                        ir::BlockId match, ir::BlockId miss) {
  // A balanced tree: an inner node splits the sorted ranges with `jgt`; a
  // leaf of at most two ranges tests them in turn.
  struct Builder {
    ir::Program& p;
    const std::vector<SetRange>& r;
    ir::BlockId match, miss;
    ir::BlockId build(size_t lo, size_t hi, std::vector<bpf::Insn> stmts) {  // [lo, hi)
      if (hi - lo <= 2) {
        std::vector<SetRange> part(r.begin() + lo, r.begin() + hi);
        return buildLinear(p, std::move(stmts), part, match, miss);
      }
      size_t mid = lo + (hi - lo) / 2;  // left gets [lo, mid), right [mid, hi)
      ir::BlockId right = build(mid, hi, {});
      ir::BlockId left = build(lo, mid, {});
      return addBlock(p, branch(std::move(stmts), kJgtK, r[mid - 1].hi, right, left));
    }
  };
  Builder b{p, ranges, match, miss};
  return b.build(0, ranges.size(), std::move(stmts));
}

namespace {

/// Rewrites every set chain for which `worth` holds: the groups are built
/// with `build`, the chain's head keeps its id (so its predecessors need no
/// change), and the old tests become unreachable.
Change rewriteChains(ir::Program& p, Analyses& analyses,
                   const std::function<bool(const ir::Program&, const std::vector<ir::BlockId>&,
                                            const std::vector<SetGroup>&)>& worth,
                   const GroupBuilder& build) {
  if (!mayHaveChains(p)) return Change::None;
  const auto leaves = findSetLeaves(p, analyses);
  const auto chains = findSetChains(p, analyses, leaves);
  bool changed = false;
  for (const auto& chain : chains) {
    auto groups = groupChain(p, leaves, chain);
    if (!worth(p, chain, groups)) continue;
    const ir::BlockId match = p.blocks[chain.front()].jt;
    const ir::BlockId miss = p.blocks[chain.back()].jf;
    ir::BlockId first = buildGroups(p, groups, match, miss, build);
    p.blocks[chain.front()] = p.blocks[first];
    changed = true;
  }
  if (!changed) return Change::None;
  removeUnreachable(p);
  return Change::Edges;
}

}  // namespace

Change groupSets(ir::Program& p, Analyses& analyses) {
  // Only when the linear form is smaller than the chain it replaces.
  auto smaller = [](const ir::Program& q, const std::vector<ir::BlockId>& chain,
                    const std::vector<SetGroup>& groups) {
    size_t oldSize = 0, newSize = 0;
    for (ir::BlockId id : chain) oldSize += q.blocks[id].stmts.size() + 1;
    for (const auto& g : groups) newSize += linearSize(g, toRanges(g.constants, 3));
    return newSize < oldSize;
  };
  return rewriteChains(p, analyses, smaller, [](ir::Program& q, const SetGroup& g, ir::BlockId m, ir::BlockId next) {
    return buildLinear(q, g.stmts, toRanges(g.constants, 3), m, next);
  });
}

Change searchSets(ir::Program& p, Analyses& analyses) {
  // Only chains with a group of four or more ranges gain from a search.
  auto large = [](const ir::Program&, const std::vector<ir::BlockId>&, const std::vector<SetGroup>& groups) {
    for (const auto& g : groups)
      if (toRanges(g.constants, 3).size() >= 4) return true;
    return false;
  };
  return rewriteChains(p, analyses, large, [](ir::Program& q, const SetGroup& g, ir::BlockId m, ir::BlockId next) {
    auto ranges = toRanges(g.constants, 3);
    if (ranges.size() >= 4) return buildSearch(q, g.stmts, ranges, m, next);
    return buildLinear(q, g.stmts, ranges, m, next);
  });
}

}  // namespace sift::optimizer
