// Emit: block order, jump offsets and long jumps.
//
// The layout is computed once (reverse post-order of the acyclic graph).
// Offsets are then resolved by a small fixed-point iteration: every branch
// starts out short; a branch whose target is too far away is marked long
// (it gains a `ja` after it), which moves the instructions after it and
// may make other branches long. Marks only ever go from short to long, so
// the loop ends after at most one round per branch, in practice two or
// three rounds, each linear in the program size.
#include "compiler/emit.h"

#include <string>
#include <vector>

namespace sift::compiler {

namespace {

constexpr uint16_t kJa = 0x05;  // BPF_JMP | BPF_JA

/// Reverse post-order from the entry; visits the false successor first so
/// the true successor's chain ends up directly after its branch.
std::vector<ir::BlockId> layoutOrder(const ir::Program& p) {
  const size_t n = p.blocks.size();
  std::vector<uint8_t> seen(n, 0);
  std::vector<ir::BlockId> post;
  post.reserve(n);
  struct Frame {
    ir::BlockId id;
    int next;
  };
  std::vector<Frame> stack;
  stack.push_back({p.entry, 0});
  seen[p.entry] = 1;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const ir::Block& b = p.blocks[f.id];
    if (b.termKind == ir::TermKind::Branch && f.next < 2) {
      ir::BlockId succ = f.next == 0 ? b.jf : b.jt;
      ++f.next;
      if (!seen[succ]) {
        seen[succ] = 1;
        stack.push_back({succ, 0});
      }
      continue;
    }
    post.push_back(f.id);
    stack.pop_back();
  }
  return {post.rbegin(), post.rend()};
}

}  // namespace

Expected<bpf::Program> emit(const ir::Program& p) {
  if (std::string err = ir::verify(p); !err.empty())
    return Diagnostic::error("internal error: invalid IR before emit: " + err);

  const std::vector<ir::BlockId> order = layoutOrder(p);
  const size_t n = p.blocks.size();
  std::vector<uint8_t> longT(n, 0), longF(n, 0);
  std::vector<size_t> start(n, 0);  // index of each block's first instruction

  // A branch whose two successors are the same block is a plain jump: a
  // `ja`, or nothing at all when that block comes next.
  std::vector<ir::BlockId> nextInLayout(n, ir::kNoBlock);
  for (size_t i = 0; i + 1 < order.size(); ++i) nextInLayout[order[i]] = order[i + 1];
  auto isJump = [&](ir::BlockId id) {
    const ir::Block& b = p.blocks[id];
    return b.termKind == ir::TermKind::Branch && b.jt == b.jf;
  };
  auto blockLength = [&](ir::BlockId id) {
    const ir::Block& b = p.blocks[id];
    if (isJump(id)) return b.stmts.size() + (nextInLayout[id] == b.jt ? 0 : 1);
    return b.stmts.size() + 1 + longT[id] + longF[id];
  };
  auto branchPos = [&](ir::BlockId id) { return start[id] + p.blocks[id].stmts.size(); };

  for (;;) {
    size_t pos = 0;
    for (ir::BlockId id : order) {
      start[id] = pos;
      pos += blockLength(id);
    }
    bool changed = false;
    for (ir::BlockId id : order) {
      const ir::Block& b = p.blocks[id];
      if (b.termKind != ir::TermKind::Branch || isJump(id)) continue;
      size_t from = branchPos(id) + 1;  // offsets count from the next instruction
      if (!longT[id] && start[b.jt] - from > 255) longT[id] = 1, changed = true;
      if (!longF[id] && start[b.jf] - from > 255) longF[id] = 1, changed = true;
    }
    if (!changed) break;
  }

  bpf::Program out;
  out.insns.reserve(start[order.back()] + blockLength(order.back()));
  // The layout is topological, so the last block is a return and the
  // program ends in one.
  for (ir::BlockId id : order) {
    const ir::Block& b = p.blocks[id];
    out.insns.insert(out.insns.end(), b.stmts.begin(), b.stmts.end());
    bpf::Insn term = b.term;
    if (isJump(id)) {
      if (nextInLayout[id] != b.jt) {
        const size_t from = out.insns.size() + 1;
        out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(start[b.jt] - from)});
      }
    } else if (b.termKind == ir::TermKind::Branch) {
      const size_t from = out.insns.size() + 1;
      // Long exits go through the ja slots right after the branch: first
      // the true one, then the false one.
      size_t slot = from;
      size_t tTarget = start[b.jt], fTarget = start[b.jf];
      size_t tSlot = longT[id] ? slot++ : 0;
      size_t fSlot = longF[id] ? slot++ : 0;
      term.jt = static_cast<uint8_t>((longT[id] ? tSlot : tTarget) - from);
      term.jf = static_cast<uint8_t>((longF[id] ? fSlot : fTarget) - from);
      out.insns.push_back(term);
      if (longT[id]) out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(tTarget - (tSlot + 1))});
      if (longF[id]) out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(fTarget - (fSlot + 1))});
    } else {
      out.insns.push_back(term);
    }
  }
  return out;
}

}  // namespace sift::compiler
