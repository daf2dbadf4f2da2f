// Pass: simplify blocks.
//
// Does: inside each block, with the values the registers hold on entry
//   (agreed by all predecessors): drops statements that write a value the
//   register already holds; rewrites operands known to be constant (`op x`,
//   `ld [x+k]`, `jeq x`, `ld M[k]` become their constant forms); turns a
//   branch decided by constants into a jump to the decided successor; then
//   removes definitions no later instruction reads (dead loads and stores),
//   keeping any packet load or division by X that could still reject.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet and the block structure.
// Settles: when it changed only statements and none of its changes can
//   give it new work (below), it says so (Change::Settled).
#include <optional>
#include <utility>
#include <vector>

#include "optimizer/facts.h"
#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

constexpr uint16_t cls(uint16_t c) { return c & 0x07; }
constexpr uint16_t mode(uint16_t c) { return c & 0xe0; }
constexpr bool srcX(uint16_t c) { return (c & 0x08) != 0; }

/// Rewrites `insn` to a constant form when the state makes one available.
bool constantForm(ValueTable& values, const State& s, bpf::Insn& insn) {
  const uint16_t c = insn.code;
  auto constX = values.constantOf(s.reg[kRegX]);
  switch (cls(c)) {
    case 0x00:  // ld
      if (mode(c) == 0x60) {  // ld M[k]
        if (auto v = values.constantOf(s.reg[insn.k & 15])) {
          insn = bpf::Insn{0x00, 0, 0, *v};
          return true;
        }
      } else if (mode(c) == 0x40 && constX && uint64_t{*constX} + insn.k <= 0xffffffffull) {
        insn = bpf::Insn{static_cast<uint16_t>((c & 0x18) | 0x20), 0, 0, *constX + insn.k};
        return true;
      }
      return false;
    case 0x01:  // ldx
      if (mode(c) == 0x60) {
        if (auto v = values.constantOf(s.reg[insn.k & 15])) {
          insn = bpf::Insn{0x01, 0, 0, *v};
          return true;
        }
      }
      return false;
    case 0x04:  // alu op x
      if (srcX(c) && (c & 0xf0) != 0x80 && constX) {
        uint16_t op = c & 0xf0;
        if ((op == 0x30 || op == 0x90) && *constX == 0) return false;  // keeps its run-time rejection
        if ((op == 0x60 || op == 0x70) && *constX >= 32) return false;  // kernel refuses such constants
        insn = bpf::Insn{static_cast<uint16_t>(c & ~0x08), 0, 0, *constX};
        return true;
      }
      return false;
    default: return false;
  }
}

/// Working storage reused from block to block (no allocation per block).
struct Buffers {
  std::vector<bpf::Insn> kept, out;
  std::vector<State> before;  // state before each kept statement
};

/// Simplifies one block; sets `edges` when a successor changed, and
/// `unsettled` when a change can give a second run new work (see
/// simplifyBlocks()).
bool simplifyBlock(ValueTable& values, ir::Block& b, State s, RegMask liveOut, bool& edges, bool& unsettled,
                   Buffers& buf) {
  bool changed = false;
  // Forward: redundant writes and constant forms.
  std::vector<bpf::Insn>& kept = buf.kept;
  std::vector<State>& before = buf.before;
  kept.clear();
  before.clear();
  for (bpf::Insn insn : b.stmts) {
    if (constantForm(values, s, insn)) changed = true;
    State prior = s;
    StepResult r = step(values, s, insn);
    if (r.dest >= 0 && prior.reg[r.dest] == r.value) {
      changed = true;  // the register already holds this value
      continue;
    }
    kept.push_back(insn);
    before.push_back(prior);
  }
  // The terminator.
  if (b.termKind == ir::TermKind::Branch) {
    if (srcX(b.term.code)) {
      if (auto cx = values.constantOf(s.reg[kRegX])) {
        b.term = bpf::Insn{static_cast<uint16_t>(b.term.code & ~0x08), 0, 0, *cx};
        changed = true;
      }
    }
    if (b.jt != b.jf && !srcX(b.term.code)) {
      if (auto ca = values.constantOf(s.reg[kRegA])) {
        if (auto outcome = evaluateConstant(b.term.code, *ca, b.term.k)) {
          b.jt = b.jf = *outcome ? b.jt : b.jf;
          changed = edges = true;
        }
      }
    }
  }
  // `sub #c; jeq #k` is `jeq #(k+c)` (equality survives the wrap-around),
  // likewise add and xor, when nothing after the block reads A.
  while (b.termKind == ir::TermKind::Branch && b.jt != b.jf && b.term.code == 0x15 && !kept.empty() &&
         !(liveOut & bit(kRegA))) {
    const bpf::Insn& last = kept.back();
    if (last.code == 0x14) b.term.k += last.k;        // sub #c
    else if (last.code == 0x04) b.term.k -= last.k;   // add #c
    else if (last.code == 0xa4) b.term.k ^= last.k;   // xor #c
    else break;
    kept.pop_back();
    before.pop_back();
    changed = unsettled = true;
  }
  // A block whose statements end with every register it writes holding
  // what it held on entry (`ldb [14]; and #0xf0` when A already holds that
  // value) does nothing, if none of the statements can reject.
  if (!kept.empty()) {
    State entryState = before.front();
    State t = entryState;
    bool noop = true;
    for (const auto& insn : kept) {
      State prior = t;
      StepResult r = step(values, t, insn);
      if (r.mayReject && !available(values, prior, r.value)) noop = false;
    }
    if (noop && t.reg == entryState.reg) {
      kept.clear();
      before.clear();
      changed = true;
    }
  }
  // `and #k; jeq #0` is `jset #k` with the exits swapped, when nothing
  // after the block reads the masked accumulator.
  if (b.termKind == ir::TermKind::Branch && b.jt != b.jf && b.term.code == 0x15 && b.term.k == 0 &&
      !kept.empty() && kept.back().code == 0x54 && !(liveOut & bit(kRegA))) {
    b.term = bpf::Insn{0x45, 0, 0, kept.back().k};
    std::swap(b.jt, b.jf);
    kept.pop_back();
    before.pop_back();
    changed = edges = unsettled = true;
  }
  // Backward: dead definitions that cannot reject.
  RegMask live = liveOut | usesOf(b.term);
  if (b.termKind == ir::TermKind::Branch && b.jt == b.jf) live = liveOut;  // a jump reads nothing
  std::vector<bpf::Insn>& out = buf.out;
  out.clear();
  for (size_t i = kept.size(); i-- > 0;) {
    const bpf::Insn& insn = kept[i];
    RegMask defs = defsOf(insn);
    if (defs && !(defs & live)) {
      State t = before[i];
      StepResult r = step(values, t, insn);
      if (!r.mayReject || available(values, before[i], r.value)) {
        changed = unsettled = true;
        continue;
      }
    }
    live &= ~defs;
    live |= usesOf(insn);
    out.push_back(insn);
  }
  if (out.size() != b.stmts.size() || changed) {
    b.stmts.assign(out.rbegin(), out.rend());
  }
  return changed;
}

}  // namespace

Change simplifyBlocks(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  ValueTable& values = analyses.values();
  const auto& entry = analyses.entry();
  auto live = analyses.live();  // a copy: updated as blocks shrink
  bool changed = false, edges = false, unsettled = false;
  Buffers buf;
  // Bottom-up so each block sees its successors' final needs.
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::Block& b = p.blocks[*it];
    RegMask liveOut = 0;
    if (b.termKind == ir::TermKind::Branch) liveOut = live[b.jt] | live[b.jf];
    changed |= simplifyBlock(values, b, entry[*it], liveOut, edges, unsettled, buf);
    live[*it] = blockLiveIn(b, liveOut);
  }
  // Dropping a write of the value a register already holds, constant
  // forms and emptying a block that ends as it began leave the value every
  // register holds at every point as it was, and the liveness used here
  // was already the final one (successors first): run again, the pass
  // would find nothing. Removing a dead definition, or the `sub`/`and`
  // folded into a test, changes what a dead register holds afterwards,
  // which can make a later write redundant, so those call for a rerun.
  if (edges) return Change::Edges;
  if (!changed) return Change::None;
  return unsettled ? Change::Statements : Change::Settled;
}

}  // namespace sift::optimizer
