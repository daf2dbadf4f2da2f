// The abstract syntax tree of a pcap-filter expression.
//
// The parser (parser.y) builds these nodes and nothing else; every node
// carries the Span of the text it came from. Qualifier inheritance
// (`host a or b`), name lookup and range checks happen afterwards, in
// compiler/resolve, which fills in the `resolved` parts in place. Lowering
// (compiler/lower*) reads only resolved trees.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sift/diagnostics.h"

namespace sift::ast {

// ---- Qualifiers -----------------------------------------------------------

/// The protocol qualifier (`pqual` in libpcap's grammar). `Link` covers the
/// spellings ether, fddi, tr, wlan, ppp and slip.
enum class Proto : uint8_t {
  Default, Link, Ip, Ip6, Arp, Rarp, Tcp, Udp, Sctp, Icmp, Icmp6, Igmp, Igrp,
  Pim, Ah, Esp, Vrrp, Carp,
  // the rest of libpcap's qualifiers (full-language issue)
  Atalk, Aarp, Decnet, Lat, Sca, Moprc, Mopdl, Iso, Esis, Isis, L1, L2, Iih,
  Lsp, Snp, Csnp, Psnp, Clnp, Stp, Ipx, Netbeui, Radio,
};

/// The direction qualifier (`dqual`).
enum class Dir : uint8_t {
  Default, Src, Dst, SrcOrDst, SrcAndDst,
  Addr1, Addr2, Addr3, Addr4, Ra, Ta,  // 802.11 only
};

/// The address-type qualifier (`aqual`), plus the non-directional ones.
enum class AddrKind : uint8_t {
  Default, Host, Net, Port, PortRange, Proto, Protochain, Gateway,
};

struct Qualifiers {
  Proto proto = Proto::Default;
  Dir dir = Dir::Default;
  AddrKind kind = AddrKind::Default;
  // Where each qualifier was written; empty when defaulted or inherited.
  Span protoSpan, dirSpan, kindSpan;
  /// The spelling of the proto qualifier as written ("ether", "fddi", ...)
  /// for messages.
  std::string protoText;
};

// ---- Identifiers (the `id` after a qualifier) ------------------------------

/// The lexical form of the value a primitive names.
enum class IdForm : uint8_t {
  Name,        // ID: a host, service, protocol or network name (escaped \name too)
  Number,      // NUM
  IPv4,        // HID: 1 to 4 dotted decimal parts ("10", "10.1", "10.1.2.3")
  IPv4Prefix,  // HID '/' NUM
  IPv4Mask,    // HID 'mask' HID
  IPv6,        // HID6
  IPv6Prefix,  // HID6 '/' NUM
  Mac,         // EID: a MAC-48 address in any spelling libpcap accepts
  ArcnetAddr,  // AID: '$' and 1-2 hex digits
};

struct Id {
  IdForm form = IdForm::Name;
  std::string text;    // the token text (for IPv4Mask: the address part)
  std::string text2;   // IPv4Mask: the mask part
  uint32_t number = 0; // Number: its value; *Prefix: the prefix length
  Span span;           // the whole id
  Span numberSpan;     // *Prefix: the length; IPv4Mask: the mask
};

// ---- Arithmetic -----------------------------------------------------------

enum class ArithOp : uint8_t { Add, Sub, Mul, Div, Mod, And, Or, Xor, Lsh, Rsh };

struct Arith;
using ArithPtr = std::unique_ptr<Arith>;

enum class ArithKind : uint8_t {
  Number,  // a literal or named constant (tcp-syn, icmp-echo, ...)
  Length,  // len / length: the wire length
  Load,    // proto[index] or proto[index : size]
  Binary,  // lhs op rhs
  Negate,  // unary minus
};

struct Arith {
  ArithKind kind = ArithKind::Number;
  Span span;
  uint32_t value = 0;          // Number
  Proto proto = Proto::Link;   // Load: the protocol whose header is indexed
  std::string protoText;       // Load: as written ("ether", "tcp", ...)
  Span protoSpan;
  uint8_t size = 1;            // Load: 1, 2 or 4
  Span sizeSpan;               // Load: where ':size' was written, if it was
  ArithOp op = ArithOp::Add;   // Binary
  Span opSpan;                 // Binary: the operator
  ArithPtr lhs, rhs;           // Binary: both; Load: lhs = index; Negate: lhs
};

enum class RelOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

// ---- Boolean expressions --------------------------------------------------

struct Node;
using NodePtr = std::unique_ptr<Node>;

enum class NodeKind : uint8_t {
  And,        // children[0] and children[1]
  Or,         // children[0] or children[1]
  Not,        // not children[0]
  Primitive,  // [qualifiers] id, e.g. "src host 10.0.0.1", "port 80", or a bare id
  Abbrev,     // a protocol keyword alone: "tcp", "ip6", "arp"
  Broadcast,  // [proto] broadcast
  Multicast,  // [proto] multicast
  Less,       // less NUM   (len <= NUM)
  Greater,    // greater NUM (len >= NUM)
  Relation,   // arith relop arith
  Keyword,    // the full-language keywords (vlan, mpls, llc, ...): see `keyword`
};

/// Keywords of the full language that take at most one optional argument.
/// The foundation parser does not produce these; they are listed so the
/// tree has one shape for every issue.
enum class Keyword : uint8_t {
  None, Vlan, Mpls, Pppoed, Pppoes, Geneve, Vxlan, Lane, Llc, Inbound,
  Outbound, Ifindex, Ifname, Rnr, Srnr, Reason, Ruleset, Action, Type,
  Subtype, WlanDir, Vpi, Vci, Atm, Ss7, Decnet, IsoProto, IsisProto,
  /// A field compared with a number (keywordText names it, keywordArg is
  /// the number, relOp the comparison): vpi/vci (AtmField), sio, opc, dpc,
  /// sls and their MTP2 high-speed-link forms (Ss7Field).
  AtmField, Ss7Field,
};

struct Node {
  NodeKind kind = NodeKind::Primitive;
  Span span;
  std::vector<NodePtr> children;  // And/Or: 2; Not: 1
  /// The node was written inside its own parentheses at expression level,
  /// "(host a)". Qualifier inheritance needs it: a parenthesised expression
  /// hands on the qualifiers that were current before the '(' (libpcap's
  /// grammar), so in "port 80 and (host a) or b", b inherits 'port'.
  bool parenthesized = false;

  // Primitive
  Qualifiers quals;      // as written
  bool bareId = false;   // true when no qualifier was written: inherits
  Id id;

  // Abbrev / Broadcast / Multicast
  Proto proto = Proto::Default;
  std::string protoText;

  // Less / Greater
  uint32_t number = 0;

  // Relation
  RelOp relOp = RelOp::Eq;
  Span relOpSpan;
  ArithPtr lhs, rhs;

  // Keyword
  Keyword keyword = Keyword::None;
  std::string keywordText;
  std::optional<Id> keywordArg;
  /// 'type T subtype S' (Keyword::Type): S.
  std::optional<Id> keywordArg2;

  // ---- filled in by compiler/resolve ----
  struct Resolved {
    Qualifiers quals;  // final qualifiers after inheritance and defaults
    // host / net
    struct NetV4 { uint32_t addr = 0, mask = 0xffffffff; };
    struct NetV6 { std::array<uint8_t, 16> addr{}; uint32_t prefix = 128; };
    std::vector<NetV4> v4;
    std::vector<NetV6> v6;
    std::optional<std::array<uint8_t, 6>> mac;
    /// A MAC-8 (ARCnet/MS-TP) station address written as $XX.
    std::optional<uint8_t> mac8;
    // port / portrange: [portLow, portHigh] (equal for a single port);
    // proto: the protocol number in portLow
    uint32_t portLow = 0, portHigh = 0;
    /// Which transport a named service restricts a port to (Default: any
    /// of tcp/udp/sctp the qualifiers allow).
    Proto portProto = Proto::Default;
    /// decnet host/net: the 16-bit DECnet address (area << 10 | node).
    std::optional<uint16_t> decnet;
    /// 'llc KIND': the test on the LLC control field (plain 'llc' has none).
    struct LlcControl {
      bool iFrame = false;  // I format: the low bit is clear
      uint8_t mask = 0, value = 0;  // otherwise (control & mask) == value
    };
    std::optional<LlcControl> llc;
    /// 802.11 'type', 'subtype', 'dir': (frame-control byte & mask) == value.
    struct FrameControl {
      uint8_t byte = 0;  // 0: type and subtype, 1: the DS bits
      uint8_t mask = 0;
      uint32_t value = 0;
    };
    std::optional<FrameControl> frameControl;
  } resolved;
  bool isResolved = false;
};

/// A parsed expression. `root` is null for the empty expression, which
/// accepts every packet.
struct Tree {
  std::string source;
  NodePtr root;
};

const char* protoName(Proto p);
const char* dirName(Dir d);
const char* addrKindName(AddrKind k);

/// A one-line S-expression of the tree, for golden tests and
/// `sift --print-ast`: (and (primitive tcp port 80) (not (abbrev arp))).
std::string dump(const Tree& tree);

}  // namespace sift::ast
