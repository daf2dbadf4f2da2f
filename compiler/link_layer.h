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
#include <string_view>

#include "ir/ir.h"

namespace sift::compiler {

namespace detail {
class Lowerer;
}

/// A place in the frame: a constant offset, plus, when `cell` is set, the
/// value a scratch cell holds at run time (libpcap's bpf_abs_offset).
/// Loads at a variable place are `ldx M[cell]; ld [x + constant + k]`.
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
  /// Something else: the row's `linkTypeHook` builds the test.
  Hook,
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
  /// TypeField::Hook: the code that tests the type field.
  LinkTypeHook linkTypeHook = nullptr;
  /// Variable-length headers (docs/linklayers.md): the length of what
  /// precedes the link-layer header, the offset of the link-layer payload,
  /// each computed once at the start of the program into a scratch cell
  /// when the expression uses it; and a check run before everything.
  /// Whether frames can carry 802.1Q / 802.1ad tags before the type field
  /// (`vlan`).
  bool vlanTags = false;
  /// The type-field value of an MPLS unicast frame (`mpls`); 0 when the
  /// link type cannot carry MPLS.
  uint16_t mplsType = 0;
  PrefixLengthHook prefixLength = nullptr;
  PayloadOffsetHook payloadOffset = nullptr;
  FrameCheckHook frameCheck = nullptr;
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
};

/// The descriptor of `dlt`, or null when sift cannot lower filters for it.
/// LINKTYPE_RAW (101), as pcap files spell it, is DLT_RAW (12).
const LinkLayer* findLinkLayer(uint32_t dlt);

/// Every row of the table, in DLT order.
std::span<const LinkLayer> linkLayers();

/// The BSD address-family values libpcap compares for NULL and LOOP
/// frames (Linux's numbering: AF_INET 2, AF_INET6 10).
inline constexpr uint32_t kAfInet = 2;
inline constexpr uint32_t kAfInet6 = 10;

/// PPP protocol number for an EtherType (or LLC SAP), as libpcap maps them;
/// other values are compared unchanged.
uint32_t pppProtocolFor(uint32_t etherType);

}  // namespace sift::compiler
