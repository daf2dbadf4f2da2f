// Pass: share the ends of blocks (cross-jumping).
//
// Does: where a block W ends with the whole of another block S (the same
//   last statements, the same test or return, the same successors), W
//   keeps only what comes before and jumps to S. When S has statements,
//   every such W is shorter by them. When S is a bare test, W saves its
//   test only if its jump costs nothing, so one W per S is rewritten, and
//   only where the emitter can put W just before S: W is not the entry and
//   no plain jump already goes into W or into S.
//
//   One reordering makes such bare tests: a chain of two equality tests of
//   A, `jeq #c1 -> T1 | Z` and Z: `jeq #c2 -> T2 | F`, is the same as
//   `jeq #c2 -> T2 | Z'` and Z': `jeq #c1 -> T1 | F` when c1 != c2. It is
//   made when some other block ends with `jeq #c1 -> T1 | F`, which then
//   falls into Z'. IPv6's protocol tests, which look for the protocol in
//   the next-header field and again after a fragment header, then share
//   the second test:
//
//       ldb [20]; jeq #6 -> T | Z              ldb [20]; jeq #0x2c -> X | Z
//       Z: jeq #0x2c -> X | F            =>    X: ldb [54] (falls into Z)
//       X: ldb [54]; jeq #6 -> T | F           Z: jeq #6 -> T | F
//
//   Last, a chain of equality tests of A (a test, then bare tests on its
//   false side entered only from it, all of different constants) whose
//   tests are those of another run of bare tests with the same end, plus
//   one, asks that one test and goes on into the run: in `udp or tcp or
//   icmp` IPv4's three protocol tests become a test of 1 and IPv6's two.
//   The chain's other blocks are then unreachable and removed.
//
// Runs once after the fixed point, where the emitter's layout is near.
// Requires: a verified, acyclic IR program without inner jumps.
// Preserves: the verdict on every packet: a rewritten W runs the same
//   statements in the same order and then the same test on the same state
//   (what S holds is exactly what W dropped). The reordered tests compare
//   the same A against two different constants with nothing in between,
//   so at most one of them holds and the order in which they are asked
//   does not matter; the same holds for a chain of such tests, each
//   going where it went. No instruction is added: W's test becomes a
//   plain jump, so the pipeline's measure does not grow.
//
// Blocks are grouped by their ends (terminator and successors) through a
// sort; a block is compared with at most a few shorter blocks of its group,
// so the pass is linear in the program's size, up to the sort.
#include <algorithm>
#include <vector>

#include "optimizer/passes.h"

namespace sift::optimizer {

namespace {

constexpr uint16_t kJeqK = 0x15;  // BPF_JMP | BPF_JEQ | BPF_K
constexpr size_t kCandidates = 4;

/// A block's end as one key: its terminator (a plain jump whatever its
/// test) and its successors.
struct EndKey {
  uint64_t term;
  uint64_t succ;
  bool operator==(const EndKey&) const = default;
  bool operator<(const EndKey& o) const { return term != o.term ? term < o.term : succ < o.succ; }
};

EndKey endKey(const ir::Block& b) {
  if (b.termKind == ir::TermKind::Return) return {packInsn(b.term) | (uint64_t{1} << 63), 0};
  if (ir::isPlainJump(b)) return {uint64_t{2} << 62, b.jt};
  return {packInsn(b.term), (uint64_t{b.jt} << 32) | b.jf};
}

/// True when `s`'s statements are the last ones of `w`'s.
bool endsWith(const ir::Block& w, const ir::Block& s) {
  if (s.stmts.size() > w.stmts.size()) return false;
  return std::equal(s.stmts.begin(), s.stmts.end(), w.stmts.end() - static_cast<ptrdiff_t>(s.stmts.size()),
                    [](const bpf::Insn& a, const bpf::Insn& b) { return packInsn(a) == packInsn(b); });
}

bool isBareJeq(const ir::Block& b) {
  return b.termKind == ir::TermKind::Branch && !ir::isPlainJump(b) && b.stmts.empty() && b.term.code == kJeqK;
}

/// One test of a chain of equality tests of A: its constant and where it
/// goes when the constant matches.
struct Element {
  uint32_t k;
  ir::BlockId to;
  bool operator<(const Element& o) const { return k != o.k ? k < o.k : to < o.to; }
  bool operator==(const Element&) const = default;
};

uint64_t elementHash(uint32_t k, ir::BlockId to) {
  uint64_t h = (uint64_t{k} << 32 | to) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

bool isLink(const ir::Block& b) { return isBareJeq(b) && b.jt != b.jf; }

/// A chain whose tests are all asked of a value another chain asks them
/// of, in any order, with one test more: the longer chain asks that one
/// and goes on into the shorter. Returns true when a chain was rewritten
/// (its other blocks are then unreachable).
bool shareChainTails(ir::Program& p, const std::vector<ir::BlockId>& rpo) {
  constexpr size_t kMaxChain = 64;
  const size_t n = p.blocks.size();
  std::vector<uint32_t> edgesInto(n, 0);
  bool anyLink = false;
  for (ir::BlockId b : rpo) {
    const ir::Block& blk = p.blocks[b];
    if (blk.termKind != ir::TermKind::Branch) continue;
    ++edgesInto[blk.jt];
    if (blk.jf != blk.jt) ++edgesInto[blk.jf];
    anyLink = anyLink || isLink(blk);
  }
  if (!anyLink) return false;
  // Every run of bare tests, from each of its blocks to the first block
  // that is not one: its end, length and the hash of its tests as a set,
  // computed from the far end back.
  struct Run {
    ir::BlockId end = ir::kNoBlock;
    uint32_t length = 0;
    uint64_t hash = 0;
  };
  std::vector<Run> run(n);
  std::vector<std::pair<std::pair<uint64_t, uint64_t>, ir::BlockId>> runs;  // ((end, length), hash) -> head
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    const ir::Block& blk = p.blocks[*it];
    if (!isLink(blk)) continue;
    Run r = isLink(p.blocks[blk.jf]) ? run[blk.jf] : Run{blk.jf, 0, 0};
    if (r.length >= kMaxChain) continue;
    r.length += 1;
    r.hash ^= elementHash(blk.term.k, blk.jt);
    run[*it] = r;
    runs.push_back({{(uint64_t{r.end} << 32) | r.length, r.hash}, *it});
  }
  std::sort(runs.begin(), runs.end());
  auto findRun = [&](ir::BlockId end, size_t length, uint64_t hash) {
    const std::pair<uint64_t, uint64_t> key{(uint64_t{end} << 32) | length, hash};
    auto it = std::lower_bound(runs.begin(), runs.end(), std::make_pair(key, ir::BlockId{0}));
    return it != runs.end() && it->first == key ? it->second : ir::kNoBlock;
  };

  bool changed = false;
  std::vector<uint8_t> inChain(n, 0), gone(n, 0);
  std::vector<ir::BlockId> blocks;
  std::vector<Element> elems, others;
  for (ir::BlockId y : rpo) {
    ir::Block& yb = p.blocks[y];
    if (gone[y] || yb.termKind != ir::TermKind::Branch || ir::isPlainJump(yb) || yb.term.code != kJeqK)
      continue;
    // The chain: Y, then bare tests on the false side entered only from it.
    blocks.assign(1, y);
    for (ir::BlockId z = yb.jf; isLink(p.blocks[z]) && edgesInto[z] == 1 && blocks.size() < kMaxChain;
         z = p.blocks[z].jf)
      blocks.push_back(z);
    const ir::BlockId end = p.blocks[blocks.back()].jf;
    if (blocks.size() < 2) continue;
    elems.clear();
    uint64_t hash = 0;
    for (ir::BlockId b : blocks) {
      elems.push_back({p.blocks[b].term.k, p.blocks[b].jt});
      hash ^= elementHash(p.blocks[b].term.k, p.blocks[b].jt);
    }
    // Reordering is sound only when no two tests ask for the same constant.
    std::vector<Element> sorted = elems;
    std::sort(sorted.begin(), sorted.end());
    bool distinct = true;
    for (size_t i = 1; i < sorted.size(); ++i) distinct = distinct && sorted[i].k != sorted[i - 1].k;
    if (!distinct) continue;
    for (ir::BlockId b : blocks) inChain[b] = 1;
    for (size_t i = 0; i < elems.size(); ++i) {
      const ir::BlockId s = findRun(end, elems.size() - 1, hash ^ elementHash(elems[i].k, elems[i].to));
      if (s == ir::kNoBlock || inChain[s] || gone[s]) continue;
      // Check the run's tests really are the chain's others.
      others.clear();
      bool ok = true;
      ir::BlockId b = s;
      for (size_t j = 0; j + 1 < elems.size(); ++j, b = p.blocks[b].jf) {
        if (!isLink(p.blocks[b]) || inChain[b] || gone[b]) {
          ok = false;
          break;
        }
        others.push_back({p.blocks[b].term.k, p.blocks[b].jt});
      }
      if (!ok || b != end) continue;
      std::vector<Element> rest;
      for (size_t j = 0; j < elems.size(); ++j)
        if (j != i) rest.push_back(elems[j]);
      std::sort(rest.begin(), rest.end());
      std::sort(others.begin(), others.end());
      if (rest != others) continue;
      yb.term.k = elems[i].k;
      yb.jt = elems[i].to;
      yb.jf = s;
      for (size_t j = 1; j < blocks.size(); ++j) gone[blocks[j]] = 1;
      changed = true;
      break;
    }
    for (ir::BlockId b : blocks) inChain[b] = 0;
  }
  return changed;
}

}  // namespace

Change shareSuffixes(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  const size_t n = p.blocks.size();
  // Plain jumps into each block, counted as the pass changes them, and
  // edges into each block.
  std::vector<uint32_t> jumpsInto(n, 0), edgesInto(n, 0);
  for (ir::BlockId b : rpo) {
    const ir::Block& blk = p.blocks[b];
    if (blk.termKind != ir::TermKind::Branch) continue;
    if (ir::isPlainJump(blk)) ++jumpsInto[blk.jt];
    ++edgesInto[blk.jt];
    if (blk.jf != blk.jt) ++edgesInto[blk.jf];
  }

  // The ends of the blocks that have statements, for the reordering.
  std::vector<EndKey> withStmts;
  for (ir::BlockId b : rpo)
    if (!p.blocks[b].stmts.empty() && p.blocks[b].termKind == ir::TermKind::Branch)
      withStmts.push_back(endKey(p.blocks[b]));
  std::sort(withStmts.begin(), withStmts.end());
  auto someBlockEndsWith = [&](const EndKey& k) {
    return std::binary_search(withStmts.begin(), withStmts.end(), k);
  };

  bool changed = false;
  std::vector<uint8_t> swapped(n, 0);
  for (ir::BlockId y : rpo) {
    ir::Block& yb = p.blocks[y];
    if (yb.termKind != ir::TermKind::Branch || ir::isPlainJump(yb) || yb.term.code != kJeqK) continue;
    const ir::BlockId z = yb.jf;
    if (z == yb.jt || swapped[y] || swapped[z] || edgesInto[z] != 1) continue;
    ir::Block& zb = p.blocks[z];
    if (!isBareJeq(zb) || zb.term.k == yb.term.k || zb.jt == zb.jf) continue;
    ir::Block moved = zb;  // the test Z would hold after the swap
    moved.term.k = yb.term.k;
    moved.jt = yb.jt;
    if (!someBlockEndsWith(endKey(moved)) || someBlockEndsWith(endKey(zb))) continue;
    yb.term.k = zb.term.k;
    yb.jt = zb.jt;
    zb = std::move(moved);
    swapped[y] = swapped[z] = 1;
    changed = true;
  }

  // Group the blocks by their ends; within a group, shorter blocks first.
  std::vector<std::pair<EndKey, ir::BlockId>> ends;
  ends.reserve(rpo.size());
  for (ir::BlockId b : rpo) ends.push_back({endKey(p.blocks[b]), b});
  std::sort(ends.begin(), ends.end(), [&](const auto& a, const auto& b) {
    if (!(a.first == b.first)) return a.first < b.first;
    const size_t sa = p.blocks[a.second].stmts.size(), sb = p.blocks[b.second].stmts.size();
    return sa != sb ? sa < sb : a.second < b.second;
  });
  std::vector<uint8_t> rewritten(n, 0);
  for (size_t lo = 0; lo < ends.size();) {
    size_t hi = lo + 1;
    while (hi < ends.size() && ends[hi].first == ends[lo].first) ++hi;
    for (size_t i = hi; i-- > lo + 1;) {
      const ir::BlockId w = ends[i].second;
      ir::Block& wb = p.blocks[w];
      if (wb.stmts.empty()) continue;
      // The longest shorter block of the group that W ends with.
      ir::BlockId best = ir::kNoBlock;
      for (size_t j = i, tries = 0; j-- > lo && tries < kCandidates; ++tries) {
        const ir::BlockId s = ends[j].second;
        const ir::Block& sb = p.blocks[s];
        if (sb.stmts.size() >= wb.stmts.size() || rewritten[s] || !endsWith(wb, sb)) continue;
        best = s;
        break;
      }
      if (best == ir::kNoBlock) continue;
      const ir::Block& sb = p.blocks[best];
      if (sb.stmts.empty()) {
        // Only a jump that falls through pays for itself.
        if (w == p.entry || jumpsInto[best] != 0 || jumpsInto[w] != 0) continue;
      }
      wb.stmts.resize(wb.stmts.size() - sb.stmts.size());
      wb.termKind = ir::TermKind::Branch;
      wb.term = bpf::Insn{0x05, 0, 0, 0};  // ja
      wb.jt = wb.jf = best;
      ++jumpsInto[best];
      rewritten[w] = 1;
      changed = true;
    }
    lo = hi;
  }
  if (shareChainTails(p, rpo)) {
    removeUnreachable(p);
    changed = true;
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
