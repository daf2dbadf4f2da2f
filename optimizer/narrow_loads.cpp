// Pass: narrow masked loads to the bytes the mask keeps.
//
// Does: a block that loads a word or halfword at a fixed offset, masks it
//   to one byte or two adjacent bytes (`and #0xffff0000`) and tests the
//   result against a constant loads just those bytes and tests them
//   against the constant shifted to match:
//
//       ld [26]; and #0xffff0000; jeq #0x0a010000   =>   ldh [26]; jeq #0x0a01
//
//   This is made only where the narrow load ends where the wide one does,
//   or the captured length is known to cover the whole wider load on
//   every path to it (an earlier load reached at least as far), and where
//   A's value is not read after the test.
// Runs once after the fixed point.
// Requires: a verified, acyclic IR program without inner jumps.
// Preserves: the verdict on every packet. Neither load can fail where the
//   wider one is known to succeed, so truncated packets keep their
//   verdicts. The masked value is the narrow one shifted left by s bits
//   (s = the mask's zero bits below it), so `jeq #c` holds exactly when
//   the narrow value is c >> s (c has no bits outside the mask, else the
//   test is left alone), `jgt #c` when it is above floor(c / 2^s), `jge
//   #c` when it is at least ceil(c / 2^s), `jset #c` when it shares a bit
//   with c >> s. Offsets of 2^31 and more (Linux's ancillary data) are
//   left alone. One instruction fewer per rewrite.
//
// The captured length known at each block's entry is the least, over its
// predecessors, of the furthest fixed-offset load each has made: one pass
// in reverse post-order.
#include <algorithm>
#include <vector>

#include "optimizer/passes.h"
#include "optimizer/values.h"

namespace sift::optimizer {

namespace {

constexpr uint16_t kLdW = 0x20, kLdH = 0x28, kLdB = 0x30, kLdxMsh = 0xb1, kAndK = 0x54;
constexpr uint16_t kJeqK = 0x15, kJgtK = 0x25, kJgeK = 0x35, kJsetK = 0x45;

/// How far a statement's read of the packet at a fixed offset reaches
/// (0 for any other statement).
uint64_t fixedEnd(const bpf::Insn& i) {
  if (i.k >= kKernelOffsets) return 0;
  switch (i.code) {
    case kLdW: return uint64_t{i.k} + 4;
    case kLdH: return uint64_t{i.k} + 2;
    case kLdB:
    case kLdxMsh: return uint64_t{i.k} + 1;
    default: return 0;
  }
}

/// The narrower load for `load; and #mask`, and the shift between the two
/// values; false when the mask is not one byte or two adjacent bytes.
bool narrowed(const bpf::Insn& load, uint32_t mask, bpf::Insn& out, int& shift) {
  const int width = load.code == kLdW ? 4 : 2;
  for (int bytes : {1, 2}) {
    for (int first = 0; first + bytes <= width; ++first) {
      // Bytes [first, first + bytes) of the big-endian value.
      shift = 8 * (width - first - bytes);
      const uint32_t m = (bytes == 1 ? 0xffu : 0xffffu) << shift;
      if (m != mask || (bytes == 2 && width == 2)) continue;
      out = bpf::Insn{bytes == 1 ? kLdB : kLdH, 0, 0, load.k + static_cast<uint32_t>(first)};
      return true;
    }
  }
  return false;
}

/// The test's constant for the narrow value; false when there is none.
bool shiftedConstant(uint16_t test, uint32_t c, uint32_t mask, int shift, uint32_t& out) {
  const uint64_t unit = uint64_t{1} << shift;
  switch (test) {
    case kJeqK:
      if (c & ~mask) return false;
      out = c >> shift;
      return true;
    case kJgtK: out = static_cast<uint32_t>(c / unit); return true;
    case kJgeK: {
      const uint64_t up = (uint64_t{c} + unit - 1) / unit;
      if (up > UINT32_MAX) return false;
      out = static_cast<uint32_t>(up);
      return true;
    }
    case kJsetK: out = (c & mask) >> shift; return true;
    default: return false;
  }
}

}  // namespace

Change narrowLoads(ir::Program& p, Analyses& analyses) {
  // Most programs have no masked load: liveness is computed only for one
  // that has.
  bool any = false;
  for (const ir::Block& b : p.blocks)
    for (size_t i = 1; i < b.stmts.size() && !any; ++i)
      any = b.stmts[i].code == kAndK && (b.stmts[i - 1].code == kLdW || b.stmts[i - 1].code == kLdH);
  if (!any) return Change::None;
  const auto& rpo = analyses.rpo();
  const auto& live = analyses.live();
  constexpr uint64_t kUnknown = UINT64_MAX;
  // The length known at each block's entry; kUnknown until a predecessor is seen.
  std::vector<uint64_t> known(p.blocks.size(), kUnknown);
  known[p.entry] = 0;
  bool changed = false;
  for (ir::BlockId id : rpo) {
    ir::Block& b = p.blocks[id];
    uint64_t len = known[id] == kUnknown ? 0 : known[id];
    const size_t n = b.stmts.size();
    // The candidate: the last two statements, before a test of A against #k
    // whose successors do not read A.
    if (n >= 2 && b.termKind == ir::TermKind::Branch && !ir::isPlainJump(b) && b.stmts[n - 1].code == kAndK &&
        (b.stmts[n - 2].code == kLdW || b.stmts[n - 2].code == kLdH) && b.stmts[n - 2].k < kKernelOffsets &&
        !(live[b.jt] & bit(kRegA)) && !(live[b.jf] & bit(kRegA))) {
      uint64_t before = len;
      for (size_t i = 0; i + 2 < n; ++i) before = std::max(before, fixedEnd(b.stmts[i]));
      const bpf::Insn& load = b.stmts[n - 2];
      bpf::Insn narrow;
      int shift = 0;
      uint32_t k = 0;
      // A narrow load that ends where the wide one does fails on the same
      // packets without any earlier load.
      if (narrowed(load, b.stmts[n - 1].k, narrow, shift) &&
          (before >= fixedEnd(load) || fixedEnd(narrow) == fixedEnd(load)) &&
          shiftedConstant(b.term.code, b.term.k, b.stmts[n - 1].k, shift, k)) {
        b.stmts[n - 2] = narrow;
        b.stmts.pop_back();
        b.term.k = k;
        changed = true;
        // What the block proves about the length is its wider load's
        // reach, known already (`before`), so nothing below changes.
      }
    }
    for (const bpf::Insn& s : b.stmts) len = std::max(len, fixedEnd(s));
    if (b.termKind != ir::TermKind::Branch) continue;
    for (ir::BlockId s : {b.jt, b.jf}) known[s] = known[s] == kUnknown ? len : std::min(known[s], len);
  }
  return changed ? Change::Statements : Change::None;
}

}  // namespace sift::optimizer
