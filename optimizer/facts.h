// Path facts: what the tests on the way to a point have established about
// values, held in a scoped table (enter a dominator-tree child, learn the
// edge's outcome, leave and forget it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "optimizer/values.h"

namespace sift::optimizer {

class Facts {
 public:
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
  uint64_t valueHash(ValueId a) const { return a < valueHash_.size() ? valueHash_[a] : 0; }
  uint64_t succeededHash() const;
  /// A hash of everything known about every value.
  uint64_t allHash() const { return allHash_; }

  size_t mark() const { return undo_.size(); }
  void rewind(size_t mark);

 private:
  struct Range {
    uint32_t lo = 0, hi = UINT32_MAX;
  };
  struct ExactKey {
    ValueId a;
    uint16_t code;
    ValueId operand;
    friend bool operator==(const ExactKey&, const ExactKey&) = default;
  };
  struct ExactHash {
    size_t operator()(const ExactKey& k) const {
      return (static_cast<size_t>(k.a) * 0x9E3779B97F4A7C15ull) ^ (static_cast<size_t>(k.operand) << 17) ^ k.code;
    }
  };
  enum class UndoKind : uint8_t { Range, NotEqual, Exact, Proven, MaxEnd };
  struct Undo {
    UndoKind kind;
    ValueId a;
    bool hadRange;
    Range old;
    uint64_t notEqualKey;
    ExactKey exactKey;
  };

  Range range(ValueId a) const;
  void setRange(ValueId a, Range r);

  /// Makes the per-value tables cover `a`.
  void cover(ValueId a) {
    if (a >= valueHash_.size()) {
      size_t n = std::max<size_t>(64, size_t{a} * 2);
      valueHash_.resize(n, 0);
      ranges_.resize(n);
      proven_.resize(n, 0);
    }
  }

  // Indexed by value id (value ids are dense), grown on demand.
  std::vector<Range> ranges_;
  std::unordered_set<uint64_t> notEqual_;
  std::unordered_map<ExactKey, bool, ExactHash> exact_;
  std::vector<Undo> undo_;
  void mixInto(ValueId a, uint64_t h) {
    cover(a);
    allHash_ ^= valueTerm(a, valueHash_[a]);
    valueHash_[a] ^= h;
    allHash_ ^= valueTerm(a, valueHash_[a]);
  }
  /// One value's share of allHash_: 0 when nothing is known about it, and
  /// different for the same facts about two values.
  static uint64_t valueTerm(ValueId a, uint64_t h) {
    if (h == 0) return 0;
    uint64_t x = h ^ (uint64_t{a} * 0x9E3779B97F4A7C15ull);
    x = (x ^ (x >> 31)) * 0xBF58476D1CE4E5B9ull;
    return x ^ (x >> 29);
  }
  uint64_t allHash_ = 0;
  std::vector<uint64_t> valueHash_;
  uint64_t provenHash_ = 0;
  std::vector<uint8_t> proven_;
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
