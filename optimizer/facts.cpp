// Path facts: ranges, inequalities and exact test outcomes per value.
#include "optimizer/facts.h"

namespace sift::optimizer {

namespace {
enum : uint16_t { kJeq = 0x10, kJgt = 0x20, kJge = 0x30, kJset = 0x40 };
constexpr uint16_t jumpOp(uint16_t code) { return code & 0xf0; }
uint64_t pairKey(ValueId a, uint32_t k) { return (static_cast<uint64_t>(a) << 32) | k; }
// The FactSet tag of a test's outcome (never 0, never Facts' not-equal tag).
uint32_t testTag(uint16_t code) { return 0x100u | jumpOp(code); }
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
uint64_t mix3(uint64_t tag, uint64_t a, uint64_t b) { return mix(tag * 0x100000001B3ull ^ mix(a) ^ (mix(b) << 1)); }
}  // namespace

std::optional<bool> evaluateConstant(uint16_t jmpCode, uint32_t a, uint32_t k) {
  switch (jumpOp(jmpCode)) {
    case kJeq: return a == k;
    case kJgt: return a > k;
    case kJge: return a >= k;
    case kJset: return (a & k) != 0;
    default: return std::nullopt;
  }
}

Facts::Range Facts::range(ValueId a) const { return a < perValue_.size() ? perValue_[a].range : Range{}; }

namespace {
uint64_t rangeHash(uint32_t lo, uint32_t hi) { return lo == 0 && hi == UINT32_MAX ? 0 : mix3(1, lo, hi); }
}  // namespace

uint64_t Facts::succeededHash() const { return hashing_ ? provenHash_ ^ mix3(5, maxEnd_, 0) : 0; }

void Facts::setRange(ValueId a, Range r) {
  cover(a);
  const Range old = perValue_[a].range;
  mixInto(a, rangeHash(old.lo, old.hi) ^ rangeHash(r.lo, r.hi));
  undo_.push_back(Undo{UndoKind::Range, a, old});
  perValue_[a].range = r;
}

void Facts::learn(const ValueTable& values, uint16_t code, ValueId a, ValueId operand, bool taken) {
  auto k = values.constantOf(operand);
  if (!k || jumpOp(code) == kJset) {
    // jset #k is keyed by the constant's value id.
    const FactSet::Key key{pairKey(a, operand), testTag(code)};
    if (relations_.insert(key, taken)) {
      undo_.push_back(Undo{UndoKind::Exact, a, {}, key.pair, key.tag});
      mixInto(a, mix3(2, (uint64_t{key.tag} << 32) | operand, taken));
    }
    return;
  }
  Range r = range(a);
  const uint32_t c = *k;
  switch (jumpOp(code)) {
    case kJeq:
      if (taken) {
        r.lo = r.hi = c;
      } else {
        const FactSet::Key key{pairKey(a, c), kNotEqualTag};
        if (relations_.insert(key, true)) {
          undo_.push_back(Undo{UndoKind::NotEqual, a, {}, key.pair});
          mixInto(a, mix3(3, c, 0));
        }
        if (c == r.lo && r.lo < r.hi) ++r.lo;
        else if (c == r.hi && r.lo < r.hi) --r.hi;
        else return;
      }
      break;
    case kJgt:
      if (taken) {
        if (c == UINT32_MAX) return;  // infeasible; learn nothing
        if (c + 1 > r.lo) r.lo = c + 1;
      } else if (c < r.hi) {
        r.hi = c;
      }
      break;
    case kJge:
      if (taken) {
        if (c > r.lo) r.lo = c;
      } else {
        if (c == 0) return;  // infeasible
        if (c - 1 < r.hi) r.hi = c - 1;
      }
      break;
    default: return;
  }
  setRange(a, r);
}

std::optional<bool> Facts::evaluate(const ValueTable& values, uint16_t code, ValueId a, ValueId operand) const {
  auto ca = values.constantOf(a);
  auto k = values.constantOf(operand);
  if (ca && k) return evaluateConstant(code, *ca, *k);
  if (!k || jumpOp(code) == kJset) {
    if (const bool* known = relations_.find({pairKey(a, operand), testTag(code)})) return *known;
    if (!k) return std::nullopt;
  }
  Range r = range(a);
  if (r.lo == r.hi) return evaluateConstant(code, r.lo, *k);
  const uint32_t c = *k;
  switch (jumpOp(code)) {
    case kJeq:
      if (c < r.lo || c > r.hi) return false;
      if (relations_.find({pairKey(a, c), kNotEqualTag})) return false;
      return std::nullopt;
    case kJgt:
      if (r.lo > c) return true;
      if (r.hi <= c) return false;
      return std::nullopt;
    case kJge:
      if (r.lo >= c) return true;
      if (r.hi < c) return false;
      return std::nullopt;
    default: return std::nullopt;
  }
}

namespace {
/// The end offset of an absolute load, 0 if `v` is not one.
uint64_t loadEnd(const ValueTable& values, ValueId v) {
  const ValueKey& k = values.key(v);
  if (k.kind == ValueKind::Load) return uint64_t{k.a} + k.b;
  if (k.kind == ValueKind::Msh) return uint64_t{k.a} + 1;
  return 0;
}
}  // namespace

void Facts::proveSucceeded(const ValueTable& values, ValueId v) {
  if (uint64_t end = loadEnd(values, v)) {
    if (end > maxEnd_) {
      undo_.push_back(Undo{UndoKind::MaxEnd, 0, {}, maxEnd_});
      maxEnd_ = end;
    }
    return;
  }
  cover(v);
  if (!perValue_[v].proven) {
    perValue_[v].proven = true;
    undo_.push_back(Undo{UndoKind::Proven, v, {}});
    if (hashing_) provenHash_ ^= mix3(4, v, 0);
  }
}

bool Facts::succeeded(const ValueTable& values, ValueId v) const {
  if (uint64_t end = loadEnd(values, v)) return end <= maxEnd_;
  return v < perValue_.size() && perValue_[v].proven;
}

void walkDominatorTree(const ir::Program& p, const std::vector<ir::BlockId>& rpo,
                       const std::vector<ir::BlockId>& idom, Facts& facts,
                       const std::function<void(ir::BlockId)>& visit) {
  // Children lists in two flat arrays, each in reverse post-order.
  const size_t n = p.blocks.size();
  std::vector<uint32_t> first(n + 1, 0);
  for (ir::BlockId id : rpo)
    if (idom[id] != ir::kNoBlock) ++first[idom[id] + 1];
  for (size_t i = 0; i < n; ++i) first[i + 1] += first[i];
  std::vector<ir::BlockId> children(first[n]);
  {
    std::vector<uint32_t> fill(first.begin(), first.end() - 1);
    for (ir::BlockId id : rpo)
      if (idom[id] != ir::kNoBlock) children[fill[idom[id]]++] = id;
  }
  struct Frame {
    ir::BlockId id;
    size_t mark;
    size_t next;
  };
  std::vector<Frame> stack;
  stack.reserve(n);  // at most one frame per block: no regrowth
  auto enter = [&](ir::BlockId id) {
    size_t mark = facts.mark();
    visit(id);
    stack.push_back({id, mark, 0});
  };
  enter(p.entry);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (first[f.id] + f.next < first[f.id + 1]) {
      ir::BlockId c = children[first[f.id] + f.next++];
      enter(c);
      continue;
    }
    facts.rewind(f.mark);
    stack.pop_back();
  }
}

void Facts::rewind(size_t mark) {
  while (undo_.size() > mark) {
    const Undo& u = undo_.back();
    switch (u.kind) {
      case UndoKind::Range: {
        Range cur = perValue_[u.a].range;
        mixInto(u.a, rangeHash(cur.lo, cur.hi) ^ rangeHash(u.old.lo, u.old.hi));
        perValue_[u.a].range = u.old;
        break;
      }
      case UndoKind::NotEqual:
        relations_.erase({u.word, kNotEqualTag});
        mixInto(u.a, mix3(3, static_cast<uint32_t>(u.word), 0));
        break;
      case UndoKind::Exact: {
        const FactSet::Key key{u.word, u.tag};
        if (hashing_) {
          const bool taken = *relations_.find(key);
          mixInto(u.a, mix3(2, (uint64_t{u.tag} << 32) | static_cast<uint32_t>(u.word), taken));
        }
        relations_.erase(key);
        break;
      }
      case UndoKind::Proven:
        perValue_[u.a].proven = false;
        if (hashing_) provenHash_ ^= mix3(4, u.a, 0);
        break;
      case UndoKind::MaxEnd: maxEnd_ = u.word; break;
    }
    undo_.pop_back();
  }
}

}  // namespace sift::optimizer
