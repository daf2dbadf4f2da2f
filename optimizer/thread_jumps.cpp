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
#include <optional>
#include <unordered_map>
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

// A run: consecutive decided blocks that test the value A already holds and
// whose statements leave every register as it was (the EtherType re-tests
// of `host a or host b or ...`). Many edges walk through the same runs with
// the same facts, so runs are memoized; an entry describes the run from one
// block to its end, sharing the rest with the entry of the next block.
struct RunEntry {
  ir::BlockId end;   // the block reached after the whole run
  // What the run relies on, as (R & ~defs) | uses of the run's end.
  RegMask defs = 0, uses = 0;
};

/// One step of an edge's plan: a skipped block (explicit), or a run.
struct Segment {
  bool isRun = false;
  ir::BlockId block = ir::kNoBlock;  // explicit: the skipped block
  int32_t run = -1;                  // run: its entry
  Candidate after;                   // the target after this segment
};

struct EdgePlan {
  std::vector<Segment> segments;
};

bool srcIsX(uint16_t code) { return (code & 0x08) != 0; }

ValueId operandOf(ValueTable& values, const State& s, const bpf::Insn& term) {
  return srcIsX(term.code) ? s.reg[kRegX] : values.constant(term.k);
}

uint64_t stateHash(const State& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (ValueId v : s.reg) h = (h ^ v) * 0x100000001b3ull;
  return h;
}

struct RunKey {
  ir::BlockId block;
  uint64_t state, facts, loads;
  friend bool operator==(const RunKey&, const RunKey&) = default;
};
struct RunKeyHash {
  size_t operator()(const RunKey& k) const {
    return static_cast<size_t>(k.state ^ (k.facts * 31) ^ (k.loads * 131) ^ (uint64_t{k.block} << 40));
  }
};

class Walker {
 public:
  Walker(const ir::Program& p, ValueTable& values) : p_(p), values_(values) {}

  /// Follows decided blocks from `start`, arriving with state `s`.
  EdgePlan walk(Facts& facts, ir::BlockId start, State s) {
    EdgePlan plan;
    ir::BlockId cur = start;
    for (;;) {
      const ir::Block& b = p_.blocks[cur];
      if (b.termKind != ir::TermKind::Branch) break;
      State t = s;
      if (!simulate(facts, b, t)) break;
      auto next = decide(facts, b, t);
      if (!next) break;
      if (t.reg == s.reg && b.jt != b.jf && !srcIsX(b.term.code)) {
        int32_t run = runFrom(facts, cur, s);
        plan.segments.push_back(Segment{true, cur, run, Candidate{runs_[run].end, s}});
        cur = runs_[run].end;
        continue;
      }
      plan.segments.push_back(Segment{false, cur, -1, Candidate{*next, t}});
      s = t;
      cur = *next;
    }
    return plan;
  }

  const RunEntry& run(int32_t i) const { return runs_[i]; }

 private:
  /// Runs the block's statements; false if one could reject the packet.
  bool simulate(const Facts& facts, const ir::Block& b, State& t) {
    for (const auto& insn : b.stmts) {
      State before = t;
      StepResult r = step(values_, t, insn);
      if (r.mayReject && !available(values_, before, r.value) && !facts.succeeded(values_, r.value)) return false;
    }
    return true;
  }

  std::optional<ir::BlockId> decide(const Facts& facts, const ir::Block& b, const State& t) {
    if (b.jt == b.jf) return b.jt;
    auto outcome = facts.evaluate(values_, b.term.code, t.reg[kRegA], operandOf(values_, t, b.term));
    if (!outcome) return std::nullopt;
    return *outcome ? b.jt : b.jf;
  }

  /// The memoized run starting at `start` with state `s` (start is known to
  /// be a run block).
  int32_t runFrom(const Facts& facts, ir::BlockId start, const State& s) {
    const uint64_t sh = stateHash(s), fh = facts.valueHash(s.reg[kRegA]), lh = facts.succeededHash();
    std::vector<std::pair<RunKey, ir::BlockId>> visited;  // key, block
    ir::BlockId cur = start;
    int32_t tail = -1;
    for (;;) {
      RunKey key{cur, sh, fh, lh};
      if (auto it = memo_.find(key); it != memo_.end()) {
        tail = it->second;
        break;
      }
      const ir::Block& b = p_.blocks[cur];
      if (b.termKind != ir::TermKind::Branch || b.jt == b.jf || srcIsX(b.term.code)) break;
      State t = s;
      if (!simulate(facts, b, t) || t.reg != s.reg) break;
      auto next = decide(facts, b, t);
      if (!next) break;
      visited.push_back({key, cur});
      cur = *next;
    }
    // cur is where the run stops (or where a memoized run takes over).
    RunEntry after;
    after.end = tail >= 0 ? runs_[tail].end : cur;
    if (tail >= 0) after = runs_[tail];
    int32_t last = tail;
    for (size_t i = visited.size(); i-- > 0;) {
      const ir::Block& b = p_.blocks[visited[i].second];
      const RegMask all = (RegMask{1} << kNumRegs) - 1;
      RegMask u = blockLiveIn(b, 0), d = all & ~blockLiveIn(b, all);
      RunEntry e;
      e.end = after.end;
      e.defs = d | after.defs;
      e.uses = (after.uses & ~d) | u;
      runs_.push_back(e);
      last = static_cast<int32_t>(runs_.size() - 1);
      memo_.emplace(visited[i].first, last);
      after = e;
    }
    return last;
  }

  const ir::Program& p_;
  ValueTable& values_;
  std::vector<RunEntry> runs_;
  std::unordered_map<RunKey, int32_t, RunKeyHash> memo_;
};

/// Registers the original path through segments[0..k] relies on, given
/// what its end relies on.
RegMask reliedThrough(const ir::Program& p, const Walker& w, const EdgePlan& plan, size_t k, RegMask atEnd) {
  RegMask r = atEnd;
  for (size_t i = k + 1; i-- > 0;) {
    const Segment& s = plan.segments[i];
    if (s.isRun) {
      const RunEntry& e = w.run(s.run);
      r = (r & ~e.defs) | e.uses;
    } else {
      r = blockLiveIn(p.blocks[s.block], r);
    }
  }
  return r;
}

/// Picks the furthest target whose registers match; returns the new target
/// (or `current`) and sets `out` to what the edge's source must keep.
ir::BlockId choose(const ir::Program& p, const Walker& w, const EdgePlan& plan, const State& from,
                   ir::BlockId current, const std::vector<RegMask>& relied, RegMask& out) {
  for (size_t k = plan.segments.size(); k-- > 0;) {
    const Candidate& c = plan.segments[k].after;
    RegMask need = relied[c.target];
    bool same = true;
    for (int r = 0; r < kNumRegs && same; ++r)
      if ((need & bit(r)) && c.state.reg[r] != from.reg[r]) same = false;
    if (!same) continue;
    out = reliedThrough(p, w, plan, k, need);
    return c.target;
  }
  out = relied[current];
  return current;
}

}  // namespace

bool threadJumps(ir::Program& p) {
  const auto rpo = ir::reversePostOrder(p);
  const auto preds = predecessors(p, rpo);
  const auto idom = immediateDominators(p, rpo, preds);
  ValueTable values;
  std::vector<State> exitState;  // of every reachable block
  const auto entry = entryStates(p, values, rpo, preds, &exitState);
  const size_t n = p.blocks.size();

  // Top-down: gather facts, plan both edges of every branch.
  std::vector<EdgePlan> planTrue(n), planFalse(n);
  Walker walker(p, values);
  Facts facts;
  auto visit = [&](ir::BlockId id) {
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
        (side ? planTrue : planFalse)[id] = walker.walk(facts, side ? b.jt : b.jf, s);
        facts.rewind(m);
      }
    }
  };
  walkDominatorTree(p, rpo, idom, facts, visit);
  // The entry itself can be skipped when its outcome is decided by constants.
  State initial;
  // A and X start at 0; scratch cells are unknown (the kernel refuses a
  // program that reads a cell before writing it, so a store of 0 at the
  // start is not redundant).
  for (int r = 0; r < kNumRegs; ++r) initial.reg[r] = r == kRegA || r == kRegX ? values.constant(0) : values.opaque();
  Facts none;
  EdgePlan entryPlan = walker.walk(none, p.entry, initial);

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
    ir::BlockId jt = choose(p, walker, planTrue[id], exitState[id], b.jt, relied, outT);
    ir::BlockId jf = b.jt == b.jf ? jt : choose(p, walker, planFalse[id], exitState[id], b.jf, relied, outF);
    if (b.jt == b.jf) outF = outT;
    if (jt != b.jt || jf != b.jf) changed = true;
    b.jt = jt;
    b.jf = jf;
    relied[id] = blockLiveIn(b, outT | outF);
  }
  RegMask unused = 0;
  ir::BlockId newEntry = choose(p, walker, entryPlan, initial, p.entry, relied, unused);
  if (newEntry != p.entry) {
    p.entry = newEntry;
    changed = true;
  }
  return changed;
}

}  // namespace sift::optimizer
