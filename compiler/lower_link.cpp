// Lowering of the link layer: the link-type test behind `ether proto N`
// and every protocol abbreviation (read from the row's TypeField), MAC
// address tests, link-layer broadcast and multicast.
#include <bit>
#include <string>

#include <utility>

#include "compiler/link_hooks.h"
#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kEtherMtu = 1500;           // larger type values are EtherTypes
constexpr uint32_t kLlcSapIp = 0x06, kLlcSapIso = 0xfe, kLlcSapNetbeui = 0xf0, kLlcSapIpx = 0xe0;
constexpr uint32_t kEtherTypeIpx = 0x8137;
constexpr uint32_t kSllProto8023 = 1, kSllProto8022 = 4;  // Linux pseudo protocols
constexpr uint32_t kSnapIpxHead = 0xaaaa0300, kSnapIpxTail = 0x00008137;
constexpr uint32_t kEtherTypeAtalk = 0x809b, kEtherTypeAarp = 0x80f3;

/// AppleTalk and AARP also travel in 802.2 SNAP frames: AppleTalk with the
/// OUI 08:00:07, AARP with 00:00:00. The SNAP header is AA AA 03 OUI TYPE;
/// libpcap tests its last four bytes first, then its first four.
bool snapEncapsulated(uint32_t etherType, uint32_t& head, uint32_t& tail) {
  if (etherType == kEtherTypeAtalk) {
    head = 0xaaaa0308;
    tail = 0x00070000 | etherType;
  } else if (etherType == kEtherTypeAarp) {
    head = 0xaaaa0300;
    tail = etherType;
  } else {
    return false;
  }
  return true;
}

uint32_t hostOrder(uint32_t v) {
  if constexpr (std::endian::native == std::endian::little)
    return (v >> 24) | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | (v << 24);
  return v;
}

}  // namespace

ir::Fragment Lowerer::llcProto(Offset llc, uint32_t etherType) {
  if (uint32_t head, tail; etherType == kEtherTypeAtalk && snapEncapsulated(etherType, head, tail))
    return both(loadTest(llc.plus(4), 4, 0xffffffff, op::kJeq, tail), loadTest(llc, 4, 0xffffffff, op::kJeq, head));
  if (etherType > kEtherMtu) return loadTest(llc.plus(6), 2, 0xffff, op::kJeq, etherType);
  if (etherType == kLlcSapIp || etherType == kLlcSapIso || etherType == kLlcSapNetbeui)
    return loadTest(llc, 2, 0xffff, op::kJeq, etherType << 8 | etherType);
  return loadTest(llc, 1, 0xff, op::kJeq, etherType);
}

ir::Fragment sunatmLinkType(Lowerer& lw, uint32_t etherType) {
  // The low nibble of the first pseudo-header byte is the traffic type;
  // 2 (PT_LLC) frames carry LLC.
  const MaskedValue& m = lw.link().magic;
  ir::Fragment isLlc = lw.loadTest(lw.linkHeader().plus(m.offset), m.size, m.mask, op::kJeq, m.value);
  return lw.both(std::move(isLlc), lw.llcProto(lw.llc(), etherType));
}

ir::Fragment Lowerer::linkProto(uint32_t etherType) {
  if (state.mplsDepth > 0) return mplsLinkProto(etherType);
  if (state.leControl) {
    // After lane: not an LE control frame, then the Ethernet test.
    ir::Fragment data = notLeControl();
    std::optional<Offset> le = std::exchange(state.leControl, std::nullopt);
    ir::Fragment type = linkProto(etherType);
    state.leControl = le;
    return both(std::move(data), std::move(type));
  }
  // Rows that list codes for this protocol test those.
  std::optional<ir::Fragment> coded;
  for (const TypeCode& c : link().typeCodes) {
    if (c.etherType != etherType) continue;
    uint32_t full = c.size == 4 ? 0xffffffffu : c.size == 2 ? 0xffffu : 0xffu;
    ir::Fragment f = loadTest(typeField(), c.size, full, op::kJeq, c.value);
    coded = coded ? either(std::move(*coded), std::move(f)) : std::move(f);
  }
  if (coded) return std::move(*coded);
  switch (link().typeField) {
    case TypeField::LlcSnap:
      return llcProto(llc(), etherType);
    case TypeField::Codes:
      return always(false);
    case TypeField::Magic:
      return loadTest(linkHeader().plus(link().magic.offset), link().magic.size, link().magic.mask, op::kJeq,
                      link().magic.value);
    case TypeField::NotImplemented:
      return fail(leafSpan, "protocol tests are not possible on " + linkName() +
                                ": libpcap reads no protocol field in its frames; filters on it can use only "
                                "link[...], len, less and greater");
    case TypeField::EtherType: {
      // An 802.3 frame (length field) with an LLC header.
      auto is8023 = [&] { return negate(loadTest(typeField(), 2, 0xffff, op::kJgt, kEtherMtu)); };
      if (uint32_t head, tail; snapEncapsulated(etherType, head, tail)) {
        ir::Fragment e2 = loadTest(typeField(), 2, 0xffff, op::kJeq, etherType);
        ir::Fragment len = is8023();
        ir::Fragment snap = both(loadTest(llc().plus(4), 4, 0xffffffff, op::kJeq, tail),
                                 loadTest(llc(), 4, 0xffffffff, op::kJeq, head));
        return either(std::move(e2), both(std::move(len), std::move(snap)));
      }
      if (etherType > kEtherMtu) return loadTest(typeField(), 2, 0xffff, op::kJeq, etherType);
      if (etherType == kLlcSapIp || etherType == kLlcSapIso || etherType == kLlcSapNetbeui) {
        ir::Fragment len = is8023();
        return both(std::move(len), loadTest(llc(), 2, 0xffff, op::kJeq, etherType << 8 | etherType));
      }
      if (etherType == kLlcSapIpx) {
        // Ethernet II IPX, or 802.3 with SNAP IPX, an IPX DSAP or raw 802.3.
        ir::Fragment e2 = loadTest(typeField(), 2, 0xffff, op::kJeq, kEtherTypeIpx);
        ir::Fragment len = is8023();
        ir::Fragment snapTail = loadTest(llc().plus(4), 4, 0xffffffff, op::kJeq, kSnapIpxTail);
        ir::Fragment snap = both(std::move(snapTail), loadTest(llc(), 4, 0xffffffff, op::kJeq, kSnapIpxHead));
        ir::Fragment dsap = loadTest(llc(), 1, 0xff, op::kJeq, kLlcSapIpx);
        ir::Fragment raw = loadTest(llc(), 2, 0xffff, op::kJeq, 0xffff);
        ir::Fragment llcIpx = either(either(std::move(snap), std::move(dsap)), std::move(raw));
        return either(std::move(e2), both(std::move(len), std::move(llcIpx)));
      }
      ir::Fragment len = is8023();
      return both(std::move(len), loadTest(llc(), 1, 0xff, op::kJeq, etherType));
    }
    case TypeField::LinuxSllProtocol: {
      if (uint32_t head, tail; snapEncapsulated(etherType, head, tail)) {
        ir::Fragment e2 = loadTest(typeField(), 2, 0xffff, op::kJeq, etherType);
        ir::Fragment is8022 = loadTest(typeField(), 2, 0xffff, op::kJeq, kSllProto8022);
        ir::Fragment snap = both(loadTest(llc().plus(4), 4, 0xffffffff, op::kJeq, tail),
                                 loadTest(llc(), 4, 0xffffffff, op::kJeq, head));
        return either(std::move(e2), both(std::move(is8022), std::move(snap)));
      }
      if (etherType > kEtherMtu) return loadTest(typeField(), 2, 0xffff, op::kJeq, etherType);
      if (etherType == kLlcSapIpx) {
        ir::Fragment e2 = loadTest(typeField(), 2, 0xffff, op::kJeq, kEtherTypeIpx);
        ir::Fragment raw = loadTest(typeField(), 2, 0xffff, op::kJeq, kSllProto8023);
        ir::Fragment is8022 = loadTest(typeField(), 2, 0xffff, op::kJeq, kSllProto8022);
        ir::Fragment dsap = loadTest(llc(), 1, 0xff, op::kJeq, kLlcSapIpx);
        ir::Fragment snapTail = loadTest(llc().plus(4), 4, 0xffffffff, op::kJeq, kSnapIpxTail);
        ir::Fragment snap = both(std::move(snapTail), loadTest(llc(), 4, 0xffffffff, op::kJeq, kSnapIpxHead));
        ir::Fragment llcIpx = both(std::move(is8022), either(std::move(dsap), std::move(snap)));
        return either(either(std::move(e2), std::move(raw)), std::move(llcIpx));
      }
      ir::Fragment is8022 = loadTest(typeField(), 2, 0xffff, op::kJeq, kSllProto8022);
      if (etherType == kLlcSapIp || etherType == kLlcSapIso || etherType == kLlcSapNetbeui)
        return both(std::move(is8022), loadTest(llc(), 2, 0xffff, op::kJeq, etherType << 8 | etherType));
      return both(std::move(is8022), loadTest(llc(), 1, 0xff, op::kJeq, etherType));
    }
    case TypeField::EtherTypePlain:
      return loadTest(typeField(), 2, 0xffff, op::kJeq, etherType);
    case TypeField::PppProtocol:
      return loadTest(typeField(), 2, 0xffff, op::kJeq, pppProtocolFor(etherType));
    case TypeField::AfHostOrder:
    case TypeField::AfNetworkOrder: {
      uint32_t af = etherType == kEtherTypeIp ? kAfInet : etherType == kEtherTypeIp6 ? kAfInet6 : 0;
      if (af == 0) return always(false);
      if (link().typeField == TypeField::AfHostOrder) af = hostOrder(af);
      return loadTest(typeField(), 4, 0xffffffff, op::kJeq, af);
    }
    case TypeField::VersionNibble:
      if (etherType == kEtherTypeIp) return loadTest(typeField(), 1, 0xf0, op::kJeq, 0x40);
      if (etherType == kEtherTypeIp6) return loadTest(typeField(), 1, 0xf0, op::kJeq, 0x60);
      return always(false);
    case TypeField::Fixed:
      return always(etherType == link().fixedEtherType);
    case TypeField::Hook:
      if (link().linkTypeHook) return link().linkTypeHook(*this, etherType);
      break;
    case TypeField::None:
      break;
  }
  return always(false);
}

bool Lowerer::requireMac(Span span, const std::string& what) {
  if (link().mac) return true;
  if (link().mac8) {
    fail(span, what + " needs a MAC-48 address, which " + linkName() +
                   " frames do not have; its station addresses are one byte: 'link host $xx'");
    return false;
  }
  std::string withMacs;
  for (const LinkLayer& row : linkLayers())
    if (row.mac) withMacs += (withMacs.empty() ? "DLT_" : ", DLT_") + std::string(row.name);
  fail(span, what + " is not supported on " + linkName() + ", whose frames have no MAC addresses; it works on " +
                 withMacs);
  return false;
}

ir::Fragment Lowerer::mac8Host(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  if (!link().mac8) {
    std::string with;
    for (const LinkLayer& row : linkLayers())
      if (row.mac8) with += (with.empty() ? "DLT_" : ", DLT_") + std::string(row.name);
    return fail(n.id.span, "station address '" + n.id.text + "' is an ARCnet address, and " + linkName() +
                               " has none; 'link host $xx' works on " + with);
  }
  // libpcap 1.10.3 reads '$' as a hex digit worth 0xd (pcap_atoan), and
  // of "$xy" keeps only '$' and x: the address compared is 0xd0 | x.
  const uint8_t v = uint8_t(0xd0 | (*n.resolved.mac8 >> (n.id.text.size() > 2 ? 4 : 0) & 0x0f));
  return directional(q.dir, q.dirSpan.empty() ? n.span : q.dirSpan, [&](bool src) {
    return loadTest(linkHeader().plus(src ? link().mac8->srcOffset : link().mac8->dstOffset), 1, 0xff, op::kJeq, v);
  });
}

ir::Fragment Lowerer::macHost(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  if (n.resolved.mac8) return mac8Host(n);
  if (!n.resolved.mac) return fail(n.id.span, "'" + n.id.text + "' is not a MAC address, which '" + protoText(n) + " host' needs");
  if (q.kind == ast::AddrKind::Net)
    return fail(q.kindSpan.empty() ? n.span : q.kindSpan, "'" + protoText(n) + " net' is not valid: link-layer addresses have no networks");
  const char* dirWord = q.dir == ast::Dir::Src         ? " src"
                        : q.dir == ast::Dir::Dst       ? " dst"
                        : q.dir == ast::Dir::SrcAndDst ? " src and dst"
                                                       : " host";
  if (!requireMac(n.span, "'" + protoText(n) + dirWord + "'")) return always(false);
  if (link().ieee80211) return wlanMacHost(n);
  const std::array<uint8_t, 6>& m = *n.resolved.mac;
  const uint32_t head = uint32_t{m[0]} << 8 | m[1];
  const uint32_t tail = uint32_t{m[2]} << 24 | uint32_t{m[3]} << 16 | uint32_t{m[4]} << 8 | m[5];
  std::optional<ir::Fragment> inner;
  if (state.tunnel) inner = encapsulatedLinkCheck();
  if (state.leControl) inner = notLeControl();
  ir::Fragment test = directional(q.dir, q.dirSpan.empty() ? n.span : q.dirSpan, [&](bool src) {
    uint32_t off = src ? link().mac->srcOffset : link().mac->dstOffset;
    // The last four bytes first, as libpcap does.
    ir::Fragment last = loadTest(linkHeader().plus(off + 2), 4, 0xffffffff, op::kJeq, tail);
    return both(std::move(last), loadTest(linkHeader().plus(off), 2, 0xffff, op::kJeq, head));
  });
  return inner ? both(std::move(*inner), std::move(test)) : std::move(test);
}

ir::Fragment Lowerer::linkBroadcast(Span span) {
  if (link().mac8) return loadTest(linkHeader().plus(link().mac8->dstOffset), 1, 0xff, op::kJeq, 0);
  if (!requireMac(span, "'broadcast'")) return always(false);
  if (link().ieee80211) return wlanBroadcast();
  std::optional<ir::Fragment> inner;
  if (state.tunnel) inner = encapsulatedLinkCheck();
  if (state.leControl) inner = notLeControl();
  const uint32_t dst = link().mac->dstOffset;
  ir::Fragment last = loadTest(linkHeader().plus(dst + 2), 4, 0xffffffff, op::kJeq, 0xffffffff);
  ir::Fragment test = both(std::move(last), loadTest(linkHeader().plus(dst), 2, 0xffff, op::kJeq, 0xffff));
  return inner ? both(std::move(*inner), std::move(test)) : std::move(test);
}

ir::Fragment Lowerer::linkMulticast(Span span) {
  // ARCnet has no multicast; libpcap matches its broadcast.
  if (link().mac8) return loadTest(linkHeader().plus(link().mac8->dstOffset), 1, 0xff, op::kJeq, 0);
  if (!requireMac(span, "'multicast'")) return always(false);
  if (link().ieee80211) return wlanMulticast();
  // The group bit of the destination address.
  if (state.tunnel || state.leControl) {
    ir::Fragment inner = state.leControl ? notLeControl() : encapsulatedLinkCheck();
    return both(std::move(inner), loadTest(linkHeader().plus(link().mac->dstOffset), 1, 0xff, op::kJset, 0x01));
  }
  return loadTest(linkHeader().plus(link().mac->dstOffset), 1, 0xff, op::kJset, 0x01);
}

}  // namespace sift::compiler::detail
