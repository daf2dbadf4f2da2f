// The IR: a control-flow graph of classic BPF basic blocks.
//
// A Block is a run of straight-line instructions (loads, stores, ALU,
// tax/txa) followed by one terminator: a conditional jump (jeq/jgt/jge/jset
// against #k or x) with a true and a false successor, or a return. The graph
// is acyclic (cBPF jumps only go forward); compiler/emit linearises it.
//
// One exception keeps libpcap's `protochain` expressible: a block's
// statements may hold jumps that land on statements of the same block (or
// on its terminator), including a backward `ja` whose offset wraps around,
// as libpcap's header walk does. Such a block is a closed loop that always
// leaves through its terminator; the emitter copies it verbatim, and the
// optimizer passes it as one statement of known outline (optimizer/values.h,
// kLoopStmt), where libpcap turns its optimizer off for it.
//
// Lowering builds the graph with true/false jump lists: an expression
// under construction is a Fragment whose exits are still unpatched; `and`
// patches the left side's true exits to the right side's entry, `or` its
// false exits, `not` swaps the two lists.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift::ir {

using BlockId = uint32_t;
inline constexpr BlockId kNoBlock = UINT32_MAX;

enum class TermKind : uint8_t { Branch, Return };

struct Block {
  std::vector<bpf::Insn> stmts;  // no returns; jumps only within the block (above)
  TermKind termKind = TermKind::Return;
  /// Branch: a conditional BPF_JMP instruction (its jt/jf fields unused),
  /// or `ja` when jt == jf (a plain jump; any test with jt == jf is one);
  /// Return: a BPF_RET instruction.
  bpf::Insn term{};
  BlockId jt = kNoBlock;  // Branch: where control goes when the test holds
  BlockId jf = kNoBlock;  // Branch: where it goes otherwise
};

struct Program {
  std::vector<Block> blocks;
  BlockId entry = kNoBlock;
};

/// A branch whose two successors are the same block: a plain jump.
inline bool isPlainJump(const Block& b) { return b.termKind == TermKind::Branch && b.jt == b.jf; }

/// An unpatched exit: the true (or false) edge of a branch block.
struct Exit {
  BlockId block;
  bool onTrue;
};
/// The unpatched exits of a fragment. Most fragments have one or two on
/// each side (a single test has one), so a few live in place and only a
/// longer list (the exits of a long `or` chain) goes to the heap.
class JumpList {
 public:
  JumpList() = default;
  JumpList(std::initializer_list<Exit> exits) { append(exits.begin(), exits.end()); }
  JumpList(const JumpList& o) { append(o.begin(), o.end()); }
  JumpList(JumpList&& o) noexcept { take(o); }
  JumpList& operator=(const JumpList& o) {
    if (this != &o) {
      clear();
      append(o.begin(), o.end());
    }
    return *this;
  }
  JumpList& operator=(JumpList&& o) noexcept {
    if (this != &o) {
      clear();
      take(o);
    }
    return *this;
  }

  const Exit* begin() const { return data(); }
  const Exit* end() const { return data() + size_; }
  Exit* begin() { return data(); }
  Exit* end() { return data() + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    heap_.clear();
    size_ = 0;
  }
  void push_back(const Exit& e) { append(&e, &e + 1); }
  /// Appends the exits of another list.
  void append(const JumpList& o) { append(o.begin(), o.end()); }

 private:
  static constexpr size_t kInline = 4;
  void append(const Exit* first, const Exit* last) {
    const size_t n = static_cast<size_t>(last - first);
    if (size_ + n <= kInline && heap_.empty()) {
      std::copy(first, last, inline_ + size_);
    } else {
      if (heap_.empty()) heap_.assign(inline_, inline_ + size_);
      heap_.insert(heap_.end(), first, last);
    }
    size_ += n;
  }
  const Exit* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  Exit* data() { return heap_.empty() ? inline_ : heap_.data(); }
  void take(JumpList& o) {
    size_ = o.size_;
    if (o.heap_.empty()) std::copy(o.inline_, o.inline_ + o.size_, inline_);
    else heap_ = std::move(o.heap_);
    o.heap_.clear();
    o.size_ = 0;
  }
  Exit inline_[kInline];
  std::vector<Exit> heap_;  // all the exits once there are more than kInline
  size_t size_ = 0;
};

/// A boolean expression under construction.
struct Fragment {
  BlockId entry = kNoBlock;
  JumpList trueExits;
  JumpList falseExits;
};

class Builder {
 public:
  Program& program() { return prog_; }

  /// A new block with the given statements ending in a test `jmpCode #k`
  /// (or `jmpCode x`); both exits are open.
  Fragment test(std::vector<bpf::Insn> stmts, uint16_t jmpCode, uint32_t k);
  /// A fragment that is always true / always false (a block that tests a
  /// constant, which the optimizer folds).
  Fragment constant(bool value);
  BlockId returnBlock(uint32_t value);

  /// a and b: a's true exits go to b.
  Fragment makeAnd(Fragment a, Fragment b);
  /// a or b: a's false exits go to b.
  Fragment makeOr(Fragment a, Fragment b);
  /// not a: the exit lists swap.
  static Fragment makeNot(Fragment a);

  void patch(const JumpList& exits, BlockId target);
  /// Closes the program: true exits return `accept`, false exits return 0.
  Program finish(Fragment f, uint32_t accept);

 private:
  Program prog_;
};

/// Splits a classic BPF program into blocks (leaders at jump targets). A
/// `ja` and a block that runs into the next leader become plain jumps.
/// Fails on backward jumps and jumps out of range.
Expected<Program> lift(const bpf::Program& program);

/// The blocks reachable from the entry in reverse post-order, visiting the
/// false successor first: a topological order of the acyclic graph in
/// which a branch's true successor chain tends to follow it directly.
std::vector<BlockId> reversePostOrder(const Program& p);

/// True when some block's statements hold a jump (a loop inside the
/// block, such as protochain's header walk).
bool hasInnerJumps(const Program& p);

/// Checks the IR's invariants (successors in range, terminators well
/// formed, jumps among statements landing inside their block, the graph
/// acyclic). Returns an empty string when all hold, else what is wrong.
std::string verify(const Program& p);

/// A readable listing of the graph, one block per paragraph (used by
/// --print-after and the tests).
std::string print(const Program& p);

/// Graphviz of the graph (--dot).
std::string toDot(const Program& p);

}  // namespace sift::ir
