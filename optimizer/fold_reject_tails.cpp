// Pass: fold rejecting tails.
//
// Does: turns every block from which every path ends in `ret #0` into a
//   plain `ret #0`. Its statements can only end the program early, and an
//   early end also returns 0, so nothing observable is lost. In
//   `src host A and dst port 80` the ARP branch can never match the port
//   test; its load of the ARP sender address disappears with it.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet.
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

Change foldRejectTails(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  std::vector<uint8_t> rejects(p.blocks.size(), 0);
  Change changed = Change::None;
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::Block& b = p.blocks[*it];
    if (b.termKind == ir::TermKind::Return) {
      rejects[*it] = isRejectReturn(b);
      if (rejects[*it] && !b.stmts.empty()) {
        b.stmts.clear();
        if (changed == Change::None) changed = Change::Statements;
      }
      continue;
    }
    if (rejects[b.jt] && rejects[b.jf]) {
      rejects[*it] = 1;
      b.stmts.clear();
      b.termKind = ir::TermKind::Return;
      b.term = bpf::Insn{0x06, 0, 0, 0};
      b.jt = b.jf = ir::kNoBlock;
      changed = Change::Edges;
    }
  }
  return changed;
}

}  // namespace sift::optimizer
