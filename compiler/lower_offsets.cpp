// Places in the frame and run-time offsets.
//
// Most link types put every header at a constant offset. Some do not:
// radiotap, PPI, AVS and Prism headers come before the 802.11 header and
// say how long they are; the 802.11 header itself is 24 bytes, or 26 for
// QoS data, plus padding; a PFLOG header says its own length. For those,
// as libpcap does, the offset is computed once, at the start of the
// program, into a scratch cell reserved for it, and every load after that
// header is `ldx M[cell]; ld [x + k]`. Only offsets the expression uses are
// computed, but they are computed before anything else runs, whichever
// branch needs them: on a packet too short for that code the whole program
// rejects, in sift as in libpcap.
//
// An Offset is a constant part plus an optional cell, so other constructs
// whose offsets are only known at run time can reserve a cell
// (reserveCell), compute into it and load through it (loadAt, loadTest).
#include <utility>
#include <vector>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

int Lowerer::reserveCell() {
  if (reserved_ >= bpf::kMemWords) {
    fail(Span{}, "too many registers needed to evaluate expression");
    return 0;
  }
  // From the top down, so the cells arithmetic uses (from M[0] up) and
  // these never meet.
  ++reserved_;
  return static_cast<int>(bpf::kMemWords - reserved_);
}

std::vector<bpf::Insn> Lowerer::loadAt(Offset at, uint32_t k, uint8_t size) {
  if (!at.variable()) return {op::insn(op::loadAbs(size), at.constant + k)};
  return {op::insn(op::kLdxMem, static_cast<uint32_t>(at.cell)), op::insn(op::loadInd(size), at.constant + k)};
}

ir::Fragment Lowerer::loadTest(Offset at, uint8_t size, uint32_t mask, uint16_t jump, uint32_t value) {
  std::vector<bpf::Insn> stmts = loadAt(at, 0, size);
  uint32_t full = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
  if ((mask & full) != full) stmts.push_back(op::insn(op::kAluK | op::kAnd, mask));
  return builder.test(std::move(stmts), jump, value);
}

std::vector<bpf::Insn> Lowerer::ipv4PayloadToX(Offset net) {
  if (!net.variable()) return {op::insn(op::kLdxMsh, net.constant)};
  // X = cell + 4*(ip[0] & 0xf), as libpcap computes it.
  return {op::insn(op::kLdxMem, static_cast<uint32_t>(net.cell)),
          op::insn(op::kLdIndB, net.constant),
          op::insn(op::kAluK | op::kAnd, 0xf),
          op::insn(op::kAluK | op::kLsh, 2),
          op::insn(op::kAluX | op::kAdd),
          op::insn(op::kTax)};
}

Offset Lowerer::linkHeader() {
  if (state.moved) return state.header;
  if (!link().prefixLength) return Offset{link().linkHeaderOffset};
  if (headerCell_ == Offset::kNoCell) headerCell_ = reserveCell();
  return Offset{0, headerCell_};
}

Offset Lowerer::linkPayload() {
  if (state.moved) return state.llc;
  if (!link().payloadOffset) return linkHeader();
  if (payloadCell_ == Offset::kNoCell) {
    // The payload's offset is computed from the header's: that cell is
    // needed too (libpcap reserves it last, when it writes the prologue).
    payloadCell_ = reserveCell();
  }
  return Offset{0, payloadCell_};
}

Offset Lowerer::llc() {
  if (state.moved) return state.llc;
  if (!link().payloadOffset) return linkHeader().plus(link().llcOffset);
  return linkPayload().plus(link().llcOffset);
}

Offset Lowerer::network() {
  if (state.moved) return state.net;
  if (!link().payloadOffset) return linkHeader().plus(link().netOffset);
  return linkPayload().plus(link().netOffset);
}

ir::Fragment Lowerer::straight(std::vector<bpf::Insn> stmts) {
  return builder.test(std::move(stmts), op::kJa, 0);
}

ir::Fragment Lowerer::sequence(ir::Fragment first, ir::Fragment then) {
  builder.patch(first.trueExits, then.entry);
  builder.patch(first.falseExits, then.entry);
  return ir::Fragment{first.entry, std::move(then.trueExits), std::move(then.falseExits)};
}

ir::Fragment Lowerer::prologue(ir::Fragment body) {
  // The prologue computes the outermost frame's offsets, whatever the
  // encapsulations moved to. libpcap adds the row's frame check only when
  // the link type it ends with is still the row's (after `pppoes` it is
  // PPP, and PPI's check is gone).
  const bool endsOnRow = state.layer == row_;
  linkChanged = !endsOnRow;
  state.layer = row_;
  state.moved = false;
  std::optional<ir::Fragment> code;
  auto then = [&](ir::Fragment step) { code = code ? sequence(std::move(*code), std::move(step)) : std::move(step); };
  if (payloadCell_ != Offset::kNoCell && link().prefixLength && headerCell_ == Offset::kNoCell)
    headerCell_ = reserveCell();
  Offset header{};
  if (headerCell_ != Offset::kNoCell) {
    // The prefix length into A, then into the header's cell and X.
    then(link().prefixLength(*this));
    if (headerCellUnwritten_) {
      then(straight({op::insn(op::kTax)}));
    } else {
      then(straight({op::insn(op::kSt, static_cast<uint32_t>(headerCell_)), op::insn(op::kTax)}));
    }
    header = Offset{0, headerCell_};
  }
  if (payloadCell_ != Offset::kNoCell) then(link().payloadOffset(*this, header, payloadCell_));
  if (headerCellUnwritten_ && headerCell_ != Offset::kNoCell)
    then(straight({op::insn(op::kLdImm, 0), op::insn(op::kSt, static_cast<uint32_t>(headerCell_))}));
  // (A live vlan's cells start at 0 when no other run-time offset is
  // computed, as in libpcap.)
  if (!code && !vlanCellInit.empty()) then(straight(vlanCellInit));
  if (code) body = sequence(std::move(*code), std::move(body));
  if (link().frameCheck && endsOnRow) {
    ir::Fragment check = link().frameCheck(*this);
    body = both(std::move(check), std::move(body));
  }
  return body;
}

}  // namespace sift::compiler::detail
