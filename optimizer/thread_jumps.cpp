// Pass: jump threading.
//
// Does: retargets an edge p -> s past s (and past the blocks after it) when
//   the tests of those blocks are decided on that edge: by constants, or by
//   what the tests on the way to p (the edges that dominate it) and p's own
//   test on that edge have established about the same values, or about
//   the bits of the packet bytes they read (optimizer/facts.h). `ip and
//   tcp` tests the EtherType once; the second test of it is threaded away.
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
#include <vector>

#include "optimizer/facts.h"
#include "optimizer/memo_table.h"
#include "optimizer/scratch.h"
#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

/// The register states a walk passes through, each stored once: most steps
/// of a list leave the same few states (the host tests of `host a or host
/// b or ...` all load the same fields), so a step names its state by index.
class StatePool {
 public:
  StatePool() = default;
  /// Stores `s` without looking for an equal state (no hash needed).
  int32_t add(const State& s) {
    states_.push_back(s);
    hashes_.push_back(0);
    return static_cast<int32_t>(states_.size() - 1);
  }
  int32_t intern(const State& s, uint64_t hash) {
    if ((states_.size() + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (slots_[i] == kEmpty) {
        slots_[i] = static_cast<int32_t>(states_.size());
        states_.push_back(s);
        hashes_.push_back(hash);
        return slots_[i];
      }
      if (hashes_[slots_[i]] == hash && states_[slots_[i]].reg == s.reg) return slots_[i];
    }
  }
  const State& operator[](int32_t i) const { return states_[i]; }

 private:
  static constexpr int32_t kEmpty = -1;
  void grow() {
    slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, kEmpty);
    const size_t mask = slots_.size() - 1;
    for (size_t k = 0; k < states_.size(); ++k) {
      size_t i = hashes_[k] & mask;
      while (slots_[i] != kEmpty) i = (i + 1) & mask;
      slots_[i] = static_cast<int32_t>(k);
    }
  }
  std::vector<int32_t> slots_;  // power-of-two size, at most half full
  std::vector<State> states_;
  std::vector<uint64_t> hashes_;
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

/// One step of a walk: a skipped block (explicit), or a run. Steps form
/// lists through `next`; walks that reach the same block with the same
/// registers and facts share the rest of their list (the protocol re-tests
/// of `port a or port b or ...` are walked once, not once per edge).
struct Step {
  bool isRun = false;
  ir::BlockId block = ir::kNoBlock;  // explicit: the skipped block
  int32_t run = -1;                  // run: its entry
  ir::BlockId target = ir::kNoBlock; // the target after this step
  int32_t state = -1;                // registers on arrival there (a StatePool index)
  int32_t next = -1;                 // the following step, -1 at the end
  int32_t last = -1;                 // the list's last step
  int32_t length = 1;                // steps from this one to the end
  // What the original path relies on: through this step alone, and from
  // this step to the end of the list, as (R & ~defs) | uses.
  RegMask ownDefs = 0, ownUses = 0, sumDefs = 0, sumUses = 0;
};

bool srcIsX(uint16_t code) { return (code & 0x08) != 0; }

ValueId operandOf(ValueTable& values, const State& s, const bpf::Insn& term) {
  return srcIsX(term.code) ? s.reg[kRegX] : values.constant(term.k);
}

uint64_t stateHash(const State& s) {
  // Two registers per multiply, in two independent lanes.
  static_assert(kNumRegs % 4 == 2);
  uint64_t h0 = 0xcbf29ce484222325ull, h1 = 0x84222325cbf29ce4ull;
  auto pair = [&](int r) { return uint64_t{s.reg[r]} | (uint64_t{s.reg[r + 1]} << 32); };
  for (int r = 0; r + 4 <= kNumRegs; r += 4) {
    h0 = (h0 ^ pair(r)) * 0x9E3779B97F4A7C15ull;
    h1 = (h1 ^ pair(r + 2)) * 0xBF58476D1CE4E5B9ull;
  }
  uint64_t h = (h0 ^ (h1 >> 31) ^ pair(kNumRegs - 2)) * 0x94D049BB133111EBull;
  h ^= h1;
  return h ^ (h >> 29);
}

/// What a walk's outcome from a block depends on besides the block: the
/// registers on arrival, the facts and which loads have succeeded.
uint64_t arrivalHash(uint64_t state, uint64_t facts, uint64_t loads) {
  uint64_t h = state * 0x9E3779B97F4A7C15ull;
  h ^= facts + 0x632BE59BD9B4E019ull + (h << 6) + (h >> 2);
  h ^= loads + 0x85EBCA77C2B2AE63ull + (h << 6) + (h >> 2);
  return h;
}

/// The liveness transform of one block: (R & ~defs) | uses.
void blockTransform(const ir::Block& b, RegMask& defs, RegMask& uses) {
  const RegMask all = (RegMask{1} << kNumRegs) - 1;
  uses = blockLiveIn(b, 0);
  defs = all & ~blockLiveIn(b, all);
}

/// blockTransform of each block, computed on first use.
class Transforms {
 public:
  explicit Transforms(const ir::Program& p) : p_(p), known_(p.blocks.size(), 0), t_(p.blocks.size()) {}
  void get(ir::BlockId id, RegMask& defs, RegMask& uses) {
    if (!known_[id]) {
      blockTransform(p_.blocks[id], t_[id].first, t_[id].second);
      known_[id] = 1;
    }
    defs = t_[id].first;
    uses = t_[id].second;
  }

 private:
  const ir::Program& p_;
  std::vector<uint8_t> known_;
  std::vector<std::pair<RegMask, RegMask>> t_;
};

class Walker {
 public:
  /// With `memoize` off, no walk or run is remembered and nothing is
  /// hashed: for programs too small for walks to meet often; every answer
  /// is the same either way.
  Walker(const ir::Program& p, ValueTable& values, const std::vector<RegMask>& live, const Preds& preds,
         bool memoize)
      : p_(p), values_(values), live_(live), preds_(preds), forgotten_(values.opaque()), transforms_(p),
        memoize_(memoize) {
    for (const ir::Block& b : p.blocks) {
      for (const bpf::Insn& insn : b.stmts) touched_ |= usesOf(insn) | defsOf(insn);
      touched_ |= usesOf(b.term);
    }
    // About one step per edge in a host list: reserving spares the copies
    // (and the fresh pages) of growing the array step by step.
    steps_ = takeRetained<Step, 0>();
    steps_.reserve(2 * p.blocks.size());
  }
  ~Walker() { giveRetained<Step, 0>(std::move(steps_)); }
  Walker(const Walker&) = delete;
  Walker& operator=(const Walker&) = delete;

  /// Follows decided blocks from `start`, arriving with state `s`; returns
  /// the first step of the walk (-1 when `start` is not decided).
  int32_t walk(Facts& facts, ir::BlockId start, State s) {
    pending_.clear();
    const uint64_t fh = memoize_ ? facts.allHash() : 0, lh = memoize_ ? facts.succeededHash() : 0;
    ir::BlockId cur = start;
    int32_t tail = -1;
    int32_t stateIndex = -1;  // s in the pool, once needed
    for (;;) {
      // Walks from different edges meet only where a block has several
      // predecessors; only there is the rest of a walk remembered.
      const bool join = preds_[cur].size() > 1;
      uint64_t key = kNotMemoized;
      if (join) {
        if (forgetDead(s, cur)) stateIndex = -1;
        if (memoize_) {
          key = arrivalHash(stateHash(s), fh, lh);
          if (const int32_t* hit = walks_.find(cur, key)) {
            tail = *hit;
            break;
          }
        }
      }
      const ir::Block& b = p_.blocks[cur];
      if (b.termKind != ir::TermKind::Branch) break;
      State t = s;
      if (!simulate(facts, b, t)) break;
      auto next = decide(facts, b, t);
      if (!next) break;
      Step step;
      step.block = cur;
      if (t.reg == s.reg && b.jt != b.jf && !srcIsX(b.term.code)) {
        step.isRun = true;
        step.run = runFrom(facts, cur, s);
        if (stateIndex < 0) stateIndex = keep(s);
        step.target = runs_[step.run].end;
        step.state = stateIndex;
        step.ownDefs = runs_[step.run].defs;
        step.ownUses = runs_[step.run].uses;
        cur = runs_[step.run].end;
      } else {
        if (stateIndex < 0 || t.reg != s.reg) stateIndex = keep(t);
        step.target = *next;
        step.state = stateIndex;
        transforms_.get(cur, step.ownDefs, step.ownUses);
        s = t;
        cur = *next;
      }
      steps_.push_back(step);
      pending_.push_back({key, static_cast<int32_t>(steps_.size() - 1)});
    }
    // Link the new steps, then summarize them back to front. Only long
    // rests are remembered: a short one costs less to walk again than to
    // keep (host lists make hundreds of thousands of short walks).
    for (size_t i = pending_.size(); i-- > 0;) {
      Step& st = steps_[pending_[i].second];
      st.next = i + 1 < pending_.size() ? pending_[i + 1].second : tail;
      if (st.next < 0) {
        st.last = pending_[i].second;
        st.length = 1;
        st.sumDefs = st.ownDefs;
        st.sumUses = st.ownUses;
      } else {
        const Step& n = steps_[st.next];
        st.last = n.last;
        st.length = n.length + 1;
        st.sumDefs = st.ownDefs | n.sumDefs;
        st.sumUses = (n.sumUses & ~st.ownDefs) | st.ownUses;
      }
      if (pending_[i].first != kNotMemoized && st.length >= kMemoMinSteps)
        walks_.put(st.block, pending_[i].first, pending_[i].second);
    }
    return pending_.empty() ? tail : pending_[0].second;
  }

  const Step& step(int32_t i) const { return steps_[i]; }
  /// The registers on arrival at step i's target along the original path.
  const State& stateAfter(int32_t i) const { return states_[steps_[i].state]; }

 private:
  int32_t keep(const State& s) { return memoize_ ? states_.intern(s, stateHash(s)) : states_.add(s); }

  /// Registers no path from `block` reads before writing them cannot matter
  /// to the rest of the walk: give them one shared unknown value, so that
  /// walks differing only there share their steps. (An unknown value only
  /// loses facts: a load it held no longer counts as already done.)
  /// Registers no instruction touches hold the same value in every state
  /// and are left alone.
  /// Returns whether a register changed.
  bool forgetDead(State& s, ir::BlockId block) const {
    bool changed = false;
    for (RegMask dead = touched_ & ~live_[block]; dead; dead &= dead - 1) {
      const int r = __builtin_ctz(dead);
      changed |= s.reg[r] != forgotten_;
      s.reg[r] = forgotten_;
    }
    return changed;
  }

  /// Runs the block's statements; false if one could reject the packet.
  bool simulate(const Facts& facts, const ir::Block& b, State& t) {
    for (const auto& insn : b.stmts) {
      // A statement that may reject writes A or X; the registers before it
      // are the ones after it with that one put back.
      const ValueId oldA = t.reg[kRegA], oldX = t.reg[kRegX];
      StepResult r = sift::optimizer::step(values_, t, insn);
      if (!r.mayReject || facts.succeeded(values_, r.value)) continue;
      const ValueId newA = t.reg[kRegA], newX = t.reg[kRegX];
      t.reg[kRegA] = oldA;
      t.reg[kRegX] = oldX;
      const bool ok = available(values_, t, r.value);
      t.reg[kRegA] = newA;
      t.reg[kRegX] = newX;
      if (!ok) return false;
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
    const uint64_t key =
        memoize_ ? arrivalHash(stateHash(s), facts.valueHash(s.reg[kRegA]), facts.succeededHash()) : 0;
    std::vector<ir::BlockId>& visited = visited_;
    visited.clear();
    ir::BlockId cur = start;
    int32_t tail = -1;
    for (;;) {
      if (const int32_t* hit = memoize_ ? runMemo_.find(cur, key) : nullptr) {
        tail = *hit;
        break;
      }
      const ir::Block& b = p_.blocks[cur];
      if (b.termKind != ir::TermKind::Branch || b.jt == b.jf || srcIsX(b.term.code)) break;
      State t = s;
      if (!simulate(facts, b, t) || t.reg != s.reg) break;
      auto next = decide(facts, b, t);
      if (!next) break;
      visited.push_back(cur);
      cur = *next;
    }
    // cur is where the run stops (or where a memoized run takes over).
    RunEntry after;
    after.end = tail >= 0 ? runs_[tail].end : cur;
    if (tail >= 0) after = runs_[tail];
    int32_t last = tail;
    for (size_t i = visited.size(); i-- > 0;) {
      RegMask d = 0, u = 0;
      transforms_.get(visited[i], d, u);
      RunEntry e;
      e.end = after.end;
      e.defs = d | after.defs;
      e.uses = (after.uses & ~d) | u;
      runs_.push_back(e);
      last = static_cast<int32_t>(runs_.size() - 1);
      if (memoize_) runMemo_.put(visited[i], key, last);
      after = e;
    }
    return last;
  }

  const ir::Program& p_;
  ValueTable& values_;
  const std::vector<RegMask>& live_;
  const Preds& preds_;
  const ValueId forgotten_;
  Transforms transforms_;
  const bool memoize_;
  RegMask touched_ = 0;  // registers some instruction reads or writes
  static constexpr uint64_t kNotMemoized = 0;  // (a real key of 0 is merely not memoized)
  static constexpr int32_t kMemoMinSteps = 8;
  std::vector<Step> steps_;
  StatePool states_;
  std::vector<RunEntry> runs_;
  MemoTable walks_, runMemo_;
  std::vector<std::pair<uint64_t, int32_t>> pending_;  // key (or kNotMemoized), step
  std::vector<ir::BlockId> visited_;
};

constexpr size_t kMemoMinBlocks = 64;

bool sameRelied(const State& a, const State& b, RegMask need) {
  for (int r = 0; r < kNumRegs; ++r)
    if ((need & bit(r)) && a.reg[r] != b.reg[r]) return false;
  return true;
}

/// Picks the furthest target whose registers match; returns the new target
/// (or `current`) and sets `out` to what the edge's source must keep.
ir::BlockId choose(const Walker& w, int32_t first, const State& from, ir::BlockId current,
                   const std::vector<RegMask>& relied, std::vector<int32_t>& scratch, RegMask& out) {
  out = relied[current];
  if (first < 0) return current;
  // Most walks end where every register matches (a return, a block that
  // loads what it tests): the list's summary answers without walking it.
  const Step& head = w.step(first);
  const Step& end = w.step(head.last);
  if (RegMask need = relied[end.target]; sameRelied(w.stateAfter(head.last), from, need)) {
    out = (need & ~head.sumDefs) | head.sumUses;
    return end.target;
  }
  scratch.clear();
  for (int32_t i = first; i >= 0; i = w.step(i).next) scratch.push_back(i);
  for (size_t k = scratch.size() - 1; k-- > 0;) {
    const Step& c = w.step(scratch[k]);
    RegMask need = relied[c.target];
    if (!sameRelied(w.stateAfter(scratch[k]), from, need)) continue;
    RegMask r = need;
    for (size_t i = k + 1; i-- > 0;) {
      const Step& st = w.step(scratch[i]);
      r = (r & ~st.ownDefs) | st.ownUses;
    }
    out = r;
    return c.target;
  }
  return current;
}

}  // namespace

Change threadJumps(ir::Program& p, Analyses& analyses) {
  const auto& rpo = analyses.rpo();
  const auto& preds = analyses.preds();
  const auto& idom = analyses.idom();
  ValueTable& values = analyses.values();
  const auto& entry = analyses.entry();
  const auto& exitState = analyses.exit();  // of every reachable block
  const auto& live = analyses.live();
  const size_t n = p.blocks.size();

  // Top-down: gather facts, walk both edges of every branch.
  std::vector<int32_t> planTrue(n, -1), planFalse(n, -1);
  // Walks meet often enough to be worth remembering only in large
  // programs (host and port lists); a small one is walked afresh.
  const bool memoize = n >= kMemoMinBlocks;
  Walker walker(p, values, live, preds, memoize);
  Facts facts(memoize);
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
        // A walk that starts at a return has nothing to skip.
        if (p.blocks[side ? b.jt : b.jf].termKind == ir::TermKind::Return) continue;
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
  Facts none(memoize);
  const int32_t entryPlan = walker.walk(none, p.entry, initial);

  // Bottom-up: apply, keeping exact "relied upon" registers per block.
  bool changed = false;
  std::vector<RegMask> relied(n, 0);
  std::vector<int32_t> scratch;
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    ir::BlockId id = *it;
    ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch) {
      relied[id] = blockLiveIn(b, 0);
      continue;
    }
    RegMask outT = 0, outF = 0;
    ir::BlockId jt = choose(walker, planTrue[id], exitState[id], b.jt, relied, scratch, outT);
    ir::BlockId jf = b.jt == b.jf ? jt : choose(walker, planFalse[id], exitState[id], b.jf, relied, scratch, outF);
    if (b.jt == b.jf) outF = outT;
    if (jt != b.jt || jf != b.jf) changed = true;
    b.jt = jt;
    b.jf = jf;
    relied[id] = blockLiveIn(b, outT | outF);
  }
  RegMask unused = 0;
  ir::BlockId newEntry = choose(walker, entryPlan, initial, p.entry, relied, scratch, unused);
  if (newEntry != p.entry) {
    p.entry = newEntry;
    changed = true;
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
