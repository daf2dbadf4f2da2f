// Lowering of `port` and `portrange` for tcp, udp and sctp.
//
// As libpcap 1.10.3 does: the IPv6 branch first (the ports at the fixed
// offset 40, right after the IPv6 header, the next-header field naming the
// transport), then the IPv4 branch (protocol field, not a fragment, the
// header length from `ldxb 4*([nl]&0xf)`); without a transport qualifier
// the transports are tried in the order sctp, tcp, udp.
#include <string>
#include <vector>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kTcp = 6, kUdp = 17, kSctp = 132;

}  // namespace

ir::Fragment Lowerer::port(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  const ast::Node::Resolved& r = n.resolved;
  const bool range = q.kind == ast::AddrKind::PortRange;
  const Span dirSpan = q.dirSpan.empty() ? n.span : q.dirSpan;

  ast::Proto which = q.proto;
  if (which == ast::Proto::Default) which = r.portProto;
  std::vector<uint32_t> transports;
  switch (which) {
    case ast::Proto::Default: transports = {kSctp, kTcp, kUdp}; break;
    case ast::Proto::Tcp: transports = {kTcp}; break;
    case ast::Proto::Udp: transports = {kUdp}; break;
    case ast::Proto::Sctp: transports = {kSctp}; break;
    default:
      return fail(protoSpanOf(n), "'" + protoText(n) + " " + (range ? "portrange" : "port") +
                                      "' is not valid: ports take tcp, udp or sctp");
  }
  const uint32_t low = std::min(r.portLow, r.portHigh), high = std::max(r.portLow, r.portHigh);

  // One port field test; `loadPort` emits the load of the 16-bit field.
  auto fieldTest = [&](auto loadPort) {
    if (!range || low == high) return builder.test(loadPort(), op::kJeq, low);
    ir::Fragment atLeast = builder.test(loadPort(), op::kJge, low);
    return both(std::move(atLeast), negate(builder.test(loadPort(), op::kJgt, high)));
  };

  // (The network offset is taken after the first link-type test, as
  // libpcap does: on rows with run-time offsets that order decides which
  // scratch register each offset gets, and so which later stores reuse it.)
  Offset nl;
  auto branch = [&](bool v6) {
    std::optional<ir::Fragment> all;
    for (uint32_t t : transports) {
      // (Blocks are created in a fixed order, statement by statement, so
      // that every compiler builds the same graph.)
      ir::Fragment f = loadTest(nl.plus(v6 ? kIp6NextHeaderOffset : kIpProtoOffset), 1, 0xff, op::kJeq, t);
      if (!v6) f = both(std::move(f), notFragment());
      ir::Fragment ports = directional(q.dir, dirSpan, [&](bool src) {
        const uint32_t field = src ? 0 : 2;
        if (v6)
          return fieldTest([&] { return loadAt(nl, kIp6HeaderLength + field, 2); });
        return fieldTest([&] {
          std::vector<bpf::Insn> code = ipv4PayloadToX(nl);
          code.push_back(op::insn(op::kLdIndH, nl.constant + field));
          return code;
        });
      });
      f = both(std::move(f), std::move(ports));
      all = all ? either(std::move(*all), std::move(f)) : std::move(f);
    }
    return std::move(*all);
  };

  ir::Fragment ip6 = linkProto(kEtherTypeIp6);
  nl = network();
  ir::Fragment v6 = both(std::move(ip6), branch(true));
  ir::Fragment ip = linkProto(kEtherTypeIp);
  ir::Fragment v4 = both(std::move(ip), branch(false));
  return either(std::move(v6), std::move(v4));
}

}  // namespace sift::compiler::detail
