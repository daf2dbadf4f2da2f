// Pass: share tails that differ only by where they read the packet.
//
// Does: finds a tail T2 (a block and everything reachable from it) that
//   reads the packet only at fixed offsets and never touches X, and a tail
//   T1 that does the same work through X-indexed loads: every statement and
//   test is the same, except that where T1 has `ld [x + k]` T2 has
//   `ld [k + d]`, with one displacement d for the whole tail. Every edge
//   into T2 then goes to T1 with X set to d (`ldx #d` at the end of the
//   predecessor, or in a new block when X is still needed on its other
//   side), and T2 drops out. The port tests of IPv6, at fixed offsets
//   after its 40-byte header, share the IPv4 code that indexes past a
//   variable header:
//
//       P:  ldb [20]; jeq #6 -> T2 | ret 0      P:  ldb [20]; ldx #40; jeq #6 -> T1 | ret 0
//       T2: ldh [54]; jeq #80 -> ...        =>  (gone)
//       T1: ldh [x + 14]; jeq #80 -> ...        T1: ldh [x + 14]; jeq #80 -> ...
//
// Runs once after the fixed point. The blocks T2 leaves behind are removed
// before the pass returns.
// Requires: a verified, acyclic IR program without inner jumps.
// Preserves: the verdict on every packet, truncated ones included. With
//   X = d, `ld [x + k]` reads the bytes `ld [k + d]` reads and fails on the
//   same packets (k + d is checked not to wrap); T1 never writes X, so X
//   stays d in it, and T2 never read X, so the new value cannot change
//   what T2's work computed. A and the scratch cells see the same
//   statements in the same order. An `ldx #d` is put only where X is dead
//   on every other path leaving that point; a predecessor entered only
//   from predecessors that set X = d, and that does not write X, needs
//   none. Fixed offsets of 2^31 and more, which Linux reads as ancillary
//   data, are never shared. A rewrite is made only when the blocks that
//   leave with T2 (those it dominates) hold more instructions than are
//   added, and weigh at least as much in the pipeline's measure.
//
// The search pairs blocks by a hash of their tails' shapes (statements and
// tests with the packet offsets left out), tries at most a few candidates
// per tail and compares at most a fixed number of block pairs per block of
// the program, so the pass stays linear in the program's size.
#include <algorithm>
#include <utility>
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

constexpr uint16_t kClassMask = 0x07, kModeMask = 0xe0;
constexpr uint16_t kClassLd = 0x00, kModeAbs = 0x20, kModeInd = 0x40;
constexpr uint16_t kLdxImm = 0x01;  // BPF_LDX | BPF_W | BPF_IMM
constexpr uint16_t kJa = 0x05;      // BPF_JMP | BPF_JA
constexpr size_t kCandidatesPerTail = 4;
// The pairs of blocks a sweep may compare, per block of the program: a
// budget that keeps the search linear when many tails have the same shape
// but different displacements; when it runs out, the sweep shares no more.
constexpr size_t kStepsPerBlock = 16;

bool isAbsLoad(const bpf::Insn& i) { return (i.code & kClassMask) == kClassLd && (i.code & kModeMask) == kModeAbs; }
bool isIndLoad(const bpf::Insn& i) { return (i.code & kClassMask) == kClassLd && (i.code & kModeMask) == kModeInd; }
bool touchesX(const bpf::Insn& i) { return ((usesOf(i) | defsOf(i)) & bit(kRegX)) != 0; }

/// The size of a load, with its addressing mode and offset left out.
uint64_t loadShape(const bpf::Insn& i) { return 0xA5A5000000000000ull | (i.code & 0x18); }

/// What is known of each block's tail (the block and all it reaches).
struct TailInfo {
  uint64_t shape = 0;
  bool noX = false;         // no statement or test in the tail reads or writes X
  bool indexedOnly = false;  // X is read only by indexed loads and never written
  bool hasAbs = false;       // the tail reads the packet at a fixed offset
  bool hasInd = false;       // the tail holds an indexed load
};

class Sweep {
 public:
  explicit Sweep(ir::Program& p) : p_(p) {}

  /// One round of rewrites on disjoint parts of the program; true when
  /// anything changed. `again` tells whether a candidate was passed over
  /// because an earlier rewrite of the round touched it.
  /// `analyses`, when given, still describe the program.
  bool run(bool& again, Analyses* analyses) {
    again = false;
    if (analyses) {
      rpo_ = &analyses->rpo();
      preds_ = &analyses->preds();
      live_ = &analyses->live();
    } else {
      ownRpo_ = ir::reversePostOrder(p_);
      ownPreds_ = predecessors(p_, ownRpo_);
      ownLive_ = liveIn(p_, ownRpo_);
      rpo_ = &ownRpo_;
      preds_ = &ownPreds_;
      live_ = &ownLive_;
    }
    order_.assign(p_.blocks.size(), UINT32_MAX);
    for (size_t i = 0; i < rpo_->size(); ++i) order_[(*rpo_)[i]] = static_cast<uint32_t>(i);
    computeTails();
    // T1 candidates, by shape: a whole block, or the part of one after its
    // last write of X (`ldxb 4*([14]&0xf); ldh [x + 14]; ...`).
    std::vector<std::pair<uint64_t, Start>> indexed;
    for (ir::BlockId b : *rpo_) {
      const TailInfo& t = info_[b];
      if (t.indexedOnly) {
        if (t.hasInd && !t.noX) indexed.push_back({t.shape, {b, 0}});
        continue;
      }
      const auto& stmts = p_.blocks[b].stmts;
      size_t from = stmts.size();
      while (from > 0 && (isIndLoad(stmts[from - 1]) || !touchesX(stmts[from - 1]))) --from;
      if (from == 0) continue;
      const TailInfo part = describe(p_.blocks[b], from);
      if (part.indexedOnly && part.hasInd) indexed.push_back({part.shape, {b, static_cast<uint32_t>(from)}});
    }
    if (indexed.empty()) return false;
    // Stable: candidates of one shape stay in reverse post-order.
    std::stable_sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    touched_.assign(p_.blocks.size(), 0);
    budget_ = kStepsPerBlock * p_.blocks.size() + 64;
    stamp_.assign(p_.blocks.size(), 0);
    mark_.assign(p_.blocks.size(), 0);
    bool changed = false;
    for (ir::BlockId t2 : *rpo_) {
      const TailInfo& i2 = info_[t2];
      if (t2 == p_.entry || !i2.noX || !i2.hasAbs) continue;
      auto it = std::lower_bound(indexed.begin(), indexed.end(), i2.shape,
                                 [](const auto& e, uint64_t shape) { return e.first < shape; });
      if (it == indexed.end() || it->first != i2.shape) continue;
      if (touched_[t2]) {
        again = again || touched_[t2] != kGone;
        continue;
      }
      size_t tries = 0;
      for (; it != indexed.end() && it->first == i2.shape; ++it) {
        const Start& t1 = it->second;
        if (touched_[t1.block]) {
          again = again || touched_[t1.block] != kGone;
          continue;
        }
        if (++tries > kCandidatesPerTail) break;
        uint32_t d = 0;
        if (matches(t1, t2, d) && rewrite(t1, t2, d)) {
          changed = true;
          break;
        }
      }
    }
    return changed;
  }

 private:
  /// Where a T1 candidate begins: block `block` from statement `from` on.
  struct Start {
    ir::BlockId block;
    uint32_t from;
  };

  /// The tail of `b` from statement `from` on; its successors' tails must
  /// be known.
  TailInfo describe(const ir::Block& b, size_t from) const {
    TailInfo t;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(b.termKind);
    auto mix = [&](uint64_t v) {
      h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 31;
    };
    t.noX = true;
    t.indexedOnly = true;
    for (size_t i = from; i < b.stmts.size(); ++i) {
      const bpf::Insn& s = b.stmts[i];
      if (isAbsLoad(s)) {
        t.hasAbs = true;
        mix(loadShape(s));
      } else if (isIndLoad(s)) {
        t.hasInd = true;
        t.noX = false;
        mix(loadShape(s));
      } else {
        if (touchesX(s)) t.noX = t.indexedOnly = false;
        mix(packInsn(s));
      }
    }
    if (b.termKind == ir::TermKind::Return || !ir::isPlainJump(b)) {
      if (touchesX(b.term)) t.noX = t.indexedOnly = false;
      mix(packInsn(b.term));
    }
    if (b.termKind == ir::TermKind::Branch) {
      for (ir::BlockId s : {b.jt, b.jf}) {
        const TailInfo& n = info_[s];
        t.noX = t.noX && n.noX;
        t.indexedOnly = t.indexedOnly && n.indexedOnly;
        t.hasAbs = t.hasAbs || n.hasAbs;
        t.hasInd = t.hasInd || n.hasInd;
        mix(n.shape);
      }
    }
    t.shape = h;
    return t;
  }

  void computeTails() {
    info_.assign(p_.blocks.size(), TailInfo{});
    for (auto it = rpo_->rbegin(); it != rpo_->rend(); ++it) info_[*it] = describe(p_.blocks[*it], 0);
  }

  /// True when T2 (from `b2`) does T1's (from `b1`) work with X = d; sets d.
  bool matches(Start t1, ir::BlockId b2, uint32_t& d) {
    bool known = false;
    std::vector<std::pair<ir::BlockId, ir::BlockId>>& work = work_;
    work.assign(1, {t1.block, b2});
    ++generation_;
    while (!work.empty()) {
      auto [x, y] = work.back();
      work.pop_back();
      if (budget_ == 0) return false;
      --budget_;
      // Only the first pair can start inside a block (T1 is acyclic, so
      // its own block is not met again).
      const size_t from = x == t1.block ? t1.from : 0;
      // A block this sweep has rewritten, or whose tail it has changed
      // (every such tail passes through one), is left for the next sweep.
      if (x >= info_.size() || y >= info_.size() || touched_[x] || touched_[y]) return false;
      // Each block of T1 pairs with one block of T2 (met again, the pair
      // is done; paired with another block, the search gives up).
      if (stamp_[x] == generation_) {
        if (mark_[x] != y) return false;
        continue;
      }
      stamp_[x] = generation_;
      mark_[x] = y;
      if (x == y) {
        // Shared code that does not read the X it is entered with.
        if ((*live_)[x] & bit(kRegX)) return false;
        continue;
      }
      const ir::Block& a = p_.blocks[x];
      const ir::Block& b = p_.blocks[y];
      if (a.termKind != b.termKind || a.stmts.size() - from != b.stmts.size()) return false;
      if (ir::isPlainJump(a) != ir::isPlainJump(b)) return false;
      if (!ir::isPlainJump(a) && (packInsn(a.term) != packInsn(b.term) || touchesX(a.term))) return false;
      for (size_t i = 0; i < b.stmts.size(); ++i) {
        const bpf::Insn& s1 = a.stmts[from + i];
        const bpf::Insn& s2 = b.stmts[i];
        if (isIndLoad(s1)) {
          // Offsets from 2^31 up are Linux's ancillary and link-layer
          // loads when absolute; indexed, they are not: never shared.
          if (!isAbsLoad(s2) || (s1.code & 0x18) != (s2.code & 0x18) || s2.k < s1.k || s2.k >= kKernelOffsets)
            return false;
          const uint32_t shift = s2.k - s1.k;
          if (known && shift != d) return false;
          d = shift;
          known = true;
        } else if (packInsn(s1) != packInsn(s2) || touchesX(s1)) {
          return false;
        }
      }
      if (a.termKind == ir::TermKind::Branch) {
        work.emplace_back(a.jt, b.jt);
        work.emplace_back(a.jf, b.jf);
      }
    }
    return known;
  }

  /// What leaves with `t2` once no edge enters it (the blocks it
  /// dominates): their weight in the pipeline's measure, and the
  /// instructions the emitter writes for them (a plain jump may be free).
  struct Weight {
    size_t measure = 0, insns = 0;
  };
  Weight dominatedWeight(ir::BlockId t2) {
    // stamp_: in the region (generation), mark_: dominated by t2 (1).
    ++generation_;
    std::vector<ir::BlockId>& region = work2_;
    region.assign(1, t2);
    stamp_[t2] = generation_;
    for (size_t i = 0; i < region.size(); ++i) {
      const ir::Block& b = p_.blocks[region[i]];
      mark_[region[i]] = 0;
      if (b.termKind != ir::TermKind::Branch) continue;
      for (ir::BlockId s : {b.jt, b.jf})
        if (stamp_[s] != generation_) stamp_[s] = generation_, region.push_back(s);
    }
    std::sort(region.begin(), region.end(), [&](ir::BlockId a, ir::BlockId b) { return order_[a] < order_[b]; });
    Weight weight;
    for (ir::BlockId v : region) {
      bool dom = v == t2;
      if (!dom) {
        dom = true;
        for (ir::BlockId q : (*preds_)[v])
          if (stamp_[q] != generation_ || mark_[q] != 1) dom = false;
      }
      if (!dom) continue;
      mark_[v] = 1;
      leaving_.push_back(v);
      const ir::Block& b = p_.blocks[v];
      weight.measure += 2 + b.stmts.size();
      weight.insns += b.stmts.size() + (ir::isPlainJump(b) ? 0 : 1);
    }
    return weight;
  }

  bool rewrite(Start start, ir::BlockId t2, uint32_t d) {
    // How each predecessor's edge gets X = d: from its own predecessors
    // when all of them are predecessors of T2 that set it (and it does not
    // write X itself), in its own statements when X is dead on its other
    // side, else through a new block. Visited in reverse post-order, so a
    // block's predecessors are planned before it.
    enum class How : uint8_t { Inherited, InPlace, NewBlock };
    struct Plan {
      ir::BlockId pred;
      How how;
    };
    std::vector<ir::BlockId> preds((*preds_)[t2].begin(), (*preds_)[t2].end());
    std::sort(preds.begin(), preds.end(), [&](ir::BlockId a, ir::BlockId b) { return order_[a] < order_[b]; });
    preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
    std::vector<Plan> plans;
    auto setsX = [&](ir::BlockId q) {
      for (const Plan& e : plans)
        if (e.pred == q) return e.how != How::NewBlock;
      return false;
    };
    // The cost in the pipeline's measure and in emitted instructions.
    size_t cost = 0, insnCost = 0;
    for (ir::BlockId q : preds) {
      if (touched_[q]) return false;
      const ir::Block& b = p_.blocks[q];
      const ir::BlockId other = b.jt == t2 ? b.jf : b.jt;
      const bool xDeadElsewhere = other == t2 || ((*live_)[other] & bit(kRegX)) == 0;
      const bool testKeepsX = ir::isPlainJump(b) || !touchesX(b.term);
      const bool keepsX = testKeepsX && std::none_of(b.stmts.begin(), b.stmts.end(), touchesX);
      bool inherits = keepsX && xDeadElsewhere && !(*preds_)[q].empty();
      for (ir::BlockId r : (*preds_)[q]) inherits = inherits && setsX(r);
      const How how = inherits                        ? How::Inherited
                      : xDeadElsewhere && testKeepsX ? How::InPlace
                                                     : How::NewBlock;
      plans.push_back({q, how});
      cost += how == How::Inherited ? 0 : how == How::InPlace ? 1 : 3;
      insnCost += how == How::Inherited ? 0 : how == How::InPlace ? 1 : 2;
    }
    // T1 starting inside a block: the block is split there, its first part
    // running into the second (a block and a jump more in the measure; the
    // jump costs no instruction where the first part is laid out just
    // before the second, as the emitter arranges when it can).
    if (start.from > 0) cost += 2;
    leaving_.clear();
    // The program must shrink and must not grow in the measure.
    const Weight gain = dominatedWeight(t2);
    if (gain.insns <= insnCost || gain.measure < cost) return false;
    ir::BlockId t1 = start.block;
    if (start.from > 0) {
      ir::Block& head = p_.blocks[start.block];
      ir::Block rest;
      rest.stmts.assign(head.stmts.begin() + start.from, head.stmts.end());
      rest.termKind = head.termKind;
      rest.term = head.term;
      rest.jt = head.jt;
      rest.jf = head.jf;
      head.stmts.resize(start.from);
      head.termKind = ir::TermKind::Branch;
      head.term = bpf::Insn{kJa, 0, 0, 0};
      t1 = static_cast<ir::BlockId>(p_.blocks.size());
      head.jt = head.jf = t1;
      p_.blocks.push_back(std::move(rest));
      touched_.push_back(0);
      stamp_.push_back(0);
      mark_.push_back(0);
      touched_[start.block] = kChanged;
    }
    const bpf::Insn setX{kLdxImm, 0, 0, d};
    for (const Plan& plan : plans) {
      ir::BlockId target = t1;
      if (plan.how == How::NewBlock) {
        ir::Block n;
        n.stmts.push_back(setX);
        n.termKind = ir::TermKind::Branch;
        n.term = bpf::Insn{kJa, 0, 0, 0};
        n.jt = n.jf = t1;
        target = static_cast<ir::BlockId>(p_.blocks.size());
        p_.blocks.push_back(std::move(n));
        touched_.push_back(kChanged);
        stamp_.push_back(0);
        mark_.push_back(0);
      }
      ir::Block& b = p_.blocks[plan.pred];
      if (plan.how == How::InPlace) b.stmts.push_back(setX);
      if (b.jt == t2) b.jt = target;
      if (b.jf == t2) b.jf = target;
      touched_[plan.pred] = kChanged;
    }
    // T1's tail now has new entries and T2's is gone: neither may take part
    // in another rewrite until the next sweep has recomputed the analyses.
    for (ir::BlockId v : leaving_) touched_[v] = kGone;
    markTail(t1);
    return true;
  }

  void markTail(ir::BlockId from) {
    std::vector<ir::BlockId> work{from};
    while (!work.empty()) {
      ir::BlockId v = work.back();
      work.pop_back();
      if (touched_[v] == kInTail) continue;
      const ir::Block& b = p_.blocks[v];
      // Returns are never rewritten, and every tail ends in them.
      if (b.termKind == ir::TermKind::Return) continue;
      touched_[v] = kInTail;
      if (b.termKind == ir::TermKind::Branch) work.push_back(b.jt), work.push_back(b.jf);
    }
  }

  ir::Program& p_;
  // The orders, predecessors and liveness the sweep works from: the
  // pipeline's analyses in the first sweep, then computed here.
  const std::vector<ir::BlockId>* rpo_ = nullptr;
  const Preds* preds_ = nullptr;
  const std::vector<RegMask>* live_ = nullptr;
  std::vector<ir::BlockId> ownRpo_;
  Preds ownPreds_;
  std::vector<RegMask> ownLive_;
  std::vector<uint32_t> order_;
  std::vector<TailInfo> info_;
  // What a rewrite of this sweep did to a block: nothing (0), changed it
  // (kChanged), put it in a tail that gained entries (kInTail), or left
  // it unreachable (kGone).
  static constexpr uint8_t kChanged = 1, kInTail = 2, kGone = 3;
  std::vector<uint8_t> touched_;
  std::vector<ir::BlockId> leaving_;  // the blocks the last dominatedWeight() counted
  // Per-search marks, valid where stamp_ equals generation_.
  std::vector<uint32_t> stamp_, mark_;
  uint32_t generation_ = 0;
  size_t budget_ = 0;  // pairs matches() may still compare
  std::vector<std::pair<ir::BlockId, ir::BlockId>> work_;
  std::vector<ir::BlockId> work2_;
};

}  // namespace

Change shareShiftedTails(ir::Program& p, Analyses& analyses) {
  // Nothing to share without both kinds of load.
  bool abs = false, ind = false;
  for (const ir::Block& b : p.blocks)
    for (const bpf::Insn& s : b.stmts) abs = abs || isAbsLoad(s), ind = ind || isIndLoad(s);
  if (!abs || !ind) return Change::None;
  bool changed = false, again = true;
  while (again && Sweep(p).run(again, changed ? nullptr : &analyses)) {
    changed = true;
    removeUnreachable(p);  // T2's blocks, so that each sweep sees only live ones
  }
  return changed ? Change::Edges : Change::None;
}

}  // namespace sift::optimizer
