// Emit: block order, jump offsets and long jumps.
//
// The layout is reverse post-order of the acyclic graph (the false
// successor visited first, so the true successor's chain follows its
// branch), which makes every jump forward. Then a block that ends in a
// plain jump to a block placed further on moves to just before its target,
// where the jump costs nothing, when no block falls through into either
// of them (moving it later keeps every jump forward: its predecessors stay
// before it, its one successor after).
//
// Conditional jumps reach at most 255 instructions ahead. A branch whose
// target is further away is "far":
//  - a far target that is a return (the common case: the accept and reject
//    returns at the end of a long filter) is reached through a copy of that
//    return placed within range; one copy serves every far branch to the
//    same return in its window, so a long chain of tests costs one extra
//    instruction per ~250 rather than one per test;
//  - any other far target gets a `ja` right after the branch, which carries
//    a 32-bit offset.
// Marks only go from near to far, so the layout loop ends after at most one
// round per branch, in practice two or three rounds, each linear.
//
// Last, every scratch cell that Linux's checker finds read before any
// write on some path gets `st M[k]` of 0 at the very start (A is 0 there,
// and `ld #0` says so). The engines and libpcap master start with zeroed
// cells, so verdicts do not change; the kernel, which refuses such reads,
// then accepts the program. This runs on the final program, after the
// optimizer, so nothing can drop the stores or add a read they miss.
#include "compiler/emit.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace sift::compiler {

namespace {

constexpr uint16_t kJa = 0x05;  // BPF_JMP | BPF_JA
constexpr uint16_t kLdImm = 0x00, kSt = 0x02;
constexpr size_t kMaxOffset = 255;

/// One slot of the output: a block, or a copy of a return block.
struct Item {
  ir::BlockId block;
  bool isCopy;
};

/// The reverse post-order with plain jumps moved next to their targets
/// (above).
std::vector<ir::BlockId> layout(const ir::Program& p) {
  std::vector<ir::BlockId> order = ir::reversePostOrder(p);
  const size_t n = p.blocks.size();
  auto isJump = [&](ir::BlockId id) { return ir::isPlainJump(p.blocks[id]); };
  // The order as a doubly linked list.
  std::vector<ir::BlockId> next(n, ir::kNoBlock), prev(n, ir::kNoBlock);
  for (size_t i = 0; i + 1 < order.size(); ++i) next[order[i]] = order[i + 1], prev[order[i + 1]] = order[i];
  auto fallsInto = [&](ir::BlockId from, ir::BlockId to) {
    return from != ir::kNoBlock && isJump(from) && p.blocks[from].jt == to;
  };
  bool moved = false;
  for (ir::BlockId j : order) {
    if (!isJump(j) || j == p.entry) continue;
    const ir::BlockId t = p.blocks[j].jt;
    if (next[j] == t || fallsInto(prev[j], j) || fallsInto(prev[t], t)) continue;
    // Unlink j (it is not the first block: the entry is), then put it
    // before t (which has a predecessor in the list: it comes after j).
    next[prev[j]] = next[j];
    if (next[j] != ir::kNoBlock) prev[next[j]] = prev[j];
    prev[j] = prev[t];
    next[j] = t;
    next[prev[t]] = j;
    prev[t] = j;
    moved = true;
  }
  if (!moved) return order;
  size_t i = 0;
  for (ir::BlockId b = order.front(); b != ir::kNoBlock; b = next[b]) order[i++] = b;
  return order;
}

}  // namespace

Expected<bpf::Program> emit(const ir::Program& p) {
  if (std::string err = ir::verify(p); !err.empty())
    return Diagnostic::error("internal error: invalid IR before emit: " + err);

  const std::vector<ir::BlockId> order = layout(p);
  const size_t n = p.blocks.size();
  std::vector<ir::BlockId> nextInLayout(n, ir::kNoBlock);
  for (size_t i = 0; i + 1 < order.size(); ++i) nextInLayout[order[i]] = order[i + 1];

  auto isJump = [&](ir::BlockId id) { return ir::isPlainJump(p.blocks[id]); };
  auto isReturn = [&](ir::BlockId id) { return p.blocks[id].termKind == ir::TermKind::Return; };

  std::vector<uint8_t> farT(n, 0), farF(n, 0);
  // ja slots after a branch: far edges whose target is not a return.
  auto jaSlots = [&](ir::BlockId id) {
    const ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch || isJump(id)) return size_t{0};
    return size_t((farT[id] && !isReturn(b.jt)) + (farF[id] && !isReturn(b.jf)));
  };
  auto blockLength = [&](ir::BlockId id) {
    const ir::Block& b = p.blocks[id];
    if (isJump(id)) return b.stmts.size() + (nextInLayout[id] == b.jt ? 0 : 1);
    return b.stmts.size() + 1 + jaSlots(id);
  };

  std::vector<size_t> start(n, 0);
  // Where a far edge to a return lands (a copy, or the return itself).
  std::vector<size_t> landT(n, 0), landF(n, 0);
  std::vector<Item> items;
  std::vector<size_t> itemPos;

  for (;;) {
    items.clear();
    itemPos.clear();
    struct Ref {
      ir::BlockId from;
      bool onTrue;
    };
    std::map<ir::BlockId, std::vector<Ref>> pending;  // by return block
    std::map<ir::BlockId, size_t> deadline;            // latest position a copy may take
    size_t pos = 0;
    auto land = [&](ir::BlockId ret, size_t at) {
      for (const Ref& r : pending[ret]) (r.onTrue ? landT : landF)[r.from] = at;
      pending.erase(ret);
      deadline.erase(ret);
    };
    auto flushBefore = [&](size_t len) {
      if (pending.empty()) return;
      size_t earliest = SIZE_MAX;
      for (const auto& [ret, d] : deadline) earliest = std::min(earliest, d);
      // Leave room for the copies and for two more far edges.
      if (pos + len + pending.size() + 2 <= earliest) return;
      std::vector<ir::BlockId> rets;
      for (const auto& [ret, refs] : pending) rets.push_back(ret);
      for (ir::BlockId ret : rets) {
        items.push_back({ret, true});
        itemPos.push_back(pos);
        land(ret, pos);
        ++pos;
      }
    };
    for (ir::BlockId id : order) {
      const size_t len = blockLength(id);
      flushBefore(len);
      items.push_back({id, false});
      itemPos.push_back(pos);
      start[id] = pos;
      pos += len;
      if (isReturn(id) && pending.count(id)) land(id, start[id]);
      const ir::Block& b = p.blocks[id];
      if (b.termKind == ir::TermKind::Branch && !isJump(id)) {
        const size_t branchPos = start[id] + b.stmts.size();
        for (bool side : {true, false}) {
          ir::BlockId t = side ? b.jt : b.jf;
          if (!(side ? farT : farF)[id] || !isReturn(t)) continue;
          pending[t].push_back({id, side});
          size_t d = branchPos + 1 + kMaxOffset;
          auto [it, inserted] = deadline.emplace(t, d);
          if (!inserted) it->second = std::min(it->second, d);
        }
      }
    }
    if (!pending.empty()) return Diagnostic::error("internal error: emit left a long jump unresolved");

    bool changed = false;
    for (ir::BlockId id : order) {
      const ir::Block& b = p.blocks[id];
      if (b.termKind != ir::TermKind::Branch || isJump(id)) continue;
      const size_t from = start[id] + b.stmts.size() + 1;
      // A near edge's offset counts the ja slots between branch and target.
      if (!farT[id] && start[b.jt] - from > kMaxOffset) farT[id] = 1, changed = true;
      if (!farF[id] && start[b.jf] - from > kMaxOffset) farF[id] = 1, changed = true;
    }
    if (!changed) break;
  }

  bpf::Program out;
  out.insns.reserve(itemPos.empty() ? 0 : itemPos.back() + 8);
  for (const Item& item : items) {
    const ir::Block& b = p.blocks[item.block];
    if (item.isCopy) {
      out.insns.push_back(b.term);
      continue;
    }
    const ir::BlockId id = item.block;
    out.insns.insert(out.insns.end(), b.stmts.begin(), b.stmts.end());
    if (isJump(id)) {
      if (nextInLayout[id] != b.jt) {
        const size_t from = out.insns.size() + 1;
        out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(start[b.jt] - from)});
      }
      continue;
    }
    if (b.termKind == ir::TermKind::Return) {
      out.insns.push_back(b.term);
      continue;
    }
    const size_t from = out.insns.size() + 1;
    size_t slot = from;
    bpf::Insn term = b.term;
    size_t tSlot = 0, fSlot = 0;
    const bool tJa = farT[id] && !isReturn(b.jt), fJa = farF[id] && !isReturn(b.jf);
    if (tJa) tSlot = slot++;
    if (fJa) fSlot = slot++;
    size_t tDest = tJa ? tSlot : farT[id] ? landT[id] : start[b.jt];
    size_t fDest = fJa ? fSlot : farF[id] ? landF[id] : start[b.jf];
    if (tDest - from > kMaxOffset || fDest - from > kMaxOffset)
      return Diagnostic::error("internal error: emit produced a jump beyond 255 instructions");
    term.jt = static_cast<uint8_t>(tDest - from);
    term.jf = static_cast<uint8_t>(fDest - from);
    out.insns.push_back(term);
    if (tJa) out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(start[b.jt] - (tSlot + 1))});
    if (fJa) out.insns.push_back(bpf::Insn{kJa, 0, 0, static_cast<uint32_t>(start[b.jf] - (fSlot + 1))});
  }
  zeroUnwrittenScratch(out);
  return out;
}

void zeroUnwrittenScratch(bpf::Program& program) {
  const uint16_t cells = bpf::unwrittenScratchReads(program);
  if (cells == 0) return;
  // Jumps are relative, so code put in front leaves every offset valid.
  std::vector<bpf::Insn> zeroing{bpf::Insn{kLdImm, 0, 0, 0}};
  for (uint32_t k = 0; k < bpf::kMemWords; ++k)
    if (cells & (1u << k)) zeroing.push_back(bpf::Insn{kSt, 0, 0, k});
  program.insns.insert(program.insns.begin(), zeroing.begin(), zeroing.end());
}

}  // namespace sift::compiler
