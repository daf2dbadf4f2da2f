#include <string>
#include <vector>

#include "ir/ir.h"

namespace sift::ir {

namespace {
constexpr uint16_t cls(uint16_t code) { return code & 0x07; }
constexpr uint16_t kJmp = 0x05, kRet = 0x06;
constexpr uint16_t kJa = 0x00;
}  // namespace

bool hasInnerJumps(const Program& p) {
  for (const Block& b : p.blocks)
    for (const bpf::Insn& s : b.stmts)
      if (cls(s.code) == kJmp) return true;
  return false;
}

std::string verify(const Program& p) {
  const size_t n = p.blocks.size();
  if (p.entry >= n) return "entry block " + std::to_string(p.entry) + " does not exist";
  for (size_t i = 0; i < n; ++i) {
    const Block& b = p.blocks[i];
    // Built only for a message (verify runs on every compile).
    auto where = [i] { return "block " + std::to_string(i) + ": "; };
    for (size_t s = 0; s < b.stmts.size(); ++s) {
      const bpf::Insn& in = b.stmts[s];
      uint16_t c = cls(in.code);
      if (c == kRet) return where() + "statement " + std::to_string(s) + " is a return";
      if (c != kJmp) continue;
      // A jump among statements lands on a statement of this block or on
      // its terminator (index stmts.size()); a ja's offset may wrap around.
      const uint64_t last = b.stmts.size();
      const bool inside = (in.code & 0xf0) == kJa
                              ? uint32_t(s + 1 + in.k) <= last
                              : s + 1 + in.jt <= last && s + 1 + in.jf <= last;
      if (!inside) return where() + "statement " + std::to_string(s) + " jumps out of its block";
    }
    if (b.termKind == TermKind::Return) {
      if (cls(b.term.code) != kRet) return where() + "return terminator is not a BPF_RET instruction";
    } else {
      if (cls(b.term.code) != kJmp) return where() + "branch terminator is not a jump";
      if (b.jt >= n || b.jf >= n) return where() + "branch successor out of range";
      if ((b.term.code & 0xf0) == kJa && b.jt != b.jf) return where() + "ja with two different successors";
    }
  }
  // Acyclic: iterative DFS with colours from the entry.
  std::vector<uint8_t> colour(n, 0);  // 0 new, 1 on stack, 2 done
  std::vector<std::pair<BlockId, int>> stack{{p.entry, 0}};
  colour[p.entry] = 1;
  while (!stack.empty()) {
    auto& [id, next] = stack.back();
    const Block& b = p.blocks[id];
    if (b.termKind == TermKind::Branch && next < 2) {
      BlockId succ = next == 0 ? b.jt : b.jf;
      ++next;
      if (colour[succ] == 1) return "block " + std::to_string(id) + ": edge to " + std::to_string(succ) + " closes a cycle";
      if (colour[succ] == 0) {
        colour[succ] = 1;
        stack.push_back({succ, 0});
      }
      continue;
    }
    colour[id] = 2;
    stack.pop_back();
  }
  return {};
}

}  // namespace sift::ir
