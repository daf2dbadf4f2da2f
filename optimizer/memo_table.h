// The optimizer's memo tables: (block, 64-bit hash of what is known on
// arrival) -> an index. Open addressing in one array of 16-byte slots (no
// allocation per entry), linear probing, at most half full; nothing is
// ever erased. Two keys with the same block and hash are the same key, so
// the hash must cover everything the memoized answer depends on (a 64-bit
// collision is the accepted risk, as for Facts' hashes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace sift::optimizer {

class MemoTable {
 public:
  /// The index stored for the key, or nullptr.
  const int32_t* find(ir::BlockId block, uint64_t hash) const {
    if (slots_.empty()) return nullptr;  // storage comes with the first put
    const size_t mask = slots_.size() - 1;
    for (size_t i = slotOf(block, hash) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.block == ir::kNoBlock) return nullptr;
      if (s.block == block && s.hash == hash) return &s.value;
    }
  }

  /// Inserts or overwrites.
  void put(ir::BlockId block, uint64_t hash, int32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    Slot& s = slotFor(block, hash);
    if (s.block == ir::kNoBlock) {
      s.block = block;
      s.hash = hash;
      ++size_;
    }
    s.value = value;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    ir::BlockId block = ir::kNoBlock;
    int32_t value = 0;
  };
  static size_t slotOf(ir::BlockId block, uint64_t hash) {
    uint64_t x = hash ^ (uint64_t{block} * 0x9E3779B97F4A7C15ull);  // splitmix64's finalizer
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return static_cast<size_t>(x ^ (x >> 31));
  }
  Slot& slotFor(ir::BlockId block, uint64_t hash) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = slotOf(block, hash) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.block == ir::kNoBlock || (s.block == block && s.hash == hash)) return s;
    }
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    for (const Slot& s : old)
      if (s.block != ir::kNoBlock) slotFor(s.block, s.hash) = s;
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace sift::optimizer
