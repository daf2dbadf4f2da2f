// Path facts: what the tests on the way to a point have established about
// values, held in a scoped table (enter a dominator-tree child, learn the
// edge's outcome, leave and forget it).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "optimizer/values.h"

namespace sift::optimizer {

/// A set of (value, test, operand) keys with one bit each, as one array
/// of slots (open addressing, linear probing, at most half full). Facts
/// are forgotten in the reverse order they were learned, and erase()
/// shifts the following slots back, so the table needs no tombstones.
class FactSet {
 public:
  struct Key {
    uint64_t pair = 0;  // value << 32 | operand (a value id or a constant)
    uint32_t tag = 0;   // what relation; 0 marks an empty slot
    friend bool operator==(const Key&, const Key&) = default;
  };
  FactSet() { slots_.resize(16); }
  /// The stored bit, or nullptr.
  const bool* find(const Key& k) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = slotOf(k) & mask;; i = (i + 1) & mask) {
      if (slots_[i].key.tag == 0) return nullptr;
      if (slots_[i].key == k) return &slots_[i].bit;
    }
  }
  /// Inserts when absent; returns whether it did.
  bool insert(const Key& k, bool bit) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    size_t i = slotOf(k) & mask;
    for (; slots_[i].key.tag != 0; i = (i + 1) & mask)
      if (slots_[i].key == k) return false;
    slots_[i] = Slot{k, bit};
    ++size_;
    return true;
  }
  void erase(const Key& k) {
    const size_t mask = slots_.size() - 1;
    size_t i = slotOf(k) & mask;
    while (!(slots_[i].key == k)) {
      if (slots_[i].key.tag == 0) return;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move up every later slot of the cluster
    // whose home lies at or before the hole.
    for (size_t j = (i + 1) & mask; slots_[j].key.tag != 0; j = (j + 1) & mask) {
      const size_t home = slotOf(slots_[j].key) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }

 private:
  struct Slot {
    Key key;
    bool bit = false;
  };
  static size_t slotOf(const Key& k) {
    uint64_t x = k.pair ^ (uint64_t{k.tag} * 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return static_cast<size_t>(x ^ (x >> 31));
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.key.tag == 0) continue;
      size_t i = slotOf(s.key) & mask;
      while (slots_[i].key.tag != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;  // power-of-two size
  size_t size_ = 0;
};

class Facts {
 public:
  /// Without `hashing` the facts keep no hashes (valueHash(), allHash()
  /// and succeededHash() are then 0): for callers that never compare them.
  explicit Facts(bool hashing = true) : hashing_(hashing) { undo_.reserve(64); }
  /// Records that the test `jmpCode` (a BPF_JMP code) of value `a` against
  /// `operand` had outcome `taken`.
  void learn(const ValueTable& values, uint16_t jmpCode, ValueId a, ValueId operand, bool taken);
  /// The outcome of the test if the facts decide it.
  std::optional<bool> evaluate(const ValueTable& values, uint16_t jmpCode, ValueId a, ValueId operand) const;

  /// Records that the computation of `v` (a packet load, or a division by
  /// X) has run and succeeded on every path to this point.
  void proveSucceeded(const ValueTable& values, ValueId v);
  /// True when computing `v` here cannot reject: it, or a load reaching at
  /// least as far into the packet, has already succeeded.
  bool succeeded(const ValueTable& values, ValueId v) const;

  /// A hash of everything known about `a`, and of which loads have
  /// succeeded: equal hashes mean the same facts (up to a 64-bit collision).
  /// Known bits of packet bytes (below) can decide a test of any value
  /// that reads them, so they are part of every value's hash.
  uint64_t valueHash(ValueId a) const { return (a < perValue_.size() ? perValue_[a].hash : 0) ^ bitsHash_; }
  uint64_t succeededHash() const;
  /// A hash of everything known about every value.
  uint64_t allHash() const { return allHash_ ^ bitsHash_; }

  size_t mark() const { return undo_.size(); }
  void rewind(size_t mark);

 private:
  struct Range {
    uint32_t lo = 0, hi = UINT32_MAX;
  };
  enum class UndoKind : uint8_t { Range, NotEqual, Exact, Proven, MaxEnd, Bits };
  struct Undo {
    UndoKind kind;
    ValueId a;
    Range old;             // Range: the range before
    uint64_t word = 0;     // NotEqual, Exact: the key's pair; MaxEnd: the end before;
                           // Bits: the field's bytes' known bits before, 16 bits each
                           // (a: the field's offset, tag: its size)
    uint32_t tag = 0;      // Exact: the key's tag
  };
  // Keys of `relations_`: `a != c` for a constant c (tag kNotEqualTag), and
  // the outcome of a test `a code operand` (tag: the test's code).
  static constexpr uint32_t kNotEqualTag = 1;

  Range range(ValueId a) const;
  void setRange(ValueId a, Range r);
  /// evaluate() from ranges, inequalities and exact outcomes.
  std::optional<bool> evaluateFacts(const ValueTable& values, uint16_t code, ValueId a, ValueId operand,
                                    std::optional<uint32_t> k) const;

  // Known bits of the packet's bytes at fixed offsets, learned from tests
  // of a load or of a load under a constant mask (`ldb [16]; and #7; jeq
  // #2` fixes three bits of byte 16), so that a test of another load of
  // the same bytes is decided (`ldh [16]; and #0xff07; jeq #0x8102` is
  // then false). Per byte: mask << 8 | values of the known bits.
  static constexpr uint32_t kTrackedBytes = 256;
  void learnBits(const ValueTable& values, uint16_t code, ValueId a, uint32_t k, bool taken);
  std::optional<bool> evaluateBits(const ValueTable& values, uint16_t code, ValueId a, uint32_t k) const;
  /// Sets the bits `mask` of the `size`-byte field at `offset` to `value`.
  void setBits(uint32_t offset, uint32_t size, uint32_t mask, uint32_t value);
  std::array<uint16_t, kTrackedBytes> bits_{};  // by byte offset
  size_t knownBytes_ = 0;                        // bytes with some known bit
  uint64_t bitsHash_ = 0;

  /// Makes the per-value tables cover `a`.
  void cover(ValueId a) {
    if (a >= perValue_.size()) perValue_.resize(std::max<size_t>(64, size_t{a} * 2));
  }

  // What is known about each value, indexed by value id (value ids are
  // dense), grown on demand.
  struct PerValue {
    Range range;
    uint64_t hash = 0;  // of everything known about the value
    bool proven = false;
  };
  std::vector<PerValue> perValue_;
  FactSet relations_;
  std::vector<Undo> undo_;
  void mixInto(ValueId a, uint64_t h) {
    if (!hashing_) return;
    cover(a);
    uint64_t& mine = perValue_[a].hash;
    allHash_ ^= valueTerm(a, mine);
    mine ^= h;
    allHash_ ^= valueTerm(a, mine);
  }
  /// One value's share of allHash_: 0 when nothing is known about it, and
  /// different for the same facts about two values.
  static uint64_t valueTerm(ValueId a, uint64_t h) {
    if (h == 0) return 0;
    uint64_t x = h ^ (uint64_t{a} * 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
  }
  bool hashing_;
  uint64_t allHash_ = 0;
  uint64_t provenHash_ = 0;
  uint64_t maxEnd_ = 0;  // the captured length is known to be at least this
};

/// Visits the dominator tree depth first from the entry, children in
/// reverse post-order. `visit(id)` runs when the walk enters a block; what
/// it teaches `facts` holds for the blocks the block dominates and is
/// forgotten when the walk leaves them.
void walkDominatorTree(const ir::Program& p, const std::vector<ir::BlockId>& rpo,
                       const std::vector<ir::BlockId>& idom, Facts& facts,
                       const std::function<void(ir::BlockId)>& visit);

/// Evaluates a conditional jump on constants (nullopt if not constant).
std::optional<bool> evaluateConstant(uint16_t jmpCode, uint32_t a, uint32_t k);

}  // namespace sift::optimizer
