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

namespace {
/// The field a value reads, when it is a load at a fixed offset or such a
/// load under a constant mask: offset, size in bytes and the mask.
bool maskedField(const ValueTable& values, ValueId a, uint32_t& offset, uint32_t& size, uint32_t& mask) {
  constexpr uint32_t kAnd = 0x50;
  ValueKey k = values.key(a);
  mask = UINT32_MAX;
  if (k.kind == ValueKind::Alu && k.c == kAnd) {
    auto m = values.constantOf(k.b);
    if (!m) return false;
    mask = *m;
    k = values.key(k.a);
  }
  if (k.kind != ValueKind::Load || (k.b != 1 && k.b != 2 && k.b != 4)) return false;
  offset = k.a;
  size = k.b;
  if (size < 4) mask &= (1u << (8 * size)) - 1;
  return true;
}
bool singleBit(uint32_t m) { return m != 0 && (m & (m - 1)) == 0; }
/// One byte's share of the known-bits hash (0 for a byte with none known).
uint64_t byteTerm(uint32_t offset, uint16_t cell) {
  if (cell == 0) return 0;
  uint64_t x = ((uint64_t{offset} << 16) | cell) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 32;
  return x * 0xBF58476D1CE4E5B9ull;
}
}  // namespace

void Facts::setBits(uint32_t offset, uint32_t size, uint32_t mask, uint32_t value) {
  if (uint64_t{offset} + size > kTrackedBytes) return;
  uint64_t old = 0;
  bool changed = false;
  for (uint32_t j = 0; j < size; ++j) {
    const uint32_t shift = 8 * (size - 1 - j);
    const uint16_t m = (mask >> shift) & 0xff, v = (value >> shift) & m;
    uint16_t& cell = bits_[offset + j];
    old |= uint64_t{cell} << (16 * j);
    const uint16_t oldMask = cell >> 8, oldValue = cell & 0xff;
    // No bit to learn, or a path no packet takes.
    if (m == 0 || (oldMask & m & (oldValue ^ v)) != 0) continue;
    const uint16_t now = static_cast<uint16_t>(((oldMask | m) << 8) | oldValue | v);
    if (now == cell) continue;
    if (cell == 0) ++knownBytes_;
    if (hashing_) bitsHash_ ^= byteTerm(offset + j, cell) ^ byteTerm(offset + j, now);
    cell = now;
    changed = true;
  }
  if (changed) undo_.push_back(Undo{UndoKind::Bits, offset, {}, old, size});
}

void Facts::learnBits(const ValueTable& values, uint16_t code, ValueId a, uint32_t k, bool taken) {
  // A failed jeq teaches bits only under a one-bit mask (an ALU value).
  const uint16_t op = jumpOp(code);
  if (op == kJeq ? !taken && values.key(a).kind != ValueKind::Alu : op != kJset) return;
  uint32_t offset, size, mask;
  if (!maskedField(values, a, offset, size, mask)) return;
  switch (jumpOp(code)) {
    case kJeq:
      if (taken) {
        if ((k & ~mask) == 0) setBits(offset, size, mask, k);
      } else if (singleBit(mask) && (k == 0 || k == mask)) {
        setBits(offset, size, mask, k == 0 ? mask : 0);
      }
      break;
    case kJset:
      if (!taken) setBits(offset, size, k & mask, 0);
      else if (singleBit(k & mask)) setBits(offset, size, k & mask, k & mask);
      break;
    default: break;
  }
}

std::optional<bool> Facts::evaluateBits(const ValueTable& values, uint16_t code, ValueId a, uint32_t k) const {
  uint32_t offset, size, mask;
  if (!maskedField(values, a, offset, size, mask) || uint64_t{offset} + size > kTrackedBytes) return std::nullopt;
  uint32_t known = 0, value = 0;
  for (uint32_t j = 0; j < size; ++j) {
    known = (known << 8) | (bits_[offset + j] >> 8);
    value = (value << 8) | (bits_[offset + j] & 0xff);
  }
  known &= mask;
  value &= known;
  switch (jumpOp(code)) {
    case kJeq:
      if ((k & ~mask) != 0 || ((value ^ k) & known) != 0) return false;
      if (known == mask) return true;
      return std::nullopt;
    case kJset:
      if ((value & k) != 0) return true;
      if (((known & ~value) & (k & mask)) == (k & mask)) return false;
      return std::nullopt;
    case kJgt:
    case kJge:
      if (known == mask) return evaluateConstant(code, value, k);
      return std::nullopt;
    default: return std::nullopt;
  }
}

void Facts::learn(const ValueTable& values, uint16_t code, ValueId a, ValueId operand, bool taken) {
  auto k = values.constantOf(operand);
  if (k) learnBits(values, code, a, *k, taken);
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
  std::optional<bool> known = evaluateFacts(values, code, a, operand, k);
  if (!known && k && knownBytes_ > 0) known = evaluateBits(values, code, a, *k);
  return known;
}

std::optional<bool> Facts::evaluateFacts(const ValueTable& values, uint16_t code, ValueId a, ValueId operand,
                                         std::optional<uint32_t> k) const {
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
      case UndoKind::Bits:
        for (uint32_t j = 0; j < u.tag; ++j) {
          uint16_t& cell = bits_[u.a + j];
          const uint16_t old = static_cast<uint16_t>(u.word >> (16 * j));
          if (cell == old) continue;
          if (hashing_) bitsHash_ ^= byteTerm(u.a + j, cell) ^ byteTerm(u.a + j, old);
          if (old == 0) --knownBytes_;
          cell = old;
        }
        break;
    }
    undo_.pop_back();
  }
}

}  // namespace sift::optimizer
