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

int Lowerer::reserveOffsetCell() {
  const int cell = reserveCell();
  const int reg = libpcapAlloc();
  // (The 802.11 rows model libpcap's registers in their own hooks.)
  if (!failed()) reuseRegister(reg, cell);
  return cell;
}

uint32_t Lowerer::cellOf(const Offset& at) {
  if (at.cell >= 0) return static_cast<uint32_t>(at.cell);
  const auto slot = static_cast<size_t>(Offset::kNoCell - 1 - at.cell);
  if (pending_[slot].cell == Offset::kNoCell)
    pending_[slot].cell = pending_[slot].rowPayload ? payloadCellNow() : reserveOffsetCell();
  return static_cast<uint32_t>(pending_[slot].cell);
}

int Lowerer::pendingCell() {
  pending_.push_back(Pending{});
  return Offset::kNoCell - static_cast<int>(pending_.size());
}

int Lowerer::payloadCellNow() {
  if (payloadCell_ == Offset::kNoCell) payloadCell_ = reserveOffsetCell();
  return payloadCell_;
}

Offset Lowerer::rowPayloadPlace() {
  if (payloadCell_ != Offset::kNoCell) return Offset{0, payloadCell_};
  if (rowPayloadPending_ == Offset::kNoCell) {
    rowPayloadPending_ = pendingCell();
    pending_.back().rowPayload = true;
  }
  return Offset{0, rowPayloadPending_};
}

void Lowerer::retargetRowOffsets(int headerCell, int payloadCell) {
  if (row_->payloadOffset) payloadCell_ = payloadCell;
  // (A radio header's length, on the 802.11 rows with one.)
  if (row_->prefixLength) headerCell_ = headerCell;
}

std::vector<bpf::Insn> Lowerer::loadAt(Offset at, uint32_t k, uint8_t size) {
  if (!at.variable()) return {op::insn(op::loadAbs(size), at.constant + k)};
  return {op::insn(op::kLdxMem, cellOf(at)), op::insn(op::loadInd(size), at.constant + k)};
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
  return {op::insn(op::kLdxMem, cellOf(net)),
          op::insn(op::kLdIndB, net.constant),
          op::insn(op::kAluK | op::kAnd, 0xf),
          op::insn(op::kAluK | op::kLsh, 2),
          op::insn(op::kAluX | op::kAdd),
          op::insn(op::kTax)};
}

int Lowerer::libpcapAlloc() {
  for (uint32_t n = 0; n < bpf::kMemWords; ++n) {
    if (!libpcapUsed_[libpcapNext_]) {
      libpcapUsed_[libpcapNext_] = true;
      return static_cast<int>(libpcapNext_);
    }
    libpcapNext_ = (libpcapNext_ + 1) % bpf::kMemWords;
  }
  return -1;
}

void Lowerer::libpcapFree(int reg) {
  if (reg >= 0) libpcapUsed_[static_cast<size_t>(reg)] = false;
}

void Lowerer::reuseRegister(int reg, int cell) {
  if (reg < 0) {
    fail(Span{}, "too many registers needed to evaluate expression");
    return;
  }
  // The last write of each relation is the one that stays.
  std::vector<std::pair<ir::BlockId, const ast::Arith*>> last;
  for (const RegisterWrite& w : registerWrites_) {
    if (w.reg != reg) continue;
    if (!last.empty() && last.back().first == w.block)
      last.back().second = w.value;
    else
      last.emplace_back(w.block, w.value);
  }
  for (const auto& [block, value] : last) {
    Value v = arith(*value);
    if (failed()) return;
    if (v.checks) discard(*v.checks);
    std::vector<bpf::Insn> code = v.constant ? std::vector<bpf::Insn>{op::insn(op::kLdImm, *v.constant)} : v.code;
    code.push_back(op::insn(op::kSt, static_cast<uint32_t>(cell)));
    std::vector<bpf::Insn>& stmts = builder.program().blocks[block].stmts;
    stmts.insert(stmts.begin(), code.begin(), code.end());
  }
}

Offset Lowerer::linkHeader() {
  if (state.moved) return state.header;
  if (!link().prefixLength) return Offset{link().linkHeaderOffset};
  if (headerCell_ == Offset::kNoCell) headerCell_ = reserveOffsetCell();
  return Offset{0, headerCell_};
}

Offset Lowerer::linkPayload() {
  if (state.moved) return state.llc;
  if (!link().payloadOffset) return linkHeader();
  return Offset{0, payloadCellNow()};
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
  // The payload's offset is computed from the header's: that cell is
  // needed too (libpcap reserves it last, when it writes the prologue).
  if (payloadCell_ != Offset::kNoCell && link().prefixLength && headerCell_ == Offset::kNoCell) (void)linkHeader();
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
