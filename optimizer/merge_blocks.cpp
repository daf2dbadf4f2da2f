// Pass: merge equivalent blocks.
//
// Does: gives every set of blocks with the same statements, terminator and
//   successors one representative and points all edges at it; shared tails
//   (the same return, the same final test) are kept once.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet. Blocks left without predecessors
//   are removed by remove-unreachable.
#include <map>
#include <tuple>
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

struct BlockKey {
  std::vector<uint64_t> stmts;
  uint8_t termKind;
  uint64_t term;
  ir::BlockId jt, jf;
  bool operator<(const BlockKey& o) const {
    return std::tie(termKind, term, jt, jf, stmts) < std::tie(o.termKind, o.term, o.jt, o.jf, o.stmts);
  }
};

uint64_t pack(const bpf::Insn& i) {
  return (uint64_t{i.code} << 48) | (uint64_t{i.jt} << 40) | (uint64_t{i.jf} << 32) | i.k;
}

}  // namespace

Change mergeBlocks(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  std::vector<ir::BlockId> canon(p.blocks.size(), ir::kNoBlock);
  std::map<BlockKey, ir::BlockId> seen;
  bool changed = false;
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::Block& b = p.blocks[*it];
    if (b.termKind == ir::TermKind::Branch) {
      ir::BlockId jt = canon[b.jt], jf = canon[b.jf];
      if (jt != b.jt || jf != b.jf) changed = true;
      b.jt = jt;
      b.jf = jf;
    }
    BlockKey key;
    key.stmts.reserve(b.stmts.size());
    for (const auto& s : b.stmts) key.stmts.push_back(pack(s));
    key.termKind = static_cast<uint8_t>(b.termKind);
    // A jump (jt == jf) is the same whatever test it carries.
    bool isJump = b.termKind == ir::TermKind::Branch && b.jt == b.jf;
    key.term = isJump ? 0 : pack(b.term);
    key.jt = b.termKind == ir::TermKind::Branch ? b.jt : ir::kNoBlock;
    key.jf = b.termKind == ir::TermKind::Branch ? b.jf : ir::kNoBlock;
    auto [pos, inserted] = seen.emplace(std::move(key), *it);
    canon[*it] = pos->second;
    if (!inserted) changed = true;
  }
  if (canon[p.entry] != p.entry) {
    p.entry = canon[p.entry];
    changed = true;
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
