// Pass: merge equivalent blocks.
//
// Does: gives every set of blocks with the same statements, terminator and
//   successors one representative and points all edges at it; shared tails
//   (the same return, the same final test) are kept once.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet. Blocks left without predecessors
//   are removed by remove-unreachable.
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

/// A jump (jt == jf) is the same whatever test it carries.

uint64_t blockHash(const ir::Block& b) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(b.termKind);
  auto mix = [&](uint64_t v) {
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  };
  for (const auto& s : b.stmts) mix(packInsn(s));
  mix(ir::isPlainJump(b) ? 0 : packInsn(b.term));
  if (b.termKind == ir::TermKind::Branch) mix((uint64_t{b.jt} << 32) | b.jf);
  return h;
}

bool sameBlock(const ir::Block& a, const ir::Block& b) {
  if (a.termKind != b.termKind || a.stmts.size() != b.stmts.size()) return false;
  if (a.termKind == ir::TermKind::Branch && (a.jt != b.jt || a.jf != b.jf)) return false;
  if (ir::isPlainJump(a) != ir::isPlainJump(b)) return false;
  if (!ir::isPlainJump(a) && packInsn(a.term) != packInsn(b.term)) return false;
  for (size_t i = 0; i < a.stmts.size(); ++i)
    if (packInsn(a.stmts[i]) != packInsn(b.stmts[i])) return false;
  return true;
}

}  // namespace

Change mergeBlocks(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  std::vector<ir::BlockId> canon(p.blocks.size(), ir::kNoBlock);
  // The representatives seen so far, by content: an open-addressing table
  // of block ids, at most half full. Blocks are visited bottom-up, so a
  // block's successors are already their representatives when it is
  // compared.
  size_t slots = 16;
  while (slots < 2 * rpo.size()) slots *= 2;
  std::vector<ir::BlockId> table(slots, ir::kNoBlock);
  const size_t mask = slots - 1;
  bool changed = false;
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::Block& b = p.blocks[*it];
    if (b.termKind == ir::TermKind::Branch) {
      ir::BlockId jt = canon[b.jt], jf = canon[b.jf];
      if (jt != b.jt || jf != b.jf) changed = true;
      b.jt = jt;
      b.jf = jf;
    }
    size_t i = blockHash(b) & mask;
    while (table[i] != ir::kNoBlock && !sameBlock(p.blocks[table[i]], b)) i = (i + 1) & mask;
    if (table[i] == ir::kNoBlock) {
      table[i] = *it;
      canon[*it] = *it;
    } else {
      canon[*it] = table[i];
      changed = true;
    }
  }
  if (canon[p.entry] != p.entry) {
    p.entry = canon[p.entry];
    changed = true;
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
