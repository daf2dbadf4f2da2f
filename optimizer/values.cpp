// Value numbering, instruction effects, liveness, orders and dominators.
#include "optimizer/values.h"

#include <algorithm>
#include <memory>

#include "bpf/opcodes.h"

namespace sift::optimizer {

namespace {

// Classic BPF encoding fields.
constexpr uint16_t cls(uint16_t c) { return c & 0x07; }
constexpr uint16_t sizeField(uint16_t c) { return c & 0x18; }
constexpr uint16_t mode(uint16_t c) { return c & 0xe0; }
constexpr uint16_t aluOp(uint16_t c) { return c & 0xf0; }
constexpr bool srcX(uint16_t c) { return (c & 0x08) != 0; }

enum : uint16_t { kLd = 0, kLdx = 1, kSt = 2, kStx = 3, kAlu = 4, kJmp = 5, kRet = 6, kMisc = 7 };
enum : uint16_t { kImm = 0x00, kAbs = 0x20, kInd = 0x40, kMem = 0x60, kLen = 0x80, kMsh = 0xa0 };
enum : uint16_t {
  kAdd = 0x00, kSub = 0x10, kMul = 0x20, kDiv = 0x30, kOr = 0x40, kAnd = 0x50,
  kLsh = 0x60, kRsh = 0x70, kNeg = 0x80, kMod = 0x90, kXor = 0xa0,
};

uint32_t loadSize(uint16_t code) {
  switch (sizeField(code)) {
    case 0x00: return 4;
    case 0x08: return 2;
    default: return 1;
  }
}

int memReg(uint32_t k) { return static_cast<int>(k & 15); }

}  // namespace

namespace {
size_t slotOf(const ValueKey& key, size_t mask) { return ValueKeyHash{}(key) & mask; }
}  // namespace

void ValueTable::grow() {
  slots_.assign(slots_.size() * 2, kEmpty);
  const size_t mask = slots_.size() - 1;
  for (ValueId v = 0; v < keys_.size(); ++v) {
    if (unindexed(keys_[v])) continue;
    size_t i = slotOf(keys_[v], mask);
    while (slots_[i] != kEmpty) i = (i + 1) & mask;
    slots_[i] = v;
  }
}

ValueId ValueTable::internSlow(const ValueKey& key) {
  ValueId& cached = cache_[cacheSlot(key)];
  const size_t mask = slots_.size() - 1;
  size_t i = slotOf(key, mask);
  for (; slots_[i] != kEmpty; i = (i + 1) & mask)
    if (keys_[slots_[i]] == key) return cached = slots_[i];
  const ValueId v = static_cast<ValueId>(keys_.size());
  keys_.push_back(key);
  slots_[i] = v;
  if (++indexed_ * 2 > slots_.size()) grow();
  return cached = v;
}

ValueId ValueTable::alu(uint16_t op, ValueId a, ValueId b) {
  auto ca = constantOf(a), cb = constantOf(b);
  if (ca && cb) {
    uint32_t x = *ca, y = *cb;
    switch (op) {
      case kAdd: return constant(x + y);
      case kSub: return constant(x - y);
      case kMul: return constant(x * y);
      case kOr: return constant(x | y);
      case kAnd: return constant(x & y);
      case kXor: return constant(x ^ y);
      case kLsh: return constant(y >= 32 ? 0 : x << y);
      case kRsh: return constant(y >= 32 ? 0 : x >> y);
      case kDiv: if (y != 0) return constant(x / y); break;
      case kMod: if (y != 0) return constant(x % y); break;
      default: break;
    }
  }
  if (a == b && (op == kSub || op == kXor)) return constant(0);
  if (cb) {
    uint32_t y = *cb;
    // (v + c1) + c2 and friends: one constant.
    const ValueKey ka = keys_[a];  // a copy: interning below may grow keys_
    if (ka.kind == ValueKind::Alu && (op == kAdd || op == kSub)) {
      if (auto c1 = constantOf(ka.b); c1 && (ka.c == kAdd || ka.c == kSub)) {
        uint32_t total = (ka.c == kAdd ? *c1 : 0u - *c1) + (op == kAdd ? y : 0u - y);
        return alu(kAdd, ka.a, constant(total));
      }
    }
    if (y == 0 && (op == kAdd || op == kSub || op == kOr || op == kXor || op == kLsh || op == kRsh)) return a;
    if (y == 0 && (op == kMul || op == kAnd)) return constant(0);
    if (y == 1 && (op == kMul || op == kDiv)) return a;
    if (y == 0xffffffffu && op == kAnd) return a;
  }
  if (ca) {
    uint32_t x = *ca;
    if (x == 0 && (op == kAdd || op == kOr || op == kXor)) return b;
    if (x == 0 && (op == kMul || op == kAnd)) return constant(0);
  }
  return intern({ValueKind::Alu, a, b, op});
}

StepResult step(ValueTable& values, State& s, const bpf::Insn& insn) {
  StepResult r;
  const uint16_t c = insn.code;
  if (isLoopStmt(insn)) {
    // Several registers change: none is named as the destination, so no
    // caller takes the loop for a write of a value already held.
    const uint32_t tag = loopIndex(insn) << 5;
    const ValueId a = s.reg[kRegA], x = s.reg[kRegX];
    const ValueId newA = values.intern({ValueKind::Loop, tag | kRegA, a, x});
    s.reg[kRegX] = values.intern({ValueKind::Loop, tag | kRegX, a, x});
    s.reg[kRegA] = newA;
    for (RegMask cells = loopCells(insn); cells; cells &= cells - 1) {
      const int cell = __builtin_ctz(cells);
      s.reg[cell] = values.intern({ValueKind::Loop, tag | static_cast<uint32_t>(cell), newA, s.reg[cell]});
    }
    r.value = newA;
    r.mayReject = true;
    return r;
  }
  switch (cls(c)) {
    case kLd:
    case kLdx: {
      const int dest = cls(c) == kLd ? kRegA : kRegX;
      ValueId v = 0;
      switch (mode(c)) {
        case kImm: v = values.constant(insn.k); break;
        case kLen: v = values.intern({ValueKind::Length}); break;
        case kMem: v = s.reg[memReg(insn.k)]; break;
        case kAbs:
          v = values.intern({ValueKind::Load, insn.k, loadSize(c)});
          r.mayReject = true;
          break;
        case kInd: {
          ValueId x = s.reg[kRegX];
          auto cx = values.constantOf(x);
          if (cx && uint64_t{*cx} + insn.k <= 0xffffffffull)
            v = values.intern({ValueKind::Load, *cx + insn.k, loadSize(c)});
          else
            v = values.intern({ValueKind::LoadInd, x, insn.k, loadSize(c)});
          r.mayReject = true;
          break;
        }
        case kMsh:
          v = values.intern({ValueKind::Msh, insn.k});
          r.mayReject = true;
          break;
        default: v = values.opaque(); break;
      }
      r.dest = dest;
      r.value = v;
      break;
    }
    case kSt:
      r.dest = memReg(insn.k);
      r.value = s.reg[kRegA];
      break;
    case kStx:
      r.dest = memReg(insn.k);
      r.value = s.reg[kRegX];
      break;
    case kAlu: {
      const uint16_t op = aluOp(c);
      ValueId a = s.reg[kRegA];
      r.dest = kRegA;
      if (op == kNeg) {
        auto ca = values.constantOf(a);
        r.value = ca ? values.constant(0u - *ca) : values.intern({ValueKind::Negate, a});
        break;
      }
      ValueId b = srcX(c) ? s.reg[kRegX] : values.constant(insn.k);
      if ((op == kDiv || op == kMod) && srcX(c)) {
        auto cb = values.constantOf(b);
        r.mayReject = !cb || *cb == 0;
      }
      r.value = values.alu(op, a, b);
      break;
    }
    case kMisc:
      if ((c & 0xf8) == 0x80) {  // txa
        r.dest = kRegA;
        r.value = s.reg[kRegX];
      } else {  // tax
        r.dest = kRegX;
        r.value = s.reg[kRegA];
      }
      break;
    default: break;  // jumps and returns are terminators
  }
  if (r.dest >= 0) s.reg[r.dest] = r.value;
  return r;
}

namespace detail {
namespace {
// Def/use facts come from the opcode table (bpf/opcodes.def), expanded
// here into a direct lookup by code.
constexpr std::array<RegEffect, 256> makeRegEffects() {
  using namespace bpf::fx;
  std::array<RegEffect, 256> t{};
  auto ax = [](uint8_t flags) {
    RegMask m = 0;
    if (flags & bpf::fx::A) m |= bit(kRegA);
    if (flags & bpf::fx::X) m |= bit(kRegX);
    return m;
  };
#define SIFT_BPF_OP(Name, Code, Mnemonic, Shape, Arg, Operand, Kernel, Image, Uses, Defs) \
  t[Code] = RegEffect{ax(Uses), ax(Defs), ((Uses) & bpf::fx::Mem) != 0, ((Defs) & bpf::fx::Mem) != 0};
#include "bpf/opcodes.def"
  return t;
}
}  // namespace
constexpr std::array<RegEffect, 256> kRegEffects = makeRegEffects();
}  // namespace detail

namespace {
// A value's operands are interned before it, so only a value numbered
// after `v` can be computed from it.
bool derivesFrom(const ValueTable& values, ValueId held, ValueId v, int depth) {
  if (held == v) return true;
  if (depth == 0 || held < v) return false;
  const ValueKey& k = values.key(held);
  switch (k.kind) {
    case ValueKind::Alu: return derivesFrom(values, k.a, v, depth - 1) || derivesFrom(values, k.b, v, depth - 1);
    case ValueKind::Negate:
    case ValueKind::LoadInd: return derivesFrom(values, k.a, v, depth - 1);
    default: return false;
  }
}
}  // namespace

bool available(const ValueTable& values, const State& s, ValueId v) {
  for (ValueId held : s.reg)
    if (derivesFrom(values, held, v, 4)) return true;
  return false;
}

Preds predecessors(const ir::Program& p) { return predecessors(p, ir::reversePostOrder(p)); }

Preds predecessors(const ir::Program& p, const std::vector<ir::BlockId>& rpo) {
  // Count, then place: two flat arrays instead of a vector per block.
  Preds preds;
  const size_t n = p.blocks.size();
  preds.start_.assign(n + 1, 0);
  for (ir::BlockId id : rpo) {
    const ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch) continue;
    ++preds.start_[b.jt + 1];
    if (b.jf != b.jt) ++preds.start_[b.jf + 1];
  }
  for (size_t i = 0; i < n; ++i) preds.start_[i + 1] += preds.start_[i];
  preds.list_.resize(preds.start_[n]);
  std::vector<uint32_t> fill(preds.start_.begin(), preds.start_.end() - 1);
  for (ir::BlockId id : rpo) {
    const ir::Block& b = p.blocks[id];
    if (b.termKind != ir::TermKind::Branch) continue;
    preds.list_[fill[b.jt]++] = id;
    if (b.jf != b.jt) preds.list_[fill[b.jf]++] = id;
  }
  return preds;
}

std::vector<ir::BlockId> immediateDominators(const ir::Program& p, const std::vector<ir::BlockId>& rpo,
                                             const Preds& preds) {
  // On an acyclic graph in reverse post-order every predecessor comes
  // first, so one pass suffices: a block's immediate dominator is the
  // nearest common ancestor, in the dominator tree built so far, of its
  // predecessors. Ancestors are found by binary lifting, so long chains
  // that meet far up the tree cost O(log n) per meeting, not O(depth).
  const size_t n = p.blocks.size();
  std::vector<ir::BlockId> idom(n, ir::kNoBlock);
  if (rpo.empty()) return idom;
  int levels = 1;
  while ((size_t{1} << levels) < rpo.size()) ++levels;
  // up(k, b): b's ancestor 2^k levels up, all levels in one array.
  // Only placed blocks' entries are read (a placed block's ancestors are
  // placed before it), so the table is left uninitialised.
  std::unique_ptr<ir::BlockId[]> upTable(new ir::BlockId[size_t(levels) * n]);
  auto up = [&](int k, ir::BlockId b) -> ir::BlockId& { return upTable[size_t(k) * n + b]; };
  std::vector<uint32_t> depth(n, 0);
  std::vector<uint8_t> placed(n, 0);
  const ir::BlockId root = rpo[0];
  auto place = [&](ir::BlockId b, ir::BlockId parent) {
    placed[b] = 1;
    depth[b] = b == root ? 0 : depth[parent] + 1;
    up(0, b) = b == root ? root : parent;
    for (int k = 1; k < levels; ++k) up(k, b) = up(k - 1, up(k - 1, b));
  };
  auto ancestorAt = [&](ir::BlockId b, uint32_t d) {
    uint32_t diff = depth[b] - d;
    for (int k = 0; diff; ++k, diff >>= 1)
      if (diff & 1) b = up(k, b);
    return b;
  };
  auto meet = [&](ir::BlockId a, ir::BlockId b) {
    if (depth[a] > depth[b]) a = ancestorAt(a, depth[b]);
    if (depth[b] > depth[a]) b = ancestorAt(b, depth[a]);
    if (a == b) return a;
    for (int k = levels - 1; k >= 0; --k)
      if (up(k, a) != up(k, b)) a = up(k, a), b = up(k, b);
    return up(0, a);
  };
  place(root, root);
  for (size_t i = 1; i < rpo.size(); ++i) {
    ir::BlockId b = rpo[i];
    ir::BlockId d = ir::kNoBlock;
    for (ir::BlockId q : preds[b]) {
      if (!placed[q]) continue;
      d = d == ir::kNoBlock ? q : meet(d, q);
      if (d == root) break;  // nothing is above the entry
    }
    if (d == ir::kNoBlock) continue;
    idom[b] = d;
    place(b, d);
  }
  return idom;
}

void entryStates(const ir::Program& p, ValueTable& values, const std::vector<ir::BlockId>& rpo, const Preds& preds,
                 std::vector<State>& in, std::vector<State>& out) {
  const size_t n = p.blocks.size();
  // Only reachable blocks get states (every pass reads only theirs), so
  // the storage is resized, not cleared.
  in.resize(n);
  out.resize(n);
  std::vector<uint8_t> done(n, 0);
  for (ir::BlockId id : rpo) {
    State s;
    if (id == p.entry) {
      // A and X start at 0; scratch cells are unknown (the kernel refuses a
      // program that reads a cell before writing it, so a store of 0 at the
      // start is not redundant).
      for (int r = 0; r < kNumRegs; ++r)
        s.reg[r] = r == kRegA || r == kRegX ? values.constant(0) : values.unknownAt(id, r);
    } else {
      bool first = true, disagree = false;
      for (ir::BlockId q : preds[id]) {
        if (!done[q]) continue;
        if (first) {
          s = out[q];
          first = false;
          continue;
        }
        const auto& other = out[q].reg;
        if (s.reg == other) continue;
        disagree = true;
        for (int r = 0; r < kNumRegs; ++r)  // mark disagreement (a select, no branch)
          s.reg[r] = s.reg[r] == other[r] ? s.reg[r] : ir::kNoBlock;
      }
      if (disagree)
        for (int r = 0; r < kNumRegs; ++r)
          if (s.reg[r] == ir::kNoBlock) s.reg[r] = values.unknownAt(id, r);
    }
    in[id] = s;
    for (const auto& insn : p.blocks[id].stmts) step(values, s, insn);
    out[id] = s;
    done[id] = 1;
  }
}

RegMask blockLiveIn(const ir::Block& b, RegMask live) {
  live |= usesOf(b.term);
  for (auto it = b.stmts.rbegin(); it != b.stmts.rend(); ++it) {
    live &= ~defsOf(*it);
    live |= usesOf(*it);
  }
  return live;
}

std::vector<RegMask> liveIn(const ir::Program& p, const std::vector<ir::BlockId>& rpo) {
  std::vector<RegMask> in(p.blocks.size(), 0);
  for (auto it = rpo.rbegin(); it != rpo.rend(); ++it) {
    const ir::Block& b = p.blocks[*it];
    RegMask out = 0;
    if (b.termKind == ir::TermKind::Branch) out = in[b.jt] | in[b.jf];
    in[*it] = blockLiveIn(b, out);
  }
  return in;
}

}  // namespace sift::optimizer
