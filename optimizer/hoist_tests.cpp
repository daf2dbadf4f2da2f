// Pass: hoist tests of values already loaded.
//
// Does: where a block S loads a field and tests it, and its only
//   successor on the passing side, T, reloads a value the registers held
//   when S began and tests that, with both failing sides returning 0, runs
//   T's test first, on the value still in A, and S's load and test after
//   it; T's reload disappears. `host a and host b` tests the source
//   address against b before it loads the destination, as libpcap's
//   optimizer does:
//
//       S: ld [30]; jeq #a -> T | ret 0        S: jeq #b -> T | ret 0
//       T: ld [26]; jeq #b -> U | ret 0   =>   T: ld [30]; jeq #a -> U | ret 0
//
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet, truncated ones included. The
//   packet is accepted on the new path exactly when it was on the old one
//   (S's load succeeds and both tests pass, in either order); T's reload
//   could not reject (its value was already loaded on every path to S);
//   every other outcome returns 0, as S's load failing did. U receives the
//   registers it relies on unchanged: none of them is one T's statements
//   wrote. The block count stays, T's statements go, so the program's
//   measure strictly decreases with each rewrite.
//
// Blocks are visited bottom-up, and the registers live on entry to each are
// updated as blocks change, so a rewrite never relies on a register a later
// rewrite has begun to read.
#include <utility>
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

bool srcIsX(uint16_t code) { return (code & 0x08) != 0; }

/// For a conditional branch with one side returning 0: that side's block
/// and whether it is the true side.
bool rejectSide(const ir::Program& p, const ir::Block& b, ir::BlockId& reject, bool& onTrue) {
  if (b.termKind != ir::TermKind::Branch || b.jt == b.jf) return false;
  if (isRejectReturn(p.blocks[b.jf])) {
    reject = b.jf;
    onTrue = false;
    return true;
  }
  if (isRejectReturn(p.blocks[b.jt])) {
    reject = b.jt;
    onTrue = true;
    return true;
  }
  return false;
}

/// The block the non-rejecting side of `b` goes to.
ir::BlockId passSide(const ir::Block& b, bool rejectOnTrue) { return rejectOnTrue ? b.jf : b.jt; }

}  // namespace

Change hoistTests(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  const auto& preds = analyses.preds();
  const auto& entry = analyses.entry();
  const auto& exitState = analyses.exit();
  ValueTable& values = analyses.values();
  auto live = analyses.live();  // a copy: updated as blocks change
  bool changed = false;
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    const ir::BlockId s = *it;
    ir::Block& sb = p.blocks[s];
    auto liveOut = [&](const ir::Block& b) -> RegMask {
      return b.termKind == ir::TermKind::Branch ? live[b.jt] | live[b.jf] : 0;
    };
    ir::BlockId sReject = ir::kNoBlock, tReject = ir::kNoBlock;
    bool sRejectOnTrue = false, tRejectOnTrue = false;
    if (rejectSide(p, sb, sReject, sRejectOnTrue)) {
      const ir::BlockId t = passSide(sb, sRejectOnTrue);
      ir::Block& tb = p.blocks[t];
      if (t != p.entry && preds[t].size() == 1 && !tb.stmts.empty() && rejectSide(p, tb, tReject, tRejectOnTrue) &&
          !srcIsX(tb.term.code)) {
        const ir::BlockId u = passSide(tb, tRejectOnTrue);
        // T's statements, run where S ends: each must be unable to reject
        // (its value was held when S began), A must end up holding what it
        // held when S began, and U must not read what they write.
        State st = exitState[s];
        bool ok = true;
        RegMask defs = 0;
        for (const bpf::Insn& insn : tb.stmts) {
          StepResult r = step(values, st, insn);
          if (r.mayReject && !available(values, entry[s], r.value)) ok = false;
          defs |= defsOf(insn);
        }
        ok = ok && st.reg[kRegA] == entry[s].reg[kRegA] && !(defs & live[u]) && u != t && u != s;
        if (ok) {
          // S takes T's test (no statements); T takes S's statements and
          // test, passing to U.
          ir::Block newS, newT;
          newS.termKind = ir::TermKind::Branch;
          newS.term = tb.term;
          newS.jt = tRejectOnTrue ? tReject : t;
          newS.jf = tRejectOnTrue ? t : tReject;
          newT.stmts = std::move(sb.stmts);
          newT.termKind = ir::TermKind::Branch;
          newT.term = sb.term;
          newT.jt = sRejectOnTrue ? sReject : u;
          newT.jf = sRejectOnTrue ? u : sReject;
          sb = std::move(newS);
          tb = std::move(newT);
          live[t] = blockLiveIn(tb, liveOut(tb));
          changed = true;
        }
      }
    }
    live[s] = blockLiveIn(sb, liveOut(sb));
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
