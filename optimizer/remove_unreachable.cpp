// Pass: remove unreachable blocks.
//
// Does: drops every block that cannot be reached from the entry and
//   renumbers the rest densely, keeping their relative order.
// Requires: a verified IR program.
// Preserves: every reachable block's contents and the semantics of the
//   program; block ids change.
#include <vector>

#include "optimizer/passes.h"

namespace sift::optimizer {

Change removeUnreachable(ir::Program& p, Analyses&) { return removeUnreachable(p) ? Change::Edges : Change::None; }

bool removeUnreachable(ir::Program& p) {
  const size_t n = p.blocks.size();
  std::vector<uint8_t> live(n, 0);
  std::vector<ir::BlockId> work{p.entry};
  live[p.entry] = 1;
  while (!work.empty()) {
    ir::BlockId id = work.back();
    work.pop_back();
    const ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch) continue;
    for (ir::BlockId s : {b.jt, b.jf})
      if (!live[s]) live[s] = 1, work.push_back(s);
  }
  // The work list's storage, empty now, numbers the kept blocks.
  std::vector<ir::BlockId>& newId = work;
  newId.assign(n, ir::kNoBlock);
  ir::BlockId next = 0;
  for (size_t i = 0; i < n; ++i)
    if (live[i]) newId[i] = next++;
  if (next == n) return false;
  // Kept blocks move down in place (a block's new number is never above
  // its old one).
  for (size_t i = 0; i < n; ++i) {
    if (!live[i]) continue;
    ir::Block& b = p.blocks[i];
    if (b.termKind == ir::TermKind::Branch) b.jt = newId[b.jt], b.jf = newId[b.jf];
    if (newId[i] != i) p.blocks[newId[i]] = std::move(b);
  }
  p.blocks.resize(next);
  p.entry = newId[p.entry];
  return true;
}

}  // namespace sift::optimizer
