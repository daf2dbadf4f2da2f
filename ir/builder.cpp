#include "ir/ir.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace sift::ir {

namespace {
constexpr uint16_t kJmpJeqK = 0x15;  // BPF_JMP | BPF_JEQ | BPF_K
constexpr uint16_t kLdImm = 0x00;    // BPF_LD | BPF_W | BPF_IMM
constexpr uint16_t kRetK = 0x06;     // BPF_RET | BPF_K

void append(JumpList& to, JumpList&& from) {
  if (to.size() < from.size()) std::swap(to, from);
  to.append(from);
}
}  // namespace

Fragment Builder::test(std::vector<bpf::Insn> stmts, uint16_t jmpCode, uint32_t k) {
  Block b;
  b.stmts = std::move(stmts);
  b.termKind = TermKind::Branch;
  b.term = bpf::Insn{jmpCode, 0, 0, k};
  BlockId id = static_cast<BlockId>(prog_.blocks.size());
  prog_.blocks.push_back(std::move(b));
  return Fragment{id, {{id, true}}, {{id, false}}};
}

Fragment Builder::constant(bool value) {
  // ld #0; jeq #0 is always true; ld #1; jeq #0 always false (libpcap's
  // shape, which its unoptimized listings show).
  return test({bpf::Insn{kLdImm, 0, 0, value ? 0u : 1u}}, kJmpJeqK, 0);
}

BlockId Builder::returnBlock(uint32_t value) {
  Block b;
  b.termKind = TermKind::Return;
  b.term = bpf::Insn{kRetK, 0, 0, value};
  prog_.blocks.push_back(std::move(b));
  return static_cast<BlockId>(prog_.blocks.size() - 1);
}

void Builder::patch(const JumpList& exits, BlockId target) {
  for (const Exit& e : exits) {
    Block& b = prog_.blocks[e.block];
    (e.onTrue ? b.jt : b.jf) = target;
  }
}

Fragment Builder::makeAnd(Fragment a, Fragment b) {
  patch(a.trueExits, b.entry);
  Fragment r{a.entry, std::move(b.trueExits), std::move(a.falseExits)};
  append(r.falseExits, std::move(b.falseExits));
  return r;
}

Fragment Builder::makeOr(Fragment a, Fragment b) {
  patch(a.falseExits, b.entry);
  Fragment r{a.entry, std::move(a.trueExits), std::move(b.falseExits)};
  append(r.trueExits, std::move(b.trueExits));
  return r;
}

Fragment Builder::makeNot(Fragment a) {
  std::swap(a.trueExits, a.falseExits);
  return a;
}

std::vector<BlockId> reversePostOrder(const Program& p) {
  const size_t n = p.blocks.size();
  std::vector<uint8_t> seen(n, 0);
  std::vector<BlockId> post;
  post.reserve(n);
  struct Frame {
    BlockId id;
    int next;
  };
  std::vector<Frame> stack;
  stack.reserve(n);  // at most one frame per block: no regrowth
  stack.push_back({p.entry, 0});
  seen[p.entry] = 1;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const Block& b = p.blocks[f.id];
    if (b.termKind == TermKind::Branch && f.next < 2) {
      BlockId succ = f.next == 0 ? b.jf : b.jt;
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
  std::reverse(post.begin(), post.end());
  return post;
}

Program Builder::finish(Fragment f, uint32_t accept) {
  BlockId yes = returnBlock(accept);
  BlockId no = returnBlock(0);
  patch(f.trueExits, yes);
  patch(f.falseExits, no);
  prog_.entry = f.entry;
  Program out = std::move(prog_);
  prog_ = Program{};
  return out;
}

}  // namespace sift::ir
