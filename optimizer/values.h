// Analyses shared by the optimizer's passes: value numbers for what the
// registers hold, the effect of one instruction on the machine state,
// liveness of registers, predecessors, orders and dominators.
//
// Value numbers name pure functions of the packet: a load of two bytes at
// offset 12 has the same number wherever it happens, because the packet
// never changes while a program runs. A register state maps A, X and the
// sixteen scratch cells to value numbers. These facts live in the passes'
// own side tables, never on the IR.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ir/ir.h"

namespace sift::optimizer {

using ValueId = uint32_t;

// Register indices in a State and in liveness masks.
inline constexpr int kRegA = 16;
inline constexpr int kRegX = 17;
inline constexpr int kNumRegs = 18;  // M[0..15], A, X
using RegMask = uint32_t;
inline constexpr RegMask bit(int reg) { return RegMask{1} << reg; }

enum class ValueKind : uint8_t {
  Const,    // a = the constant
  Length,   // the wire length
  Load,     // a = offset, b = size in bytes
  LoadInd,  // a = value of X, b = offset, c = size
  Msh,      // 4*([a]&0xf)
  Alu,      // a, b = operand values, c = BPF ALU op
  Negate,   // a
  Opaque,   // a distinct unknown value (a merge point without agreement)
  Loop,     // what an outlined loop leaves in a register (see kLoopStmt):
            // a = loop index << 5 | register; A and X: b, c = A and X on
            // entry; a scratch cell: b = the loop's A, c = the cell on entry
};

struct ValueKey {
  ValueKind kind;
  uint32_t a = 0, b = 0, c = 0;
  friend bool operator==(const ValueKey&, const ValueKey&) = default;
};

struct ValueKeyHash {
  size_t operator()(const ValueKey& k) const {
    // A multiply per 64 bits of the key, then one mixing round, so that the
    // low bits (the slot) depend on every bit (constants that differ only
    // in their high bits, as network addresses do, must not collide).
    uint64_t h = ((uint64_t{k.a} << 32) | k.b) * 0x9E3779B97F4A7C15ull;
    h ^= ((uint64_t{k.c} << 8) | static_cast<uint64_t>(k.kind)) * 0xC2B2AE3D27D4EB4Full;
    h = (h ^ (h >> 32)) * 0xBF58476D1CE4E5B9ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

/// Hash-consed values. Constant folding happens on intern. The index is
/// an open-addressing table of value ids (no allocation per value).
class ValueTable {
 public:
  ValueTable() {
    cache_.fill(kEmpty);
    slots_.assign(512, kEmpty);
    keys_.reserve(256);
  }
  ValueId constant(uint32_t c) { return intern({ValueKind::Const, c}); }
  /// A fresh unknown value. No key can ask for it again, so it stays out of
  /// the hash index (which then holds what lookups can find: constants,
  /// loads and computations).
  ValueId opaque() { return append({ValueKind::Opaque, nextOpaque_++}); }
  /// The unknown value register `reg` holds on entry to `block` where its
  /// predecessors disagree: the same number each time the states of one
  /// program are computed, so recomputing them does not grow the table.
  /// A and X, which disagree at most joins, are found by block in a plain
  /// array; the scratch cells, rarely, through the hash index.
  ValueId unknownAt(ir::BlockId block, int reg) {
    if (reg != kRegA && reg != kRegX) return intern({ValueKind::Opaque, block, static_cast<uint32_t>(reg), 1});
    const size_t i = size_t{block} * 2 + (reg == kRegX);
    if (i >= unknownAX_.size()) unknownAX_.resize(std::max(i + 1, unknownAX_.size() * 2), kEmpty);
    ValueId& v = unknownAX_[i];
    if (v == kEmpty) v = append({ValueKind::Opaque, block, static_cast<uint32_t>(reg), 1});
    return v;
  }
  ValueId intern(const ValueKey& key) {
    const ValueId cached = cache_[cacheSlot(key)];
    if (cached != kEmpty && keys_[cached] == key) return cached;
    return internSlow(key);
  }
  const ValueKey& key(ValueId v) const { return keys_[v]; }
  std::optional<uint32_t> constantOf(ValueId v) const {
    if (keys_[v].kind == ValueKind::Const) return keys_[v].a;
    return std::nullopt;
  }
  /// The value of `A op B` (BPF_ADD...BPF_XOR), folded where possible;
  /// nullopt when it cannot be known statically and the operation may
  /// reject the packet (division or modulo by a value not known nonzero).
  ValueId alu(uint16_t op, ValueId a, ValueId b);

 private:
  static constexpr ValueId kEmpty = UINT32_MAX;
  // The passes ask for the same few values (the constants of tests, the
  // loads of a header's fields) again and again: a direct-mapped cache of
  // recent answers, indexed by a cheap hash, sits in front of the table.
  static constexpr int kCacheBits = 8;
  static size_t cacheSlot(const ValueKey& k) {
    const uint32_t h = (k.a * 0x9E3779B1u) ^ (k.b * 0x85EBCA77u) ^ (k.c * 0xC2B2AE3Du) ^ static_cast<uint32_t>(k.kind);
    return (h * 0x27D4EB2Fu) >> (32 - kCacheBits);
  }
  std::array<ValueId, size_t{1} << kCacheBits> cache_;
  ValueId internSlow(const ValueKey& key);
  /// A value with no entry in the hash index (see opaque(), unknownAt()).
  ValueId append(const ValueKey& key) {
    keys_.push_back(key);
    return static_cast<ValueId>(keys_.size() - 1);
  }
  /// Whether a key is one append() stored, outside the index.
  static bool unindexed(const ValueKey& k) {
    return k.kind == ValueKind::Opaque && (k.c == 0 || k.b == kRegA || k.b == kRegX);
  }
  void grow();
  std::vector<ValueId> unknownAX_;  // block * 2 (+1 for X) -> value, or kEmpty
  size_t indexed_ = 0;              // keys with a slot in the index
  std::vector<ValueId> slots_;  // power-of-two size, at most half full
  std::vector<ValueKey> keys_;
  uint32_t nextOpaque_ = 0;
};

struct State {
  std::array<ValueId, kNumRegs> reg{};
};

/// A loop inside a block (protochain's header walk, the only jumps among
/// statements that ir.h allows) stands in the passes' view of the block as
/// one statement with this code, outside the opcode space, and restored
/// after the last pass (pipeline.cpp). Its k holds the loop's length in
/// instructions (high 16 bits) and its index (low 16); jt and jf the
/// scratch cells it may write (cells 0-7 and 8-15). The loop is a function
/// of the packet and of A and X on entry (it reads a scratch cell only
/// after writing it on the same straight run), it may reject the packet,
/// and it leaves new A and X; a cell it writes holds either what it held
/// or the loop's value, so the cell is both read and written.
inline constexpr uint16_t kLoopStmt = 0x8007;
inline bool isLoopStmt(const bpf::Insn& i) { return i.code == kLoopStmt; }
inline RegMask loopCells(const bpf::Insn& i) { return RegMask{i.jt} | (RegMask{i.jf} << 8); }
inline uint32_t loopLength(const bpf::Insn& i) { return i.k >> 16; }
inline uint32_t loopIndex(const bpf::Insn& i) { return i.k & 0xffff; }
inline bpf::Insn loopStmt(uint32_t index, uint32_t length, RegMask cells) {
  return bpf::Insn{kLoopStmt, static_cast<uint8_t>(cells & 0xff), static_cast<uint8_t>((cells >> 8) & 0xff),
                   (length << 16) | index};
}

/// What executing one statement does.
struct StepResult {
  int dest = -1;          // register written, -1 for none
  ValueId value = 0;      // its new value
  bool mayReject = false; // the statement can end the program with 0
};

/// Applies one straight-line instruction to `s`; `mayReject` is set for
/// packet loads and division or modulo by X (which reject when out of
/// bounds or X is 0). Whether a rejecting statement is really needed is
/// the caller's business (see available()).
StepResult step(ValueTable& values, State& s, const bpf::Insn& insn);

namespace detail {
/// The registers each 8-bit code reads and writes, from the opcode table:
/// A and X as mask bits, the scratch cell M[k] as a flag (its bit depends
/// on k). An invalid code reads A and X and writes nothing.
struct RegEffect {
  RegMask usesAX = bit(kRegA) | bit(kRegX), defsAX = 0;
  bool usesMem = false, defsMem = false;
};
extern const std::array<RegEffect, 256> kRegEffects;
}  // namespace detail

/// The registers an instruction reads and writes (statements and
/// terminators).
inline RegMask usesOf(const bpf::Insn& insn) {
  if (isLoopStmt(insn)) return bit(kRegA) | bit(kRegX) | loopCells(insn);
  if (insn.code > 0xff) return bit(kRegA) | bit(kRegX);
  const detail::RegEffect& e = detail::kRegEffects[insn.code];
  return e.usesAX | (e.usesMem ? bit(static_cast<int>(insn.k & 15)) : 0);
}
inline RegMask defsOf(const bpf::Insn& insn) {
  if (isLoopStmt(insn)) return bit(kRegA) | bit(kRegX) | loopCells(insn);
  if (insn.code > 0xff) return 0;
  const detail::RegEffect& e = detail::kRegEffects[insn.code];
  return e.defsAX | (e.defsMem ? bit(static_cast<int>(insn.k & 15)) : 0);
}

/// True when some register of `s` holds `v`, or a value computed from `v`
/// (`ldb [14]` is behind `ldb [14] & 0xf0`): the computation that made `v`
/// has run, and succeeded, on every path to this point.
bool available(const ValueTable& values, const State& s, ValueId v);

/// Predecessor lists, indexed by block, stored in two flat arrays.
class Preds {
 public:
  std::span<const ir::BlockId> operator[](ir::BlockId b) const {
    return {list_.data() + start_[b], list_.data() + start_[b + 1]};
  }

 private:
  friend Preds predecessors(const ir::Program& p, const std::vector<ir::BlockId>& rpo);
  std::vector<uint32_t> start_;  // block b's predecessors: list_[start_[b] .. start_[b+1])
  std::vector<ir::BlockId> list_;
};

Preds predecessors(const ir::Program& p);
/// The same, given the reverse post-order already computed.
Preds predecessors(const ir::Program& p, const std::vector<ir::BlockId>& rpo);


/// Immediate dominators (kNoBlock for the entry and unreachable blocks),
/// computed on the acyclic graph in one pass over `rpo`.
std::vector<ir::BlockId> immediateDominators(const ir::Program& p, const std::vector<ir::BlockId>& rpo,
                                             const Preds& preds);

/// Value-number states at block entry (the meet over predecessors: a
/// register keeps a value only when all predecessors agree; otherwise it
/// gets a fresh opaque value). The entry starts with A = X = M[*] = 0.
/// `exits` receives the states at block exit. Both vectors are refilled in
/// place, so recomputing the states of a program reuses their memory; the
/// entries of blocks not reachable from the entry are left unspecified.
void entryStates(const ir::Program& p, ValueTable& values, const std::vector<ir::BlockId>& rpo, const Preds& preds,
                 std::vector<State>& entries, std::vector<State>& exits);

/// Registers live on entry to each block.
std::vector<RegMask> liveIn(const ir::Program& p, const std::vector<ir::BlockId>& rpo);
/// Live-in of one block given the live-in of its successors.
RegMask blockLiveIn(const ir::Block& b, RegMask liveOut);

}  // namespace sift::optimizer
