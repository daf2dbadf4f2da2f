// Pass: jump threading.
//
// Does: retargets an edge p -> s past s (and past the blocks after it) when
//   the tests of those blocks are decided on that edge: by constants, or by
//   what the tests on the way to p (the edges that dominate it) and p's own
//   test on that edge have established about the same values. `ip and tcp`
//   tests the EtherType once; the second test of it is threaded away.
//   Blocks whose test is decided on every incoming edge become unreachable.
// Requires: a verified, acyclic IR program.
// Preserves: the verdict on every packet. An edge skips a block only when
//   (1) none of the skipped statements could reject the packet, unless the
//   same value was already computed (so the same load already succeeded),
//   and (2) every register the new target relies on holds the same value
//   as it would have after the skipped blocks.
//
// Facts are gathered top-down over the dominator tree in a scoped table;
// the candidate targets of each edge are recorded there. They are applied
// bottom-up (reverse topological order), where the exact set of registers
// each already-processed target relies on is known.
#include <vector>

#include "optimizer/facts.h"
#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

struct Candidate {
  ir::BlockId target;
  State state;  // registers on arrival at target along the original path
};

/// The chain of blocks an edge can skip: chain[i] is the i-th skipped
/// block, candidates[i] the target after skipping chain[0..i].
struct EdgePlan {
  std::vector<ir::BlockId> chain;
  std::vector<Candidate> candidates;
};

bool srcIsX(uint16_t code) { return (code & 0x08) != 0; }

ValueId operandOf(ValueTable& values, const State& s, const bpf::Insn& term) {
  return srcIsX(term.code) ? s.reg[kRegX] : values.constant(term.k);
}

/// Follows decided blocks from `start`, arriving with state `s`.
EdgePlan walk(const ir::Program& p, ValueTable& values, Facts& facts, ir::BlockId start, State s) {
  EdgePlan plan;
  const size_t mark = facts.mark();
  ir::BlockId cur = start;
  for (;;) {
    const ir::Block& b = p.blocks[cur];
    if (b.termKind != ir::TermKind::Branch) break;
    State t = s;
    bool blocked = false;
    for (const auto& insn : b.stmts) {
      State before = t;
      StepResult r = step(values, t, insn);
      if (r.mayReject && !available(before, r.value) && !facts.succeeded(values, r.value)) {
        blocked = true;
        break;
      }
    }
    if (blocked) break;
    ir::BlockId next;
    if (b.jt == b.jf) {
      next = b.jt;
    } else {
      auto outcome = facts.evaluate(values, b.term.code, t.reg[kRegA], operandOf(values, t, b.term));
      if (!outcome) break;
      next = *outcome ? b.jt : b.jf;
    }
    plan.chain.push_back(cur);
    plan.candidates.push_back({next, t});
    s = t;
    cur = next;
  }
  facts.rewind(mark);
  return plan;
}

/// Registers the original path through chain[0..k] relies on, given what
/// its end relies on.
RegMask reliedThrough(const ir::Program& p, const EdgePlan& plan, size_t k, RegMask atEnd) {
  RegMask r = atEnd;
  for (size_t i = k + 1; i-- > 0;) r = blockLiveIn(p.blocks[plan.chain[i]], r);
  return r;
}

/// Picks the furthest candidate whose target sees the same values; returns
/// the new target (or `current`) and sets `relied` to what p must keep.
ir::BlockId choose(const ir::Program& p, const EdgePlan& plan, const State& from, ir::BlockId current,
                   const std::vector<RegMask>& relied, RegMask& out) {
  for (size_t k = plan.candidates.size(); k-- > 0;) {
    const Candidate& c = plan.candidates[k];
    RegMask need = relied[c.target];
    bool same = true;
    for (int r = 0; r < kNumRegs && same; ++r)
      if ((need & bit(r)) && c.state.reg[r] != from.reg[r]) same = false;
    if (!same) continue;
    out = reliedThrough(p, plan, k, need);
    return c.target;
  }
  out = relied[current];
  return current;
}

}  // namespace

bool threadJumps(ir::Program& p) {
  const auto rpo = reversePostOrder(p);
  const auto preds = predecessors(p);
  const auto idom = immediateDominators(p, rpo, preds);
  ValueTable values;
  const auto entry = entryStates(p, values, rpo, preds);
  const size_t n = p.blocks.size();

  // Exit state of every reachable block.
  std::vector<State> exitState(n);
  for (ir::BlockId id : rpo) {
    State s = entry[id];
    for (const auto& insn : p.blocks[id].stmts) step(values, s, insn);
    exitState[id] = s;
  }

  // Dominator-tree children, in RPO for determinism.
  std::vector<std::vector<ir::BlockId>> children(n);
  for (ir::BlockId id : rpo)
    if (idom[id] != ir::kNoBlock) children[idom[id]].push_back(id);

  // Top-down: gather facts, plan both edges of every branch.
  std::vector<EdgePlan> planTrue(n), planFalse(n);
  Facts facts;
  struct Frame {
    ir::BlockId id;
    size_t mark;
    size_t nextChild;
  };
  std::vector<Frame> stack;
  auto enter = [&](ir::BlockId id) {
    size_t mark = facts.mark();
    // A block with a single predecessor learns that edge's outcome.
    if (preds[id].size() == 1) {
      ir::BlockId q = preds[id][0];
      const ir::Block& qb = p.blocks[q];
      if (qb.termKind == ir::TermKind::Branch && qb.jt != qb.jf) {
        const State& qs = exitState[q];
        facts.learn(values, qb.term.code, qs.reg[kRegA], operandOf(values, qs, qb.term), qb.jt == id);
      }
    }
    const ir::Block& b = p.blocks[id];
    // Reaching the end of this block means its loads succeeded.
    {
      State s = entry[id];
      for (const auto& insn : b.stmts) {
        StepResult r = step(values, s, insn);
        if (r.mayReject) facts.proveSucceeded(values, r.value);
      }
    }
    if (b.termKind == ir::TermKind::Branch) {
      const State& s = exitState[id];
      ValueId a = s.reg[kRegA], operand = operandOf(values, s, b.term);
      for (bool side : {true, false}) {
        if (b.jt == b.jf && !side) break;
        size_t m = facts.mark();
        if (b.jt != b.jf) facts.learn(values, b.term.code, a, operand, side);
        (side ? planTrue : planFalse)[id] = walk(p, values, facts, side ? b.jt : b.jf, s);
        facts.rewind(m);
      }
    }
    stack.push_back({id, mark, 0});
  };
  enter(p.entry);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.nextChild < children[f.id].size()) {
      ir::BlockId c = children[f.id][f.nextChild++];
      enter(c);
      continue;
    }
    facts.rewind(f.mark);
    stack.pop_back();
  }
  // The entry itself can be skipped when its outcome is decided by constants.
  State initial;
  initial.reg.fill(values.constant(0));
  Facts none;
  EdgePlan entryPlan = walk(p, values, none, p.entry, initial);

  // Bottom-up: apply, keeping exact "relied upon" registers per block.
  bool changed = false;
  std::vector<RegMask> relied(n, 0);
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::BlockId id = *it;
    ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch) {
      relied[id] = blockLiveIn(b, 0);
      continue;
    }
    RegMask outT = 0, outF = 0;
    ir::BlockId jt = choose(p, planTrue[id], exitState[id], b.jt, relied, outT);
    ir::BlockId jf = b.jt == b.jf ? jt : choose(p, planFalse[id], exitState[id], b.jf, relied, outF);
    if (b.jt == b.jf) outF = outT;
    if (jt != b.jt || jf != b.jf) changed = true;
    b.jt = jt;
    b.jf = jf;
    relied[id] = blockLiveIn(b, outT | outF);
  }
  RegMask unused = 0;
  ir::BlockId newEntry = choose(p, entryPlan, initial, p.entry, relied, unused);
  if (newEntry != p.entry) {
    p.entry = newEntry;
    changed = true;
  }
  return changed;
}

}  // namespace sift::optimizer
