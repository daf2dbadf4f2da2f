// The link-layer table: the rows, and the lookups lowering uses.
//
// Offsets are measured with libpcap 1.10.3 as the reference (tcpdump -d -y
// LINKTYPE). Adding a link type is adding a row; see docs/linklayers.md.
#include "compiler/link_layer.h"

#include "compiler/ieee80211.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <vector>

#include "compiler/link_hooks.h"
#include "sift/linktype.h"

namespace sift::compiler {

namespace {

using detail::sunatmLinkType;

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
constexpr LinkLayer withMtp2(LinkLayer l, uint32_t lengthIndicator) {
  l.mtp2LengthIndicator = lengthIndicator;
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
/// An 802.11 MAC header, after a prefix whose length `prefix` computes
/// (none for bare 802.11). Its payload starts with LLC/SNAP: the network
/// layer 8 bytes in, the OSI NLPID 3 (LLC without SNAP).
constexpr LinkLayer wlanRow(uint32_t dlt, std::string_view name, PrefixLengthHook prefix,
                              PayloadOffsetHook payload = ieee80211::payloadOffset) {
  LinkLayer l = row(dlt, name, TypeField::Hook, 0, 8);
  l.linkTypeHook = ieee80211::linkType;
  l.prefixLength = prefix;
  l.payloadOffset = payload;
  l.mac = MacLayout{/*dstOffset=*/4, /*srcOffset=*/10};  // addr1, addr2; lower_80211.cpp decides
  l.llc = LlcFrames::Ieee80211Data;
  l.nlNoSnapOffset = 3;
  l.ieee80211 = true;
  l.frameControlKeywords = true;
  l.vlanTags = true;  // in the SNAP header's EtherType
  return l;
}
/// PPI: radiotap-like little-endian length; libpcap 1.10.3 compiles only
/// for PPI carrying 802.11, which every program checks first, and refuses
/// type/subtype/dir there.
constexpr LinkLayer ppi(uint32_t dlt, std::string_view name) {
  LinkLayer l = wlanRow(dlt, name, ieee80211::littleEndianLength);
  l.frameCheck = ieee80211::ppiIs80211;
  l.frameControlKeywords = false;
  l.vlanTags = false;  // libpcap 1.10.3 has no VLAN support for PPI
  return l;
}
/// An 802.11 row whose radio header `radio[...]` indexes (libpcap 1.10.3:
/// radiotap, AVS and Prism, not PPI).
constexpr LinkLayer withRadio(LinkLayer l) {
  l.features |= kRadioHeader;
  return l;
}
constexpr LinkLayer fixed(uint32_t dlt, std::string_view name, uint16_t etherType) {
  LinkLayer l = row(dlt, name, TypeField::Fixed, 0, 0);
  l.fixedEtherType = etherType;
  return l;
}

/// OpenBSD pf's log header: its length byte says where the packet starts.
constexpr LinkLayer pflogRow() {
  LinkLayer l = row(117, "PFLOG", TypeField::Hook, 1, 0);
  l.linkTypeHook = detail::pflogLinkType;
  l.payloadOffset = detail::pflogPayload;
  l.direction = DirectionField{/*offset=*/60, /*size=*/1, /*mask=*/0xff, /*in=*/1, /*out=*/2};
  l.features = kPflogFields;
  return l;
}

// Protocol codes of the link types whose type field is no EtherType.
constexpr TypeCode kArcnetCodes[] = {
    // RFC 1201 and the older RFC 1051 framing.
    {0x0800, 1, 0xd4}, {0x0800, 1, 0xf0},  // IPv4
    {0x0806, 1, 0xd5}, {0x0806, 1, 0xf1},  // ARP
    {0x8035, 1, 0xd6},                     // RARP
    {0x86dd, 1, 0xc4},                     // IPv6
    {0x809b, 1, 0xdd},                     // AppleTalk
};
constexpr TypeCode kIpnetCodes[] = {{0x0800, 1, 2}, {0x86dd, 1, 26}};  // IPH_AF_INET, _INET6
// Q.922 address (2 bytes), then the control byte and NLPID of RFC 2427;
// OSI (the ISO SAP) is CLNP, ES-IS or IS-IS.
constexpr TypeCode kFrelayCodes[] = {{0x0800, 2, 0x03cc}, {0x86dd, 2, 0x038e}, {0x00fe, 2, 0x0381},
                                     {0x00fe, 2, 0x0382}, {0x00fe, 2, 0x0383}};
// BSD/OS PPP: IPv4 is also Van Jacobson compressed or uncompressed TCP.
constexpr TypeCode kPppBsdosCodes[] = {{0x0800, 2, 0x0021}, {0x0800, 2, 0x002d}, {0x0800, 2, 0x002f}};
// Cisco HDLC carries OSI as 0xFEFE, the ISO SAP doubled.
constexpr TypeCode kChdlcCodes[] = {{0x00fe, 2, 0xfefe}};

constexpr MacLayout kTokenRingMacs{/*dstOffset=*/2, /*srcOffset=*/8};
constexpr MacLayout kFddiMacs{/*dstOffset=*/1, /*srcOffset=*/7};
constexpr MacLayout kFibreChannelMacs{/*dstOffset=*/2, /*srcOffset=*/10};
constexpr Mac8Layout kArcnetMacs{/*dstOffset=*/1, /*srcOffset=*/0};

constexpr LinkLayer withCodes(LinkLayer l, std::span<const TypeCode> codes) {
  l.typeCodes = codes;
  return l;
}
constexpr LinkLayer withMac8(LinkLayer l, Mac8Layout mac8) {
  l.mac8 = mac8;
  return l;
}
/// Ethernet behind a pseudo-header of `pseudo` bytes (netANALYZER), with
/// 802.1Q tags and MPLS as on Ethernet.
constexpr LinkLayer ethernetAt(uint32_t dlt, std::string_view name, uint32_t pseudo) {
  LinkLayer l = withMpls(withVlan(withLlcFrames(withMac(withLlc(row(dlt, name, TypeField::EtherType, 12, 14), 14),
                                                        kEthernetMacs),
                                                LlcFrames::None, 17)),
                         0x8847);
  l.linkHeaderOffset = pseudo;
  return l;
}
/// An 802.2 LLC link: the LLC header at `llc`, the SNAP type 6 bytes on,
/// the network layer 8 bytes on.
constexpr LinkLayer llcLink(uint32_t dlt, std::string_view name, uint32_t llc, LlcFrames frames) {
  return withLlcFrames(withLlc(row(dlt, name, TypeField::LlcSnap, llc + 6, llc + 8), llc), frames, llc + 3);
}
constexpr LinkLayer codes(uint32_t dlt, std::string_view name, uint32_t typeOffset, uint32_t netOffset,
                          std::span<const TypeCode> list) {
  return withCodes(row(dlt, name, TypeField::Codes, typeOffset, netOffset), list);
}
constexpr LinkLayer magic(uint32_t dlt, std::string_view name, uint32_t netOffset, MaskedValue m) {
  LinkLayer l = row(dlt, name, TypeField::Magic, 0, netOffset);
  l.magic = m;
  return l;
}
/// A Juniper row. Its pseudo-header starts with the cookie "MGC" and a
/// flags byte; libpcap tests the cookie for every protocol and does not
/// look further. The direction is bit 0 of the flags byte (1: in); the
/// network layer is at `net`, and, without SNAP, at `noSnap`.
constexpr LinkLayer juniper(uint32_t dlt, std::string_view name, uint32_t net, uint32_t noSnap) {
  LinkLayer l = magic(dlt, name, net, MaskedValue{0, 4, 0xffffff00, 0x4d474300});
  l.nlNoSnapOffset = noSnap;
  DirectionField d;
  d.offset = 3;
  d.mask = 0x01;
  d.inboundValue = 1;
  l.direction = d;
  return l;
}
constexpr DirectionField directionByte(uint32_t offset, uint8_t size, std::optional<uint32_t> in,
                                       std::optional<uint32_t> out) {
  DirectionField d;
  d.offset = offset;
  d.size = size;
  d.inboundValue = in;
  d.outboundValue = out;
  return d;
}
constexpr LinkLayer byteOnly(uint32_t dlt, std::string_view name) {
  return row(dlt, name, TypeField::NotImplemented, 0, 0);
}

/// BACnet MS/TP frames start with the preamble 0x55 0xFF.
constexpr MaskedValue kMstpPreamble{0, 4, 0xffff0000, 0x55ff0000};
/// libpcap leaves the payload offset of some link types unset (-1) and
/// still adds the network-layer offset to it, so their IP fields are
/// looked for 2 bytes before the frame (and never found).
constexpr uint32_t kUnsetNetOffset = 0xfffffffe;

// Sorted by DLT.
constexpr LinkLayer kRows[] = {
    // BSD loopback: a 4-byte address family in the host's byte order.
    row(0, "NULL", TypeField::AfHostOrder, 0, 4),
    // Ethernet II / 802.3: EtherType at 12, payload (or LLC) at 14.
    // 802.1Q tags and MPLS (EtherType 0x8847) may come before the payload.
    withMpls(withVlan(withLlcFrames(withMac(withLlc(row(1, "EN10MB", TypeField::EtherType, 12, 14), 14), kEthernetMacs),
                                    LlcFrames::LengthField, 17)),
             0x8847),
    // Token Ring: access and frame control, MACs, then LLC at 14 (no
    // source routing handled, as libpcap).
    withMac(llcLink(6, "IEEE802", 14, LlcFrames::Always), kTokenRingMacs),
    // ARCnet (BSD): source, destination, type byte at 2.
    withMac8(codes(7, "ARCNET", 2, 6, kArcnetCodes), kArcnetMacs),
    // SLIP: a 16-byte pseudo-header; libpcap tests the IP version at
    // link[0] (the direction byte), yet reads the header at 16.
    // Its first byte is the direction: 0 received (libpcap 1.10.3 takes
    // anything else as sent).
    withDirection(row(8, "SLIP", TypeField::VersionNibble, 0, 16), directionByte(0, 1, 0, std::nullopt)),
    // PPP in HDLC-like framing: address, control, 16-bit protocol (MPLS
    // unicast is 0x0281).
    withMpls(row(9, "PPP", TypeField::PppProtocol, 2, 4), 0x0281),
    // FDDI: frame control, MACs, LLC at 13.
    withMac(llcLink(10, "FDDI", 13, LlcFrames::Always), kFddiMacs),
    // ATM with RFC 1483 LLC encapsulation: LLC at 0.
    llcLink(11, "ATM_RFC1483", 0, LlcFrames::Always),
    // Raw IP: the version nibble says IPv4 or IPv6.
    row(12, "RAW", TypeField::VersionNibble, 0, 0),
    // BSD/OS SLIP: a 24-byte pseudo-header, tested like SLIP.
    row(15, "SLIP_BSDOS", TypeField::VersionNibble, 0, 24),
    // BSD/OS PPP: the protocol at 5 of a 24-byte pseudo-header.
    withCodes(row(16, "PPP_BSDOS", TypeField::PppProtocol, 5, 24), kPppBsdosCodes),
    // Linux Classical IP over ATM: LLC at 0.
    llcLink(19, "ATM_CLIP", 0, LlcFrames::None),
    // PPP in HDLC framing (RFC 1662) and the PPPoE session payload.
    row(50, "PPP_SERIAL", TypeField::PppProtocol, 2, 4),
    row(51, "PPP_ETHER", TypeField::PppProtocol, 6, 8),
    // Symantec firewall: a 44-byte header with the EtherType at 6.
    row(99, "SYMANTEC_FIREWALL", TypeField::EtherTypePlain, 6, 44),
    // Cisco HDLC: address, control, EtherType (MPLS 0x8847).
    // libpcap 1.10.3 looks for the OSI NLPID at 5, the IS-IS PDU type at 8.
    [] {
      LinkLayer l = withMpls(withLlcFrames(withCodes(row(104, "C_HDLC", TypeField::EtherTypePlain, 2, 4), kChdlcCodes),
                                           LlcFrames::None, 5),
                             0x8847);
      l.isisPduTypeOffset = 8;
      return l;
    }(),
    // 802.11 without a radio header.
    wlanRow(105, "IEEE802_11", nullptr),
    // Frame Relay: Q.922 address and an NLPID; libpcap puts the network
    // layer at 0.
    [] {
      LinkLayer l = codes(107, "FRELAY", 2, 0, kFrelayCodes);
      l.nlpidTypeHigh = 0x03;  // the control byte before the NLPID
      return l;
    }(),
    // OpenBSD loopback: the address family in network byte order.
    row(108, "LOOP", TypeField::AfNetworkOrder, 0, 4),
    // OpenBSD IPsec encapsulation: a 12-byte header, host-order family.
    row(109, "ENC", TypeField::AfHostOrder, 0, 12),
    // Linux cooked capture v1: 16-byte header, protocol at 14.
    // Its packet type (0 = to us ... 4 = outgoing) is the first field.
    withDirection(withLlc(row(113, "LINUX_SLL", TypeField::LinuxSllProtocol, 14, 16), 16),
                  linuxPacketType(0, 2)),
    // LocalTalk: AppleTalk and nothing else.
    fixed(114, "LTALK", 0x809b),
    // pf log: a variable-length header with the address family at 1.
    pflogRow(),
    // 802.11 after a Prism (or AVS) monitor header.
    withRadio(wlanRow(119, "PRISM_HEADER", ieee80211::prismLength)),
    // IP over Fibre Channel (RFC 2625): MACs at 2 and 10, LLC at 16.
    withMac(llcLink(122, "IP_OVER_FC", 16, LlcFrames::None), kFibreChannelMacs),
    // Sun raw ATM: a 4-byte pseudo-header (flags and type, VPI, VCI)
    // before LLC; protocol tests need the LLC type in the flags.
    [] {
      LinkLayer l = llcLink(123, "SUNATM", 4, LlcFrames::Checked);
      l.magic = MaskedValue{0, 1, 0x0f, 2};  // traffic type 2: LLC
      l.typeField = TypeField::Hook;
      l.linkTypeHook = sunatmLinkType;
      l.sunatmHeader = true;
      return l;
    }(),
    // 802.11 after a radiotap header, whose flags may say the MAC header
    // is padded to 4 bytes.
    withRadio(wlanRow(127, "IEEE802_11_RADIO", ieee80211::littleEndianLength, ieee80211::radiotapPayloadOffset)),
    // Linux ARCnet: two more bytes (offset) before the type byte.
    withMac8(codes(129, "ARCNET_LINUX", 4, 8, kArcnetCodes), kArcnetMacs),
    juniper(130, "JUNIPER_MLPPP", 4, 3),
    juniper(131, "JUNIPER_MLFR", 4, 3),
    juniper(132, "JUNIPER_ES", kUnsetNetOffset, kUnsetNetOffset),
    juniper(133, "JUNIPER_GGSN", 12, 11),
    juniper(134, "JUNIPER_MFR", 4, 3),
    juniper(135, "JUNIPER_ATM2", 8, 18),
    juniper(136, "JUNIPER_SERVICES", kUnsetNetOffset, kUnsetNetOffset),
    juniper(137, "JUNIPER_ATM1", 4, 14),
    // Apple IP over FireWire: 16 bytes of addresses, then the EtherType.
    row(138, "APPLE_IP_OVER_IEEE1394", TypeField::EtherTypePlain, 16, 18),
    // SS7: filters on the MTP fields only (libpcap 1.10.3 has none for MTP3).
    withMtp2(byteOnly(139, "MTP2_WITH_PHDR"), 6),
    withMtp2(byteOnly(140, "MTP2"), 2),
    byteOnly(141, "MTP3"),
    byteOnly(143, "DOCSIS"),
    byteOnly(144, "LINUX_IRDA"),
    // 802.11 after an AVS radio header.
    withRadio(wlanRow(163, "IEEE802_11_RADIO_AVS", ieee80211::avsLength)),
    juniper(164, "JUNIPER_MONITOR", 12, 11),
    withLlcFrames(magic(165, "BACNET_MS_TP", kUnsetNetOffset, kMstpPreamble), LlcFrames::None, kUnsetNetOffset),
    // PPP as pppd writes it: the first byte is the direction.
    withDirection(row(166, "PPP_PPPD", TypeField::PppProtocol, 2, 4), directionByte(0, 1, 0, 1)),
    juniper(167, "JUNIPER_PPPOE", 32, 35),
    juniper(168, "JUNIPER_PPPOE_ATM", 6, 5),
    byteOnly(174, "JUNIPER_PIC_PEER"),
    byteOnly(177, "LINUX_LAPD"),
    juniper(178, "JUNIPER_ETHER", 32, 35),
    juniper(179, "JUNIPER_PPP", 4, 3),
    juniper(180, "JUNIPER_FRELAY", 4, 3),
    juniper(181, "JUNIPER_CHDLC", 4, 3),
    byteOnly(182, "MFR"),
    juniper(183, "JUNIPER_VP", kUnsetNetOffset, kUnsetNetOffset),
    // Per-Packet Information header, then 802.11.
    ppi(192, "PPI"),
    juniper(194, "JUNIPER_ISM", kUnsetNetOffset, kUnsetNetOffset),
    // Endace ERF: libpcap tests SS7 fields after its 16-byte record
    // header and 4-byte MTP2 header, and nothing else.
    withMtp2(byteOnly(197, "ERF"), 22),
    juniper(200, "JUNIPER_ST", kUnsetNetOffset, kUnsetNetOffset),
    // Solaris ipnet: a 24-byte header with its own address family at 1.
    // Its direction at 2: 1 sent, 2 received.
    withDirection(codes(226, "IPNET", 1, 24, kIpnetCodes), directionByte(2, 2, 2, 1)),
    // Raw IPv4 / raw IPv6: the link type is the protocol.
    fixed(228, "IPV4", 0x0800),
    fixed(229, "IPV6", 0x86dd),
    juniper(232, "JUNIPER_VS", kUnsetNetOffset, kUnsetNetOffset),
    juniper(233, "JUNIPER_SRX_E2E", kUnsetNetOffset, kUnsetNetOffset),
    juniper(234, "JUNIPER_FIBRECHANNEL", kUnsetNetOffset, kUnsetNetOffset),
    juniper(238, "JUNIPER_ATM_CEMIC", kUnsetNetOffset, kUnsetNetOffset),
    byteOnly(239, "NFLOG"),
    // Hilscher netANALYZER: Ethernet behind a 4-byte pseudo-header, and
    // with the preamble and SFD as well (12 bytes).
    ethernetAt(240, "NETANALYZER", 4),
    ethernetAt(241, "NETANALYZER_TRANSPARENT", 12),
    byteOnly(246, "PFSYNC"),
    // Linux cooked capture v2: 20-byte header, protocol first.
    // The interface index is at 4, the packet type at 10.
    withIfindex(withDirection(row(276, "LINUX_SLL2", TypeField::EtherTypePlain, 0, 20),
                              linuxPacketType(10, 1)),
                4),

    // DSA switch tags: libpcap 1.10.3 filters their bytes only.
    byteOnly(281, "DSA_TAG_BRCM"),
    byteOnly(282, "DSA_TAG_BRCM_PREPEND"),
    byteOnly(284, "DSA_TAG_DSA"),
    byteOnly(285, "DSA_TAG_EDSA"),
};

constexpr uint32_t kLinktypeRaw = 101;  // LINKTYPE_RAW in pcap files
constexpr uint32_t kDltRaw = 12;

/// libpcap's "matching" range: link types it has no case for but accepts
/// for byte access, as long as the filter never asks for a protocol.
constexpr uint32_t kMatchingMin = 104, kMatchingMax = 289;
/// Link types in that range libpcap does handle, with variable-length
/// headers sift has no rows for yet: these stay refused as a whole rather
/// than pretending they have no protocol tests.
constexpr std::array<uint32_t, 0> kNotYetRows{};

/// The byte-access-only descriptors of the matching range, made once.
struct ByteOnlyRange {
  std::vector<std::string> names;
  std::vector<LinkLayer> rows;
  ByteOnlyRange() {
    names.reserve(kMatchingMax - kMatchingMin + 1);
    rows.reserve(kMatchingMax - kMatchingMin + 1);
    for (uint32_t dlt = kMatchingMin; dlt <= kMatchingMax; ++dlt) names.push_back(linktypeName(dlt));
    for (uint32_t dlt = kMatchingMin; dlt <= kMatchingMax; ++dlt)
      rows.push_back(byteOnly(dlt, names[dlt - kMatchingMin]));
  }
};

const LinkLayer* inTable(uint32_t dlt) {
  auto end = std::end(kRows);
  auto it = std::lower_bound(std::begin(kRows), end, dlt, [](const LinkLayer& row, uint32_t d) { return row.dlt < d; });
  return it != end && it->dlt == dlt ? &*it : nullptr;
}

/// The protocols a row's type field can name, as filter words.
std::vector<std::string> protocolWords(const LinkLayer& l) {
  auto nameOf = [](uint32_t etherType) -> std::string {
    switch (etherType) {
      case 0x0800: return "ip";
      case 0x86dd: return "ip6";
      case 0x0806: return "arp";
      case 0x8035: return "rarp";
      case 0x809b: return "atalk";
      case 0x00fe: return "iso";
      default: return "ether proto " + std::to_string(etherType);
    }
  };
  switch (l.typeField) {
    case TypeField::Fixed: return {nameOf(l.fixedEtherType)};
    case TypeField::Hook:
      if (l.features & kPflogFields) return {"ip", "ip6"};  // its address family
      return {"ip", "ip6", "arp", "ether proto"};
    case TypeField::VersionNibble:
    case TypeField::AfHostOrder:
    case TypeField::AfNetworkOrder: return {"ip", "ip6"};
    case TypeField::Codes: {
      std::vector<std::string> out;
      for (const TypeCode& c : l.typeCodes)
        if (std::find(out.begin(), out.end(), nameOf(c.etherType)) == out.end()) out.push_back(nameOf(c.etherType));
      return out;
    }
    case TypeField::None:
    case TypeField::NotImplemented: return {};
    default: return {"ip", "ip6", "arp", "ether proto"};
  }
}

}  // namespace

std::span<const LinkLayer> linkLayers() { return kRows; }

const LinkLayer* findLinkLayer(uint32_t dlt) {
  if (dlt == kLinktypeRaw) dlt = kDltRaw;
  if (const LinkLayer* row = inTable(dlt)) return row;
  if (dlt < kMatchingMin || dlt > kMatchingMax) return nullptr;
  if (awaitingRow(dlt)) return nullptr;
  static const ByteOnlyRange range;
  return &range.rows[dlt - kMatchingMin];
}

bool awaitingRow(uint32_t dlt) {
  return !inTable(dlt) && std::find(std::begin(kNotYetRows), std::end(kNotYetRows), dlt) != std::end(kNotYetRows);
}

std::string linkCapabilities(const LinkLayer& l) {
  std::vector<std::string> words = protocolWords(l);
  if (l.typeField == TypeField::Magic && !words.empty()) words.back() += " (each only checks the header)";
  if (l.mac) words.insert(words.end(), {"ether host", "broadcast", "multicast"});
  if (l.mac8) words.insert(words.end(), {"link host $xx", "broadcast", "multicast"});
  if (l.ieee80211) words.emplace_back("wlan addr1..addr4/ra/ta");
  if (l.frameControlKeywords) words.emplace_back("type/subtype/dir");
  if (l.llc != LlcFrames::None) words.emplace_back("llc");
  if (l.vlanTags) words.emplace_back("vlan");
  if (l.mplsType) words.emplace_back("mpls");
  if (l.direction) words.emplace_back("inbound/outbound");
  if (l.ifindexOffset) words.emplace_back("ifindex");
  if (l.sunatmHeader) words.insert(words.end(), {"vpi/vci", "lane", "oam/metac/bcc/sc/ilmic/connectmsg"});
  if (l.mtp2LengthIndicator) words.insert(words.end(), {"fisu/lssu/msu", "sio/opc/dpc/sls", "(and h- forms)"});
  if (l.features & kPflogFields) words.insert(words.end(), {"on", "rset", "rnr", "srnr", "reason", "action"});
  if (l.features & kRadioHeader) words.emplace_back("radio[]");
  words.insert(words.end(), {"link[]", "len"});
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace sift::compiler

namespace sift {

std::string linktypeFilters(uint32_t dlt) {
  if (const compiler::LinkLayer* l = compiler::findLinkLayer(dlt)) return compiler::linkCapabilities(*l);
  if (compiler::awaitingRow(dlt)) return "(not supported yet)";
  return "(none: libpcap knows no header layout for it)";
}

}  // namespace sift

namespace sift::compiler {

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
