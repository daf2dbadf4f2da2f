// The link-layer table: the rows, and the lookups lowering uses.
//
// Offsets are measured with libpcap 1.10.3 as the reference (tcpdump -d -y
// LINKTYPE). Adding a link type is adding a row; see docs/linklayers.md.
#include "compiler/link_layer.h"

#include <algorithm>
#include <array>

namespace sift::compiler {

namespace {

constexpr MacLayout kEthernetMacs{/*dstOffset=*/0, /*srcOffset=*/6};

/// A row with the fields every link type has; the optional ones are set
/// by the helpers below.
constexpr LinkLayer row(uint32_t dlt, std::string_view name, TypeField field, uint32_t typeOffset,
                        uint32_t netOffset) {
  LinkLayer l;
  l.dlt = dlt;
  l.name = name;
  l.typeField = field;
  l.typeOffset = typeOffset;
  l.netOffset = netOffset;
  return l;
}
constexpr LinkLayer withLlc(LinkLayer l, uint32_t llcOffset) {
  l.llcOffset = llcOffset;
  return l;
}
constexpr LinkLayer withMac(LinkLayer l, MacLayout mac) {
  l.mac = mac;
  return l;
}
constexpr LinkLayer withLlcFrames(LinkLayer l, LlcFrames llc, uint32_t nlNoSnapOffset) {
  l.llc = llc;
  l.nlNoSnapOffset = nlNoSnapOffset;
  return l;
}
constexpr LinkLayer withDirection(LinkLayer l, DirectionField d) {
  l.direction = d;
  return l;
}
constexpr LinkLayer withIfindex(LinkLayer l, uint32_t offset) {
  l.ifindexOffset = offset;
  return l;
}
/// Linux's packet type (PACKET_OUTGOING = 4) in a cooked header.
constexpr DirectionField linuxPacketType(uint32_t offset, uint8_t size) {
  DirectionField d;
  d.offset = offset;
  d.size = size;
  d.outboundValue = 4;
  return d;
}
constexpr LinkLayer withVlan(LinkLayer l) {
  l.vlanTags = true;
  return l;
}
constexpr LinkLayer withMpls(LinkLayer l, uint16_t type) {
  l.mplsType = type;
  return l;
}
constexpr LinkLayer fixed(uint32_t dlt, std::string_view name, uint16_t etherType) {
  LinkLayer l = row(dlt, name, TypeField::Fixed, 0, 0);
  l.fixedEtherType = etherType;
  return l;
}

// Sorted by DLT.
constexpr std::array<LinkLayer, 9> kRows{{
    // BSD loopback: a 4-byte address family in the host's byte order.
    row(0, "NULL", TypeField::AfHostOrder, 0, 4),
    // Ethernet II / 802.3: EtherType at 12, payload (or LLC) at 14.
    // 802.1Q tags and MPLS (EtherType 0x8847) may come before the payload.
    withMpls(withVlan(withLlcFrames(withMac(withLlc(row(1, "EN10MB", TypeField::EtherType, 12, 14), 14), kEthernetMacs),
                                    LlcFrames::LengthField, 17)),
             0x8847),
    // PPP in HDLC-like framing: address, control, 16-bit protocol (MPLS
    // unicast is 0x0281).
    withMpls(row(9, "PPP", TypeField::PppProtocol, 2, 4), 0x0281),
    // Raw IP: the version nibble says IPv4 or IPv6.
    row(12, "RAW", TypeField::VersionNibble, 0, 0),
    // OpenBSD loopback: the address family in network byte order.
    row(108, "LOOP", TypeField::AfNetworkOrder, 0, 4),
    // Linux cooked capture v1: 16-byte header, protocol at 14.
    // Its packet type (0 = to us ... 4 = outgoing) is the first field.
    withDirection(withLlc(row(113, "LINUX_SLL", TypeField::LinuxSllProtocol, 14, 16), 16),
                  linuxPacketType(0, 2)),
    // Raw IPv4 / raw IPv6: the link type is the protocol.
    fixed(228, "IPV4", 0x0800),
    fixed(229, "IPV6", 0x86dd),
    // Linux cooked capture v2: 20-byte header, protocol first.
    // The interface index is at 4, the packet type at 10.
    withIfindex(withDirection(row(276, "LINUX_SLL2", TypeField::EtherTypePlain, 0, 20),
                              linuxPacketType(10, 1)),
                4),
}};

constexpr uint32_t kLinktypeRaw = 101;  // LINKTYPE_RAW in pcap files
constexpr uint32_t kDltRaw = 12;

}  // namespace

std::span<const LinkLayer> linkLayers() { return kRows; }

const LinkLayer* findLinkLayer(uint32_t dlt) {
  if (dlt == kLinktypeRaw) dlt = kDltRaw;
  auto it = std::lower_bound(kRows.begin(), kRows.end(), dlt,
                             [](const LinkLayer& row, uint32_t d) { return row.dlt < d; });
  return it != kRows.end() && it->dlt == dlt ? &*it : nullptr;
}

uint32_t pppProtocolFor(uint32_t etherType) {
  struct Pair {
    uint32_t etherType, ppp;
  };
  // EtherType or LLC SAP -> PPP protocol (measured with libpcap 1.10.3).
  static constexpr Pair kMap[] = {
      {0x0042, 0x0031},  // LLC SAP 802.1D (spanning tree) -> bridging PDU
      {0x00e0, 0x002b},  // LLC SAP IPX -> IPX
      {0x00fe, 0x0023},  // LLC SAP ISO -> OSI network layer
      {0x0600, 0x0025},  // XNS -> Xerox NS IDP
      {0x0800, 0x0021},  // IPv4
      {0x6003, 0x0027},  // DECnet phase IV
      {0x809b, 0x0029},  // AppleTalk
      {0x86dd, 0x0057},  // IPv6
  };
  for (const Pair& p : kMap)
    if (p.etherType == etherType) return p.ppp;
  return etherType;
}

}  // namespace sift::compiler
