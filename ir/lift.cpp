// Lifting: a classic BPF program -> an ir::Program, so that any program
// (compiled, assembled, or read from tcpdump's -ddd output) can be drawn,
// printed as a CFG or optimized.
#include <string>
#include <vector>

#include "ir/ir.h"

namespace sift::ir {

namespace {
constexpr uint16_t cls(uint16_t c) { return c & 0x07; }
constexpr uint16_t kJmp = 0x05, kRet = 0x06;
constexpr bool isJa(uint16_t c) { return cls(c) == kJmp && (c & 0xf0) == 0x00; }
}  // namespace

Expected<Program> lift(const bpf::Program& prog) {
  const auto& insns = prog.insns;
  const size_t n = insns.size();
  if (n == 0) return Diagnostic::error("the program has no instructions");
  // Leaders: the first instruction, every jump target, every instruction
  // after a jump or return.
  std::vector<uint8_t> leader(n + 1, 0);
  leader[0] = 1;
  auto target = [&](size_t pc, uint64_t off) -> Expected<size_t> {
    uint64_t t = pc + 1 + off;
    if (t >= n)
      return Diagnostic::error("pc " + std::to_string(pc) + ": jump target " + std::to_string(t) +
                               " past end of " + std::to_string(n) + "-instruction program");
    return static_cast<size_t>(t);
  };
  for (size_t pc = 0; pc < n; ++pc) {
    const bpf::Insn& i = insns[pc];
    if (cls(i.code) == kJmp) {
      if (isJa(i.code)) {
        if (i.k >= 0x80000000u)
          return Diagnostic::error("pc " + std::to_string(pc) + ": backward jump cannot be drawn as an acyclic graph");
        auto t = target(pc, i.k);
        if (!t) return t.takeError();
        leader[*t] = 1;
      } else {
        auto t = target(pc, i.jt), f = target(pc, i.jf);
        if (!t) return t.takeError();
        if (!f) return f.takeError();
        leader[*t] = leader[*f] = 1;
      }
      leader[pc + 1] = 1;
    } else if (cls(i.code) == kRet) {
      leader[pc + 1] = 1;
    }
  }
  if (cls(insns[n - 1].code) != kRet && cls(insns[n - 1].code) != kJmp)
    return Diagnostic::error("pc " + std::to_string(n - 1) + ": the program does not end in a return");
  std::vector<BlockId> blockAt(n, kNoBlock);
  Program out;
  for (size_t pc = 0; pc < n; ++pc)
    if (leader[pc]) {
      blockAt[pc] = static_cast<BlockId>(out.blocks.size());
      out.blocks.emplace_back();
    }
  BlockId cur = kNoBlock;
  for (size_t pc = 0; pc < n; ++pc) {
    if (leader[pc]) {
      BlockId next = blockAt[pc];
      // A block that runs into the next leader jumps there.
      if (cur != kNoBlock) {
        Block& prev = out.blocks[cur];
        prev.termKind = TermKind::Branch;
        prev.term = bpf::Insn{kJmp, 0, 0, 0};
        prev.jt = prev.jf = next;
      }
      cur = next;
    }
    const bpf::Insn& i = insns[pc];
    Block& b = out.blocks[cur];
    if (cls(i.code) == kJmp) {
      b.termKind = TermKind::Branch;
      b.term = bpf::Insn{i.code, 0, 0, isJa(i.code) ? 0 : i.k};
      if (isJa(i.code)) {
        b.jt = b.jf = blockAt[pc + 1 + i.k];
      } else {
        b.jt = blockAt[pc + 1 + i.jt];
        b.jf = blockAt[pc + 1 + i.jf];
      }
      cur = kNoBlock;
    } else if (cls(i.code) == kRet) {
      b.termKind = TermKind::Return;
      b.term = i;
      cur = kNoBlock;
    } else {
      b.stmts.push_back(i);
    }
  }
  out.entry = 0;
  if (std::string err = verify(out); !err.empty()) return Diagnostic::error("cannot lift the program: " + err);
  return out;
}

}  // namespace sift::ir
