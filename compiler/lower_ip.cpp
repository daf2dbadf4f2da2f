// Lowering of the network layer: the protocol abbreviations (ip, ip6, arp,
// rarp, tcp, udp, icmp, ...), `ip proto` / `ip6 proto` / `ether proto` /
// `proto`, IPv4 and IPv6 host and net, `ip broadcast` and IP multicast.
//
// IPv6 protocol tests follow libpcap 1.10.3: the next-header field, or one
// Fragment header (44) followed by the protocol; no other extension
// headers are walked.
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kIp6Fragment = 44;

struct AbbrevInfo {
  ast::Proto proto;
  enum Family : uint8_t { Link, Ipv4Only, Ipv6Only, Both } family;
  uint32_t number;  // EtherType for Link, IP protocol number otherwise
};

constexpr AbbrevInfo kAbbrevs[] = {
    {ast::Proto::Ip, AbbrevInfo::Link, kEtherTypeIp},
    {ast::Proto::Ip6, AbbrevInfo::Link, kEtherTypeIp6},
    {ast::Proto::Arp, AbbrevInfo::Link, kEtherTypeArp},
    {ast::Proto::Rarp, AbbrevInfo::Link, kEtherTypeRarp},
    {ast::Proto::Tcp, AbbrevInfo::Both, 6},
    {ast::Proto::Udp, AbbrevInfo::Both, 17},
    {ast::Proto::Sctp, AbbrevInfo::Both, 132},
    {ast::Proto::Ah, AbbrevInfo::Both, 51},
    {ast::Proto::Esp, AbbrevInfo::Both, 50},
    {ast::Proto::Pim, AbbrevInfo::Both, 103},
    {ast::Proto::Icmp, AbbrevInfo::Ipv4Only, 1},
    {ast::Proto::Igmp, AbbrevInfo::Ipv4Only, 2},
    {ast::Proto::Igrp, AbbrevInfo::Ipv4Only, 9},
    {ast::Proto::Vrrp, AbbrevInfo::Ipv4Only, 112},
    {ast::Proto::Carp, AbbrevInfo::Ipv4Only, 112},
    {ast::Proto::Icmp6, AbbrevInfo::Ipv6Only, 58},
};

const AbbrevInfo* findAbbrev(ast::Proto p) {
  for (const AbbrevInfo& a : kAbbrevs)
    if (a.proto == p) return &a;
  return nullptr;
}

}  // namespace

ir::Fragment Lowerer::ipProto(uint32_t proto) {
  ir::Fragment ip = linkProto(kEtherTypeIp);
  return both(std::move(ip), loadTest(network().plus(kIpProtoOffset), 1, 0xff, op::kJeq, proto));
}

ir::Fragment Lowerer::ip6Proto(uint32_t proto) {
  const Offset nh = network().plus(kIp6NextHeaderOffset);
  ir::Fragment ip6 = linkProto(kEtherTypeIp6);
  ir::Fragment direct = loadTest(nh, 1, 0xff, op::kJeq, proto);
  ir::Fragment frag = loadTest(nh, 1, 0xff, op::kJeq, kIp6Fragment);
  ir::Fragment afterFrag = both(std::move(frag), loadTest(network().plus(kIp6HeaderLength), 1, 0xff, op::kJeq, proto));
  return both(std::move(ip6), either(std::move(direct), std::move(afterFrag)));
}

ir::Fragment Lowerer::notFragment() {
  return negate(loadTest(network().plus(kIpFragOffset), 2, 0xffff, op::kJset, 0x1fff));
}

ir::Fragment Lowerer::abbrev(ast::Proto proto, Span span, const std::string& text) {
  const AbbrevInfo* a = findAbbrev(proto);
  if (proto == ast::Proto::Link)
    return fail(span, "'" + text + "' alone is not a test; use '" + text + " host', '" + text + " proto', '" +
                          text + " broadcast' or '" + text + " multicast'");
  if (proto == ast::Proto::Radio)
    return fail(span, "'radio' alone is not a test; it only indexes the radio header: radio[offset] or "
                      "radio[offset:size], compared with a value");
  if (!a && isOsiAbbrev(proto)) return osiAbbrev(proto);
  if (!a) return fail(span, "'" + text + "' is not supported yet");
  switch (a->family) {
    case AbbrevInfo::Link: return linkProto(a->number);
    case AbbrevInfo::Ipv4Only: return ipProto(a->number);
    case AbbrevInfo::Ipv6Only: return ip6Proto(a->number);
    case AbbrevInfo::Both: {
      ir::Fragment v4 = ipProto(a->number);
      return either(std::move(v4), ip6Proto(a->number));
    }
  }
  return always(false);
}

ir::Fragment Lowerer::protoPrimitive(const ast::Node& n) {
  const uint32_t value = n.resolved.portLow;
  switch (finalQuals(n).proto) {
    case ast::Proto::Default: {
      ir::Fragment v4 = ipProto(value);
      return either(std::move(v4), ip6Proto(value));
    }
    case ast::Proto::Ip: return ipProto(value);
    case ast::Proto::Ip6: return ip6Proto(value);
    case ast::Proto::Link: return linkProto(value);
    case ast::Proto::Iso:
    case ast::Proto::Isis: return osiProtoPrimitive(n);
    default:
      return fail(protoSpanOf(n), "'" + protoText(n) + " proto' is not valid: 'proto' takes ip, ip6 or ether");
  }
}

ir::Fragment Lowerer::hostOrNet(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  const ast::Node::Resolved& r = n.resolved;
  const Span dirSpan = q.dirSpan.empty() ? n.span : q.dirSpan;
  const std::string what = q.kind == ast::AddrKind::Net ? "net" : "host";
  if (r.v4.empty() && r.v6.empty())
    return fail(n.id.span.empty() ? n.span : n.id.span, "'" + n.id.text + "' has no address to test");

  std::optional<ir::Fragment> result;
  auto add = [&](ir::Fragment f) { result = result ? either(std::move(*result), std::move(f)) : std::move(f); };

  if (!r.v4.empty()) {
    struct Layout {
      uint32_t etherType, src, dst;
    };
    std::vector<Layout> layouts;
    const Layout ip{kEtherTypeIp, kIpSrcOffset, kIpDstOffset};
    const Layout arp{kEtherTypeArp, kArpSrcOffset, kArpDstOffset};
    const Layout rarp{kEtherTypeRarp, kArpSrcOffset, kArpDstOffset};
    switch (q.proto) {
      case ast::Proto::Default:
        // Inside MPLS only IPv4 can follow the labels (libpcap drops arp
        // and rarp there).
        layouts = state.mplsDepth > 0 ? std::vector<Layout>{ip} : std::vector<Layout>{ip, arp, rarp};
        break;
      case ast::Proto::Ip: layouts = {ip}; break;
      case ast::Proto::Arp: layouts = {arp}; break;
      case ast::Proto::Rarp: layouts = {rarp}; break;
      default:
        return fail(protoSpanOf(n), "'" + protoText(n) + " " + what +
                                        "' is not valid: IPv4 addresses take ip, arp or rarp");
    }
    for (const ast::Node::Resolved::NetV4& a : r.v4) {
      for (const Layout& l : layouts) {
        add(directional(q.dir, dirSpan, [&](bool src) {
          ir::Fragment type = linkProto(l.etherType);
          // A /0 net always matches: as libpcap's optimizer does, test the
          // link type only (its unoptimized code loads the address).
          if (a.mask == 0 && !libpcapUnoptimized) return type;
          Offset off = network().plus(src ? l.src : l.dst);
          return both(std::move(type), loadTest(off, 4, a.mask, op::kJeq, a.addr & a.mask));
        }));
      }
    }
  }
  if (!r.v6.empty()) {
    if (q.proto != ast::Proto::Default && q.proto != ast::Proto::Ip6)
      return fail(protoSpanOf(n), "'" + protoText(n) + " " + what + "' is not valid: IPv6 addresses take ip6");
    for (const ast::Node::Resolved::NetV6& a : r.v6) {
      add(directional(q.dir, dirSpan, [&](bool src) {
        ir::Fragment f = linkProto(kEtherTypeIp6);
        Offset off = network().plus(src ? kIp6SrcOffset : kIp6DstOffset);
        for (uint32_t w = 0; w < 4; ++w) {
          uint32_t bits = a.prefix > 32 * w ? a.prefix - 32 * w : 0;
          uint32_t mask = bits >= 32 ? 0xffffffffu : bits == 0 ? 0u : ~(0xffffffffu >> bits);
          uint32_t word = uint32_t{a.addr[4 * w]} << 24 | uint32_t{a.addr[4 * w + 1]} << 16 |
                          uint32_t{a.addr[4 * w + 2]} << 8 | a.addr[4 * w + 3];
          // A word the prefix does not reach always matches; libpcap's
          // optimizer drops its load, so it is not emitted at all (unless
          // libpcap does not optimize).
          if (mask != 0 || libpcapUnoptimized) f = both(std::move(f), loadTest(off.plus(4 * w), 4, mask, op::kJeq, word & mask));
        }
        return f;
      }));
    }
  }
  return std::move(*result);
}

ir::Fragment Lowerer::broadcast(const ast::Node& n) {
  switch (n.proto) {
    case ast::Proto::Default:
    case ast::Proto::Link:
      return linkBroadcast(n.span);
    case ast::Proto::Ip: {
      if (options.netmask == 0xffffffff)
        return fail(n.span, "'ip broadcast' needs the network mask, which is not known");
      const uint32_t host = ~options.netmask;
      const Offset dst = network().plus(kIpDstOffset);
      ir::Fragment ip = linkProto(kEtherTypeIp);
      ir::Fragment zeros = loadTest(dst, 4, host, op::kJeq, 0);
      ir::Fragment ones = loadTest(dst, 4, host, op::kJeq, host);
      return both(std::move(ip), either(std::move(zeros), std::move(ones)));
    }
    default:
      return fail(n.span, "'" + protoText(n) + " broadcast' is not valid: 'broadcast' takes ether or ip");
  }
}

ir::Fragment Lowerer::multicast(const ast::Node& n) {
  switch (n.proto) {
    case ast::Proto::Default:
    case ast::Proto::Link:
      return linkMulticast(n.span);
    case ast::Proto::Ip: {
      // libpcap 1.10.3 tests the first byte of the destination >= 224.
      ir::Fragment ip = linkProto(kEtherTypeIp);
      return both(std::move(ip), loadTest(network().plus(kIpDstOffset), 1, 0xff, op::kJge, 0xe0));
    }
    case ast::Proto::Ip6: {
      ir::Fragment ip6 = linkProto(kEtherTypeIp6);
      return both(std::move(ip6), loadTest(network().plus(kIp6DstOffset), 1, 0xff, op::kJeq, 0xff));
    }
    default:
      return fail(n.span, "'" + protoText(n) + " multicast' is not valid: 'multicast' takes ether, ip or ip6");
  }
}

}  // namespace sift::compiler::detail
