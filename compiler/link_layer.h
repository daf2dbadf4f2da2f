// The link-layer table: one descriptor per DLT, saying where a frame keeps
// its protocol-type field, what kind of numbers that field holds, where the
// network-layer header starts and where the MAC addresses are.
//
// Lowering never switches on the DLT number. It asks the descriptor, and
// the few link types that need code of their own (variable-length headers,
// odd type fields) name a hook in their row. docs/linklayers.md explains
// how to add a row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ir/ir.h"

namespace sift::compiler {

namespace detail {
class Lowerer;
}

/// A place in the frame: a constant offset, plus, when `cell` is set, the
/// value a scratch cell holds at run time (libpcap's bpf_abs_offset).
/// Loads at a variable place are `ldx M[cell]; ld [x + constant + k]`.
/// A cell below kNoCell is one the Lowerer reserves at its first load, as
/// libpcap allocates an offset's register only when a load needs it
/// (Lowerer::cellOf).
struct Offset {
  static constexpr int kNoCell = -1;
  uint32_t constant = 0;
  int cell = kNoCell;
  bool variable() const { return cell != kNoCell; }
  Offset plus(uint32_t k) const { return Offset{constant + k, cell}; }
  friend bool operator==(const Offset&, const Offset&) = default;
};

/// For link types whose type field fits none of the kinds below: builds
/// the test that the frame carries `etherType`, with the Lowerer's
/// helpers (loadTest, both, either, always).
using LinkTypeHook = ir::Fragment (*)(detail::Lowerer& lowerer, uint32_t etherType);

/// For links whose link-layer header follows a variable-length prefix
/// (radiotap, PPI, AVS, Prism): code that leaves the prefix length in A.
/// Every exit of the returned fragment continues with the next step.
using PrefixLengthHook = ir::Fragment (*)(detail::Lowerer& lowerer);

/// For links whose link-layer header has a variable length (802.11,
/// PFLOG): code that stores the offset of the link-layer payload in
/// M[payloadCell]. `header` is where the link-layer header starts; when it
/// is variable, X holds its variable part on entry. Every exit of the
/// returned fragment continues with the next step.
using PayloadOffsetHook = ir::Fragment (*)(detail::Lowerer& lowerer, Offset header, int payloadCell);

/// A test every packet must pass before the expression runs (PPI: the
/// encapsulated link type is 802.11).
using FrameCheckHook = ir::Fragment (*)(detail::Lowerer& lowerer);

/// Header fields some link types have and lowering knows how to test.
enum LinkFeature : uint8_t {
  kPflogFields = 1,  // on/ifname, rset, rnr, srnr, reason, action
  kRadioHeader = 2,  // radio[...]: a radio header at the frame's first byte (radiotap, AVS, Prism)
};

/// What the link-layer type field holds, i.e. how `ether proto N` (and
/// every abbreviation that implies one, such as `ip` or `arp`) is tested.
enum class TypeField : uint8_t {
  /// Ethernet: a 16-bit EtherType; values up to 1500 are an 802.3 length
  /// and the frame carries an 802.2 LLC header (DSAP tested instead).
  EtherType,
  /// Linux cooked v1: a 16-bit EtherType, or one of Linux's pseudo
  /// protocols (1 = Novell 802.3, 4 = 802.2 LLC) for 802.3 frames.
  LinuxSllProtocol,
  /// A 16-bit EtherType compared as is (Linux cooked v2).
  EtherTypePlain,
  /// A 16-bit PPP protocol number; EtherTypes with a PPP equivalent
  /// (IPv4, IPv6, DECnet, AppleTalk, XNS, IPX, OSI, bridging) are mapped.
  PppProtocol,
  /// A 32-bit BSD address family in the capturing host's byte order.
  AfHostOrder,
  /// A 32-bit BSD address family in network byte order.
  AfNetworkOrder,
  /// No field: the IP version nibble of the first byte (raw IP).
  VersionNibble,
  /// No field: the link type fixes the network protocol (`fixedEtherType`).
  Fixed,
  /// No field and no network layer lowering knows about.
  None,
  /// 802.2 LLC on every frame (Token Ring, FDDI, ATM, Fibre Channel):
  /// an LLC SAP (*E* <= 1500) is the DSAP at llcOffset, anything else the
  /// SNAP type at llcOffset + 6 (AppleTalk also checks the SNAP OUI).
  LlcSnap,
  /// Only the row's `typeCodes` exist (ARCnet, Solaris ipnet, Frame
  /// Relay): any other protocol is false.
  Codes,
  /// No protocol field: every protocol test is one masked compare of the
  /// row's `magic` (the Juniper cookie, the BACnet MS/TP preamble), the
  /// same whatever the protocol, as libpcap does.
  Magic,
  /// libpcap has no protocol test for this link type: protocol tests are
  /// errors; `link[...]`, `len`, `less` and `greater` work.
  NotImplemented,
  /// Something else: the row's `linkTypeHook` builds the test.
  Hook,
};

/// One value of a link type's protocol field that stands for an
/// EtherType: `ld{,h,b} [typeOffset] == value`. A protocol with several
/// codes matches any of them, tested in table order.
struct TypeCode {
  uint32_t etherType = 0;
  uint8_t size = 1;
  uint32_t value = 0;
};

/// A masked compare at a fixed offset: ld{,h,b} [offset] & mask == value.
struct MaskedValue {
  uint32_t offset = 0;
  uint8_t size = 4;
  uint32_t mask = 0xffffffff;
  uint32_t value = 0;
};

/// Where the 48-bit MAC addresses are, for links that have them.
struct MacLayout {
  uint32_t dstOffset = 0;
  uint32_t srcOffset = 0;
};

/// How `llc` recognises a frame that carries an 802.2 LLC header.
enum class LlcFrames : uint8_t {
  /// The link type has no LLC headers: `llc` is refused.
  None,
  /// Ethernet-style: a type field of at most 1500 (an 802.3 length) and
  /// no Novell raw 802.3 (0xFFFF) where the LLC header would be.
  LengthField,
  /// Every frame has one (Token Ring, FDDI, ATM LLC): `llc` is true.
  Always,
  /// The frames whose `magic` compare holds have one (SunATM: traffic
  /// type 2 in the pseudo-header).
  Checked,
  /// 802.11: data frames carry one (type data in the frame control).
  Ieee80211Data,
};

/// Where a link-layer header records whether the packet was sent or
/// received (`inbound`, `outbound`): (field & mask) compared with a value.
/// A direction without its own value is the negation of the other's test.
struct DirectionField {
  uint32_t offset = 0;
  uint8_t size = 1;
  uint32_t mask = 0xffffffff;
  std::optional<uint32_t> inboundValue, outboundValue;
};

/// Where the one-byte station addresses of ARCnet are (`link host $xx`);
/// broadcast and multicast test the destination for 0.
struct Mac8Layout {
  uint32_t dstOffset = 0;
  uint32_t srcOffset = 0;
};

struct LinkLayer {
  uint32_t dlt = 0;
  std::string_view name;  // libpcap's name without "DLT_", for messages
  TypeField typeField = TypeField::None;
  /// Offset of the type field from the start of the link-layer header.
  uint32_t typeOffset = 0;
  /// Offset of the network-layer header (libpcap's off_linkpl + off_nl):
  /// from the start of the link-layer header, or, for rows with a
  /// `payloadOffset` hook, from the link-layer payload.
  uint32_t netOffset = 0;
  /// Offset of the 802.2 LLC header (from the link-layer header, or from
  /// the payload for rows with a `payloadOffset` hook).
  uint32_t llcOffset = 0;
  /// TypeField::Fixed: the EtherType every packet has.
  uint16_t fixedEtherType = 0;
  /// MAC-48 addresses: `ether host`, `broadcast`, `multicast`.
  std::optional<MacLayout> mac;
  /// MAC-8 station addresses ($xx): `link host`, `broadcast`, `multicast`.
  std::optional<Mac8Layout> mac8;
  /// Where the link-layer header starts in the frame, for rows behind a
  /// pseudo-header of constant length libpcap skips (netANALYZER): the
  /// other offsets, and `link[...]`, count from there.
  uint32_t linkHeaderOffset = 0;
  /// Protocol codes tested instead of the type-field kind's rule, for the
  /// protocols listed (all of them for TypeField::Codes).
  std::span<const TypeCode> typeCodes;
  /// TypeField::Magic: the compare every protocol test makes.
  MaskedValue magic;
  /// Frame Relay: the OSI NLPID is the low byte of the 16-bit type field,
  /// whose high byte is this value; `iso proto N` tests ldh [type] ==
  /// (this << 8) | N. 0: the NLPID follows the LLC header.
  uint32_t nlpidTypeHigh = 0;
  /// Where the IS-IS PDU type is, from the link-layer header, when it is
  /// not 4 bytes after the NLPID (Cisco HDLC in libpcap 1.10.3).
  std::optional<uint32_t> isisPduTypeOffset;
  /// TypeField::Hook: the code that tests the type field.
  LinkTypeHook linkTypeHook = nullptr;
  /// Variable-length headers (docs/linklayers.md): the length of what
  /// precedes the link-layer header, the offset of the link-layer payload,
  /// each computed once at the start of the program into a scratch cell
  /// when the expression uses it; and a check run before everything.
  /// Whether frames can carry 802.1Q / 802.1ad tags before the type field
  /// (`vlan`).
  bool vlanTags = false;
  /// SunATM: the 4-byte pseudo-header (traffic type in the low nibble of
  /// byte 0, VPI at 1, VCI at 2) that `vpi`, `vci`, `lane` and the ATM
  /// cell types read, relative to the link-layer header.
  bool sunatmHeader = false;
  /// SS7 (MTP2, MTP2 with pseudo-header, ERF): where the MTP2 length
  /// indicator is, from the start of the packet. The SIO follows it, the
  /// MTP3 routing label (DPC, OPC, SLS) after that; on high-speed links
  /// (hfisu, hsio, ...) the length indicator is 2 bytes at +2 and the rest
  /// is 3 bytes later.
  std::optional<uint32_t> mtp2LengthIndicator;
  /// The type-field value of an MPLS unicast frame (`mpls`); 0 when the
  /// link type cannot carry MPLS.
  uint16_t mplsType = 0;
  PrefixLengthHook prefixLength = nullptr;
  PayloadOffsetHook payloadOffset = nullptr;
  FrameCheckHook frameCheck = nullptr;
  /// The link-layer header is an 802.11 MAC header (compiler/lower_80211.cpp):
  /// which address is the source or destination, and whether the frame
  /// carries an LLC payload at all, depend on its frame-control field.
  bool ieee80211 = false;
  /// `type`, `subtype` and `dir` (libpcap 1.10.3 refuses them on PPI).
  bool frameControlKeywords = false;
  /// Where an 802.2 frame without SNAP has its network layer, i.e. where
  /// the OSI NLPID is (libpcap's off_linkpl + off_nl_nosnap), measured as
  /// netOffset is; unset means netOffset.
  std::optional<uint32_t> nlNoSnapOffset;
  /// Whether and how `llc` works (its control field follows DSAP and SSAP
  /// at llcOffset).
  LlcFrames llc = LlcFrames::None;
  /// `inbound` / `outbound` from the header (else only a live Linux socket
  /// has them, through the packet-type ancillary load).
  std::optional<DirectionField> direction;
  /// `ifindex`: the offset of a 32-bit interface index in the header.
  std::optional<uint32_t> ifindexOffset;
  /// LinkFeature bits.
  uint8_t features = 0;
};

/// The descriptor of `dlt`, or null when sift cannot lower filters for it.
/// LINKTYPE_RAW (101), as pcap files spell it, is DLT_RAW (12).
const LinkLayer* findLinkLayer(uint32_t dlt);

/// Whether `dlt` is a link type libpcap compiles filters for with a
/// variable-length header that the table has no row for yet.
bool awaitingRow(uint32_t dlt);

/// Every row of the table, in DLT order. Link types libpcap accepts only
/// for byte access (its "matching" range 104..289 outside the table) are
/// not rows; findLinkLayer() describes them with a TypeField::NotImplemented
/// descriptor of their own.
std::span<const LinkLayer> linkLayers();

/// Whether `link` can test any network protocol at all.
inline bool hasProtocolTests(const LinkLayer& link) { return link.typeField != TypeField::NotImplemented; }

/// What filters on `link` can use, for `sift --list-linktypes` and for
/// messages: "ether/ip/ip6/arp/link[]" style words, from the row.
std::string linkCapabilities(const LinkLayer& link);

/// The BSD address-family values libpcap compares for NULL and LOOP
/// frames (Linux's numbering: AF_INET 2, AF_INET6 10).
inline constexpr uint32_t kAfInet = 2;
inline constexpr uint32_t kAfInet6 = 10;

/// PPP protocol number for an EtherType (or LLC SAP), as libpcap maps them;
/// other values are compared unchanged.
uint32_t pppProtocolFor(uint32_t etherType);

}  // namespace sift::compiler
