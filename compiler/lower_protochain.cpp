// Lowering of `protochain N`, `ip protochain N` and `ip6 protochain N`:
// the protocol N anywhere in the chain of headers after IPv4 or IPv6.
//
// As libpcap does, the walk is a loop in one block (ir.h allows jumps
// among a block's statements for it): A holds the next-header value and X
// where that header starts, relative to the network layer. The loop ends
// when A is N or 59 (no next header); on IPv6 it steps over hop-by-hop
// (0), destination options (60), routing (43) and fragment (44) headers,
// X += (length byte + 1) * 8; on both it steps over AH (51), where libpcap
// 1.10.3 sets X = (length byte + 2) * 4 without adding the old X, so after
// an AH header the walk goes on that many bytes from the start of the
// network layer. That is its semantics, kept here verdict for verdict. A packet whose walk
// comes back to where it was makes libpcap's interpreter loop forever; the
// VM stops it after its backward-jump budget and rejects it. Any other
// value of A ends the loop, and the block's terminator tests A == N.
//
// The walk's loads are relative to a constant network-layer offset, so it
// is refused where that offset is only known at run time (after a
// variable-length link header or inside Geneve or VXLAN), as libpcap refuses it.
#include <iterator>
#include <string>
#include <vector>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kNoNextHeader = 59, kAh = 51;
constexpr uint32_t kIp6ExtensionHeaders[] = {0, 60, 43, 44};  // the order libpcap tests them

/// Statements with jumps to labels, resolved into the relative offsets
/// of a block's statement list.
class LoopCode {
 public:
  void add(bpf::Insn insn) { code_.push_back(insn); }
  int label() {
    labels_.push_back(-1);
    return static_cast<int>(labels_.size() - 1);
  }
  void bind(int label) { labels_[label] = static_cast<int>(code_.size()); }
  /// `jeq #k` to `yes` or `no`.
  void jeq(uint32_t k, int yes, int no) {
    fixups_.push_back({code_.size(), yes, no});
    code_.push_back(op::insn(op::kJeq, k));
  }
  /// `ja` to `to` (backward: the offset wraps around, as libpcap's does).
  void ja(int to) {
    fixups_.push_back({code_.size(), to, -1});
    code_.push_back(op::insn(op::kJa));
  }
  std::vector<bpf::Insn> finish() {
    for (const Fixup& f : fixups_) {
      bpf::Insn& in = code_[f.at];
      const int from = static_cast<int>(f.at) + 1;
      if (f.no < 0) {
        in.k = static_cast<uint32_t>(labels_[f.yes] - from);
      } else {
        in.jt = static_cast<uint8_t>(labels_[f.yes] - from);
        in.jf = static_cast<uint8_t>(labels_[f.no] - from);
      }
    }
    return std::move(code_);
  }

 private:
  struct Fixup {
    size_t at;
    int yes, no;
  };
  std::vector<bpf::Insn> code_;
  std::vector<int> labels_;
  std::vector<Fixup> fixups_;
};

}  // namespace

ir::Fragment Lowerer::protochain(const ast::Node& n) {
  const uint32_t proto = n.resolved.portLow;
  const Offset net = network();
  if (net.variable()) {
    const std::string where = state.tunnel ? "inside '" + std::string(state.tunnel) + "'" : "on " + linkName();
    return fail(n.span, "'protochain' walks headers from a fixed network-layer offset, and " + where +
                            " that offset is only known at run time; use 'ip proto N' or 'ip6 proto N'");
  }
  if (arithmeticCellLimit() == 0) return fail(n.span, "too many registers needed to evaluate expression");
  const uint32_t cell = 0;  // written before it is read on every turn of the loop
  const uint32_t base = net.constant;

  auto chain = [&](bool v6) {
    LoopCode c;
    const int again = c.label(), advance = c.label(), ahCheck = c.label(), end = c.label();
    if (v6) {
      c.add(op::insn(op::kLdAbsB, base + kIp6NextHeaderOffset));
      c.add(op::insn(op::kLdxImm, kIp6HeaderLength));
    } else {
      c.add(op::insn(op::kLdAbsB, base + kIpProtoOffset));
      c.add(op::insn(op::kLdxMsh, base));
    }
    c.bind(again);
    const int afterProto = c.label(), afterNone = c.label();
    c.jeq(proto, end, afterProto);
    c.bind(afterProto);
    c.jeq(kNoNextHeader, end, afterNone);
    c.bind(afterNone);
    if (v6) {
      for (size_t i = 0; i < std::size(kIp6ExtensionHeaders); ++i) {
        const bool last = i + 1 == std::size(kIp6ExtensionHeaders);
        const int next = last ? ahCheck : c.label();
        c.jeq(kIp6ExtensionHeaders[i], advance, next);
        if (!last) c.bind(next);
      }
      // A = the next header; X += (length + 1) * 8.
      c.bind(advance);
      c.add(op::insn(op::kLdIndB, base));
      c.add(op::insn(op::kSt, cell));
      c.add(op::insn(op::kLdIndB, base + 1));
      c.add(op::insn(op::kAluK | op::kAdd, 1));
      c.add(op::insn(op::kAluK | op::kMul, 8));
      c.add(op::insn(op::kAluX | op::kAdd));
      c.add(op::insn(op::kTax));
      c.add(op::insn(op::kLdMem, cell));
      c.ja(again);
    } else {
      c.add(op::insn(op::kAluK | op::kAdd, 0));  // libpcap's no-op before the AH test
    }
    // AH: A = the next header; X = (length + 2) * 4 (libpcap 1.10.3).
    c.bind(ahCheck);
    const int ahStep = c.label();
    c.jeq(kAh, ahStep, end);
    c.bind(ahStep);
    c.add(op::insn(op::kTxa));
    c.add(op::insn(op::kLdIndB, base));
    c.add(op::insn(op::kSt, cell));
    c.add(op::insn(op::kTxa));
    c.add(op::insn(op::kAluK | op::kAdd, 1));
    c.add(op::insn(op::kTax));
    c.add(op::insn(op::kLdIndB, base));
    c.add(op::insn(op::kAluK | op::kAdd, 2));
    c.add(op::insn(op::kAluK | op::kMul, 4));
    c.add(op::insn(op::kTax));
    c.add(op::insn(op::kLdMem, cell));
    c.ja(again);
    c.bind(end);
    c.add(op::insn(op::kAluK | op::kAdd, 0));
    ir::Fragment type = linkProto(v6 ? kEtherTypeIp6 : kEtherTypeIp);
    return both(std::move(type), builder.test(c.finish(), op::kJeq, proto));
  };

  switch (finalQuals(n).proto) {
    case ast::Proto::Ip: return chain(false);
    case ast::Proto::Ip6: return chain(true);
    default: {
      ir::Fragment v4 = chain(false);
      return either(std::move(v4), chain(true));
    }
  }
}

}  // namespace sift::compiler::detail
