// The resolve pass (see resolve.h): qualifier inheritance, defaults, address
// parsing, name lookup and libpcap's qualifier and range checks.
//
// Inheritance follows libpcap's grammar, where every bare id takes the
// qualifiers "current" at its left: an and/or/not hands on what was current
// before it; a primitive with written qualifiers makes those current; a
// parenthesised expression hands on what was current before its '(' (not
// what it ended with); an abbreviation, relation, broadcast, multicast,
// less or greater leaves nothing current, so a bare id after one is an
// error. The walk needs nothing but the tree and Node::parenthesized.
//
// Needs: a parsed tree. Keeps: the tree shape; writes only `resolved` and
// `isResolved`.
#include "compiler/resolve.h"

#include "compiler/pflog.h"

#include <arpa/inet.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ieee80211_names.h"

namespace sift::compiler {

namespace {

using ast::AddrKind;
using ast::Arith;
using ast::ArithKind;
using ast::ArithOp;
using ast::Dir;
using ast::IdForm;
using ast::Node;
using ast::NodeKind;
using ast::Proto;
using ast::Qualifiers;

/// The qualifiers a bare id would inherit, or none ("qerr" in libpcap).
struct Current {
  bool valid = false;
  Qualifiers quals;
};

std::string quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool isIpv4Proto(Proto p) {
  return p == Proto::Default || p == Proto::Ip || p == Proto::Arp || p == Proto::Rarp;
}
bool isPortProto(Proto p) {
  return p == Proto::Default || p == Proto::Tcp || p == Proto::Udp || p == Proto::Sctp;
}
bool isIndexable(Proto p) {
  switch (p) {
    case Proto::Atalk: case Proto::Decnet: case Proto::Lat: case Proto::Sca: case Proto::Moprc:
    case Proto::Mopdl:
    case Proto::Link: case Proto::Ip: case Proto::Ip6: case Proto::Arp: case Proto::Rarp:
    case Proto::Tcp: case Proto::Udp: case Proto::Sctp: case Proto::Icmp: case Proto::Icmp6:
    case Proto::Igmp: case Proto::Igrp: case Proto::Pim: case Proto::Vrrp: case Proto::Carp:
    case Proto::Radio:
      return true;
    default:
      return false;
  }
}

/// libpcap's EtherType names (pcap_nametoeproto) and LLC SAP names
/// (pcap_nametollc) for 'ether proto \name'.
std::optional<uint32_t> etherProtoByName(std::string_view name) {
  struct Entry {
    const char* name;
    uint32_t value;
  };
  static const Entry table[] = {
      {"ip", 0x0800},     {"ip6", 0x86dd},   {"arp", 0x0806},   {"rarp", 0x8035},
      {"atalk", 0x809b},  {"aarp", 0x80f3},  {"decnet", 0x6003}, {"sca", 0x6007},
      {"lat", 0x6004},    {"mopdl", 0x6001}, {"moprc", 0x6002}, {"loopback", 0x9000},
      {"iso", 0xfe},      {"stp", 0x42},     {"ipx", 0xe0},     {"netbeui", 0xf0},
  };
  for (const Entry& e : table)
    if (name == e.name) return e.value;
  return std::nullopt;
}

/// A dotted IPv4 address of 1 to 4 decimal parts, as libpcap reads them:
/// the value right-justified and its length in bits.
struct PartialV4 {
  uint32_t value = 0;
  uint32_t bits = 0;
};
std::optional<PartialV4> parsePartialV4(std::string_view text) {
  PartialV4 r;
  size_t i = 0;
  int parts = 0;
  while (true) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return std::nullopt;
    uint32_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + uint32_t(text[i] - '0');
      if (n > 255) return std::nullopt;
      ++i;
    }
    r.value = (r.value << 8) | n;
    r.bits += 8;
    if (++parts > 4) return std::nullopt;
    if (i == text.size()) return r;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
}

std::optional<std::array<uint8_t, 6>> parseMac(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, 6> mac{};
  std::string digits;
  std::vector<std::string> groups(1);
  for (char c : text) {
    if (c == ':' || c == '-' || c == '.') {
      groups.emplace_back();
    } else if (hex(c) < 0) {
      return std::nullopt;
    } else {
      groups.back() += c;
    }
  }
  if (groups.size() == 1 && groups[0].size() == 12) {
    digits = groups[0];
  } else if (groups.size() == 3) {
    for (const auto& g : groups) {
      if (g.size() != 4) return std::nullopt;
      digits += g;
    }
  } else if (groups.size() == 6) {
    for (const auto& g : groups) {
      if (g.empty() || g.size() > 2) return std::nullopt;
      digits += g.size() == 1 ? "0" + g : g;
    }
  } else {
    return std::nullopt;
  }
  for (int i = 0; i < 6; ++i) mac[i] = uint8_t(hex(digits[2 * i]) << 4 | hex(digits[2 * i + 1]));
  return mac;
}

/// Left-justifies a network number the way libpcap does for 'net 10' and
/// network names: shift out leading zero bytes, narrowing the mask.
Node::Resolved::NetV4 leftJustify(uint32_t v) {
  uint32_t mask = 0xffffffff;
  while (v && (v & 0xff000000) == 0) {
    v <<= 8;
    mask <<= 8;
  }
  return {v, mask};
}

/// A DECnet address AREA.NODE as libpcap 1.10.3 reads it (sscanf "%d.%d":
/// decimal, anything after the node ignored, no range check): the area
/// shifted left by 10 bits, or'ed with the node's low 10 bits, kept to 16
/// bits.
std::optional<uint16_t> parseDecnet(std::string_view text) {
  auto readInt = [&](size_t& i, int64_t& out) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (out < (int64_t(1) << 40)) out = out * 10 + (text[i] - '0');
      ++i;
    }
    return i > start;
  };
  size_t i = 0;
  int64_t area = 0, node = 0;
  if (!readInt(i, area) || i >= text.size() || text[i] != '.') return std::nullopt;
  ++i;
  if (!readInt(i, node)) return std::nullopt;
  return uint16_t((uint64_t(area) << 10 | uint64_t(node & 1023)) & 0xffff);
}

/// The LLC frame kinds 'llc KIND' takes (names compared ignoring case, as
/// libpcap does): the formats and the S and U commands.
struct LlcKindEntry {
  const char* name;
  Node::Resolved::LlcControl control;
};
constexpr LlcKindEntry kLlcKinds[] = {
    {"i", {true, 0, 0}},        {"s", {false, 0x03, 0x01}},     {"u", {false, 0x03, 0x03}},
    {"rr", {false, 0x0f, 0x01}}, {"rnr", {false, 0x0f, 0x05}},   {"rej", {false, 0x0f, 0x09}},
    {"ui", {false, 0xef, 0x03}}, {"ua", {false, 0xef, 0x63}},    {"disc", {false, 0xef, 0x43}},
    {"dm", {false, 0xef, 0x0f}}, {"sabme", {false, 0xef, 0x6f}}, {"test", {false, 0xef, 0xe3}},
    {"xid", {false, 0xef, 0xaf}}, {"frmr", {false, 0xef, 0x87}},
};

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

const char* kindWord(AddrKind k) { return k == AddrKind::Net ? "net" : "host"; }

class Resolver {
 public:
  Resolver(std::string_view source, const NameResolver& names) : source_(source), names_(names) {}

  std::optional<Diagnostic> error;

  Current node(Node& n, const Current& in) {
    if (error) return {};
    if (n.kind == NodeKind::And || n.kind == NodeKind::Or) return chain(n, in);
    Current out = visit(n, in);
    n.isResolved = true;
    return n.parenthesized ? in : out;
  }

  /// "a or b or c ..." parses into a left-deep spine of and/or nodes; walk
  /// it with a loop so long chains do not recurse once per operator. Every
  /// node on the left spine starts from the same `in`.
  Current chain(Node& top, const Current& in) {
    std::vector<Node*> spine;
    Node* leftmost = &top;
    while (leftmost->kind == NodeKind::And || leftmost->kind == NodeKind::Or) {
      spine.push_back(leftmost);
      leftmost = leftmost->children[0].get();
    }
    Current cur = node(*leftmost, in);
    for (size_t i = spine.size(); i-- > 0;) {
      Node& s = *spine[i];
      Current out = node(*s.children[1], cur);
      s.isResolved = true;
      cur = s.parenthesized ? in : out;
      if (error) return {};
    }
    return cur;
  }

 private:
  std::string_view source_;
  const NameResolver& names_;

  void fail(Span span, std::string message) {
    if (!error) error = Diagnostic::error(span, std::move(message));
  }
  std::string text(Span s) const {
    if (s.end > source_.size() || s.begin > s.end) return {};
    return std::string(source_.substr(s.begin, s.size()));
  }

  Current visit(Node& n, const Current& in) {
    switch (n.kind) {
      case NodeKind::And:
      case NodeKind::Or:
        return chain(n, in);  // not reached: node() sends these to chain()
      case NodeKind::Not:
        return node(*n.children[0], in);
      case NodeKind::Primitive:
        return primitive(n, in);
      case NodeKind::Abbrev:
        abbrev(n);
        return {};
      case NodeKind::Broadcast:
      case NodeKind::Multicast:
        cast(n);
        return {};
      case NodeKind::Less:
      case NodeKind::Greater:
        return {};
      case NodeKind::Relation:
        arith(*n.lhs);
        arith(*n.rhs);
        return {};
      case NodeKind::Keyword:
        keyword(n);
        return {};
    }
    return {};
  }

  // ---- encapsulations ----

  /// The range of an encapsulation's number, as libpcap checks it.
  void encapsulation(const Node& n) {
    struct Range {
      ast::Keyword keyword;
      const char* what;
      uint32_t max;
    };
    static constexpr Range kRanges[] = {
        {ast::Keyword::Vlan, "a VLAN ID", 4095},
        {ast::Keyword::Mpls, "an MPLS label", 0xfffff},
        {ast::Keyword::Pppoes, "a PPPoE session ID", 0xffff},
        {ast::Keyword::Geneve, "a Geneve VNI", 0xffffff},
        {ast::Keyword::Vxlan, "a VXLAN VNI", 0xffffff},
    };
    const Range* range = nullptr;
    for (const Range& r : kRanges)
      if (r.keyword == n.keyword) range = &r;
    if (!range) {
      if (n.keyword != ast::Keyword::Pppoed) fail(n.span, quote(n.keywordText) + " is not supported yet");
      else if (n.keywordArg) fail(n.keywordArg->span, "'pppoed' takes no number");
      return;
    }
    if (n.keywordArg && n.keywordArg->number > range->max)
      fail(n.keywordArg->span, quote(n.keywordText) + " takes " + range->what + " from 0 to " +
                                   std::to_string(range->max) + ", not " + std::to_string(n.keywordArg->number));
  }

  // ---- keywords ----

  /// PFLOG keyword arguments: numbers, and names that become numbers here
  /// (libpcap checks them while parsing, before it looks at the link type).
  void pflogKeyword(Node& n) {
    if (!n.keywordArg) return;
    const ast::Id& arg = *n.keywordArg;
    if (arg.form == ast::IdForm::Number) {
      n.number = arg.number;
      return;
    }
    std::optional<uint32_t> v;
    switch (n.keyword) {
      case ast::Keyword::Reason:
        v = compiler::pflog::reasonNumber(arg.text);
        if (!v)
          fail(arg.span, "unknown PF reason " + quote(arg.text) + "; give a number or one of " +
                             compiler::pflog::reasonNames());
        break;
      case ast::Keyword::Action:
        v = compiler::pflog::actionNumber(arg.text);
        if (!v) fail(arg.span, "unknown PF action " + quote(arg.text) + "; use one of " + compiler::pflog::actionNames());
        break;
      default:
        return;
    }
    if (v) n.number = *v;
  }

  // ---- primitives ----

  Current primitive(Node& n, const Current& in) {
    Qualifiers q;
    if (n.bareId) {
      if (!in.valid) {
        fail(n.id.span, quote(n.id.text) + " has no qualifier to inherit here; write 'host " +
                            n.id.text + "', 'port " + n.id.text + "' or similar");
        return {};
      }
      q = in.quals;
      // Inherited qualifiers were not written here.
      q.protoSpan = q.dirSpan = q.kindSpan = Span{};
    } else {
      q = n.quals;
    }
    // What later bare ids inherit: these qualifiers, without their spans.
    Current out{true, q};
    out.quals.protoSpan = out.quals.dirSpan = out.quals.kindSpan = Span{};
    n.resolved.quals = q;
    if (isWlanDir(q.dir) && (q.kind == AddrKind::Default || q.kind == AddrKind::Host) && n.id.form != IdForm::Mac &&
        !(q.proto == Proto::Link && n.id.form == IdForm::Name)) {
      const std::string d = ast::dirName(q.dir);
      fail(q.dirSpan.empty() ? n.id.span : q.dirSpan,
           quote(d) + " qualifies 802.11 MAC addresses only, as in 'wlan " + d + " 00:11:22:33:44:55', not " +
               quote(n.id.text));
      return out;
    }
    switch (n.id.form) {
      case IdForm::Number: number(n, q); break;
      case IdForm::Name: name(n, q); break;
      case IdForm::IPv4: ipv4(n, q); break;
      case IdForm::IPv4Prefix:
      case IdForm::IPv4Mask: ipv4Net(n, q); break;
      case IdForm::IPv6:
      case IdForm::IPv6Prefix: ipv6(n, q); break;
      case IdForm::Mac: mac(n, q); break;
      case IdForm::ArcnetAddr: mac8(n, q); break;
    }
    return out;
  }

  /// Where to point for a qualifier problem: the qualifier if written here,
  /// else the id.
  Span protoSpan(const Node& n, const Qualifiers& q) const {
    return q.protoSpan.empty() ? n.id.span : q.protoSpan;
  }
  Span kindSpan(const Node& n, const Qualifiers& q) const {
    return q.kindSpan.empty() ? n.id.span : q.kindSpan;
  }
  std::string protoWord(const Qualifiers& q) const {
    return q.protoText.empty() ? ast::protoName(q.proto) : q.protoText;
  }

  void setKind(Node& n, AddrKind k) { n.resolved.quals.kind = k; }

  static bool isWlanDir(Dir d) {
    return d == Dir::Addr1 || d == Dir::Addr2 || d == Dir::Addr3 || d == Dir::Addr4 || d == Dir::Ra || d == Dir::Ta;
  }

  /// libpcap 1.10.3 built with IPv6 support (Debian's is) refuses
  /// 'gateway', whatever follows it.
  void unsupportedKind(const Node& n, const Qualifiers& q) {
    fail(kindSpan(n, q), "'gateway' is not available, as in libpcap built with IPv6 support; "
                         "write 'ether host MAC and not host ADDRESS' instead");
  }

  /// 'protochain' walks IPv4 and IPv6 headers only.
  bool checkProtochainQual(const Node& n, const Qualifiers& q) {
    if (q.proto == Proto::Default || q.proto == Proto::Ip || q.proto == Proto::Ip6) return true;
    fail(protoSpan(n, q), quote(protoWord(q) + " protochain") +
                              " is not valid; 'protochain' takes 'ip', 'ip6' or no protocol");
    return false;
  }

  bool checkIpv4Proto(const Node& n, const Qualifiers& q, AddrKind kind) {
    if (isIpv4Proto(q.proto) || q.proto == Proto::Decnet) return true;
    if (q.proto == Proto::Link) {
      fail(n.id.span, quote(protoWord(q)) + " needs a MAC address, not " + quote(n.id.text) +
                          "; drop '" + protoWord(q) + "' to match an IPv4 " + kindWord(kind));
    } else {
      fail(protoSpan(n, q), quote(protoWord(q)) + " cannot qualify an IPv4 " + kindWord(kind) +
                                "; use 'ip', 'arp', 'rarp' or no protocol ('decnet' takes "
                                "AREA.NODE addresses)");
    }
    return false;
  }

  bool checkIpv6Proto(const Node& n, const Qualifiers& q, AddrKind kind) {
    if (q.proto == Proto::Default || q.proto == Proto::Ip6) return true;
    if (q.proto == Proto::Link) {
      fail(n.id.span, quote(protoWord(q)) + " needs a MAC address, not " + quote(n.id.text) +
                          "; drop '" + protoWord(q) + "' to match an IPv6 " + kindWord(kind));
    } else {
      fail(protoSpan(n, q), quote(protoWord(q)) + " cannot qualify an IPv6 " + kindWord(kind) +
                                "; use 'ip6' or no protocol");
    }
    return false;
  }

  bool checkPortProto(const Node& n, const Qualifiers& q) {
    if (isPortProto(q.proto)) return true;
    fail(protoSpan(n, q), quote(protoWord(q)) + " has no ports; '" +
                              ast::addrKindName(q.kind) + "' takes 'tcp', 'udp', 'sctp' or no protocol");
    return false;
  }

  bool checkPort(const Node& n, uint64_t port, Span span) {
    if (port <= 65535) return true;
    fail(span, "'" + std::string(ast::addrKindName(n.resolved.quals.kind)) +
                   "' takes a number from 0 to 65535");
    return false;
  }

  /// 'proto' needs ip, ip6, ether or nothing before it.
  bool checkProtoQual(const Node& n, const Qualifiers& q) {
    static const char* const allowed =
        "'proto' takes 'ip', 'ip6', 'ether', 'iso', 'isis' or no protocol";
    switch (q.proto) {
      case Proto::Default: case Proto::Ip: case Proto::Ip6: case Proto::Link: case Proto::Iso:
      case Proto::Isis:
        return true;
      case Proto::Arp: case Proto::Rarp: case Proto::Lat: case Proto::Sca: case Proto::Moprc:
      case Proto::Mopdl: case Proto::Aarp:
        fail(protoSpan(n, q), quote(protoWord(q)) + " does not carry another protocol; " +
                                  allowed);
        return false;
      case Proto::Decnet: case Proto::Atalk:
        fail(protoSpan(n, q), "what " + quote(protoWord(q)) +
                                  " carries cannot be tested; " + allowed);
        return false;
      default:
        fail(protoSpan(n, q), quote(protoWord(q) + " proto") + " is not valid; " + allowed);
        return false;
    }
  }

  /// libpcap 1.10.3 does not range-check protocol numbers: 'ip proto 300'
  /// compiles to a test that never matches. sift accepts them the same way
  /// so that both agree on every expression; lowering emits the same test.
  void protoNumber(Node& n, const Qualifiers& q, uint32_t v) {
    if (!checkProtoQual(n, q)) return;
    n.resolved.portLow = n.resolved.portHigh = v;
  }

  /// The kinds that take a number or a name, never an address.
  static bool takesNumberOrName(AddrKind k) {
    return k == AddrKind::Port || k == AddrKind::PortRange || k == AddrKind::Proto ||
           k == AddrKind::Protochain;
  }

  void rejectAddressFor(const Node& n, const Qualifiers& q, const char* what) {
    fail(n.id.span, "'" + std::string(ast::addrKindName(q.kind)) + "' needs " +
                        (q.kind == AddrKind::Proto || q.kind == AddrKind::Protochain ? "a protocol number or name"
                                                   : "a port number or service name") +
                        ", not " + what + " " + quote(text(n.id.span)));
  }

  void number(Node& n, const Qualifiers& q) {
    uint32_t v = n.id.number;
    switch (q.kind) {
      case AddrKind::Default:
      case AddrKind::Host:
      case AddrKind::Net: {
        AddrKind k = q.kind == AddrKind::Net ? AddrKind::Net : AddrKind::Host;
        if (!checkIpv4Proto(n, q, k)) return;
        setKind(n, k);
        if (q.proto == Proto::Decnet) {
          // A bare number is the 16-bit address itself, for host and net.
          n.resolved.decnet = uint16_t(v & 0xffff);
          return;
        }
        // 'net 10' is 10.0.0.0/8; 'host 10' is 0.0.0.10.
        if (k == AddrKind::Net) n.resolved.v4.push_back(leftJustify(v));
        else n.resolved.v4.push_back({v, 0xffffffff});
        return;
      }
      case AddrKind::Port:
      case AddrKind::PortRange:
        if (!checkPortProto(n, q) || !checkPort(n, v, n.id.span)) return;
        n.resolved.portLow = n.resolved.portHigh = v;
        return;
      case AddrKind::Proto:
        protoNumber(n, q, v);
        return;
      case AddrKind::Protochain:
        // Any 32-bit number, unchecked, as libpcap takes it.
        if (checkProtochainQual(n, q)) n.resolved.portLow = n.resolved.portHigh = v;
        return;
      case AddrKind::Gateway:
        unsupportedKind(n, q);
        return;
    }
  }

  // ---- names ----

  struct PortLookup {
    bool found = false;
    uint32_t port = 0;
    Proto proto = Proto::Default;  // Default: the same number for tcp and udp
  };

  /// libpcap's pcap_nametoport: tcp first, then udp; a name with the same
  /// number for both is not tied to either.
  PortLookup lookupPort(std::string_view name) const {
    NameResolver::Service s = names_.service(name);
    PortLookup r;
    if (s.tcp) {
      r.found = true;
      r.port = *s.tcp;
      r.proto = Proto::Tcp;
      if (s.udp && *s.udp == *s.tcp) r.proto = Proto::Default;
    } else if (s.udp) {
      r.found = true;
      r.port = *s.udp;
      r.proto = Proto::Udp;
    }
    return r;
  }

  /// An IP protocol name from the protocols database ('proto tcp').
  void ipProtocolName(Node& n, const std::string& id) {
    auto v = names_.protocol(id);
    if (!v) {
      fail(n.id.span, "unknown ip protocol " + quote(id) + " (not in the protocols database)");
      return;
    }
    n.resolved.portLow = n.resolved.portHigh = *v;
  }

  void name(Node& n, const Qualifiers& q) {
    const std::string& id = n.id.text;
    switch (q.kind) {
      case AddrKind::Net: {
        if (!checkIpv4Proto(n, q, AddrKind::Net)) return;
        std::optional<uint32_t> net = names_.network(id);
        if (!net || *net == 0) {
          fail(n.id.span, "unknown network " + quote(id) + " (not in the networks database)");
          return;
        }
        // As libpcap: shift out leading zero bytes, narrowing the mask by
        // one byte per shift. A full address from the networks database
        // ("loopback 127.0.0.0") therefore matches that one address.
        Node::Resolved::NetV4 v = leftJustify(*net);
        // 'decnet net NAME': libpcap takes the low 16 bits of the network.
        if (q.proto == Proto::Decnet) n.resolved.decnet = uint16_t(v.addr & 0xffff);
        else n.resolved.v4.push_back(v);
        return;
      }
      case AddrKind::Default:
      case AddrKind::Host: {
        setKind(n, AddrKind::Host);
        if (q.proto == Proto::Decnet) {
          fail(n.id.span, "DECnet host names cannot be looked up; write the address as "
                          "AREA.NODE, like 'decnet host 1.2'");
          return;
        }
        if (q.proto == Proto::Link) {
          auto mac = names_.ether(id);
          if (!mac) {
            fail(n.id.span, "unknown ethernet host " + quote(id) + " (not in the ethers database)");
            return;
          }
          n.resolved.mac = *mac;
          return;
        }
        if (!isIpv4Proto(q.proto) && q.proto != Proto::Ip6) {
          fail(protoSpan(n, q), quote(protoWord(q)) +
                                    " cannot qualify a host; use 'ip', 'ip6', 'arp', 'rarp' or no "
                                    "protocol");
          return;
        }
        std::vector<uint32_t> v4 = names_.hostV4(id);
        std::vector<std::array<uint8_t, 16>> v6 = names_.hostV6(id);
        if (v4.empty() && v6.empty()) {
          fail(n.id.span, "unknown host " + quote(id));
          return;
        }
        if (q.proto == Proto::Ip6) v4.clear();
        if (q.proto == Proto::Ip) v6.clear();
        if ((q.proto == Proto::Arp || q.proto == Proto::Rarp) && !v6.empty()) {
          fail(protoSpan(n, q), quote(protoWord(q)) + " cannot qualify host " + quote(id) +
                                    ", which has IPv6 addresses; use 'ip host' instead");
          return;
        }
        if (v4.empty() && v6.empty()) {
          fail(n.id.span, "host " + quote(id) + " has no " +
                              (q.proto == Proto::Ip6 ? "IPv6" : "IPv4") + " address");
          return;
        }
        for (uint32_t a : v4) n.resolved.v4.push_back({a, 0xffffffff});
        for (const auto& a : v6) n.resolved.v6.push_back({a, 128});
        return;
      }
      case AddrKind::Port: {
        if (!checkPortProto(n, q)) return;
        PortLookup p = lookupPort(id);
        if (!p.found) {
          fail(n.id.span, "unknown port " + quote(id) + "; give a number or a service name");
          return;
        }
        if (q.proto != Proto::Default && p.proto != Proto::Default && p.proto != q.proto) {
          fail(n.id.span, "port " + quote(id) + " is " + ast::protoName(p.proto) + ", not " +
                              protoWord(q) + "; write '" + ast::protoName(p.proto) +
                              " port " + id + "' or a number");
          return;
        }
        if (!checkPort(n, p.port, n.id.span)) return;
        n.resolved.portLow = n.resolved.portHigh = p.port;
        n.resolved.portProto = q.proto != Proto::Default ? q.proto : p.proto;
        return;
      }
      case AddrKind::PortRange:
        portRange(n, q);
        return;
      case AddrKind::Proto: {
        if (!checkProtoQual(n, q)) return;
        if (q.proto == Proto::Link) {
          auto v = etherProtoByName(id);
          if (!v) {
            fail(n.id.span, "unknown ether protocol " + quote(id) +
                                "; give an EtherType number or one of ip, ip6, arp, rarp, "
                                "atalk, aarp, decnet, sca, lat, mopdl, moprc, loopback, iso, "
                                "stp, ipx, netbeui");
            return;
          }
          n.resolved.portLow = n.resolved.portHigh = *v;
          return;
        }
        if (q.proto == Proto::Iso) {
          // Case-sensitive, as libpcap compares them.
          uint32_t nlpid = id == "clnp" ? 0x81 : id == "esis" ? 0x82 : id == "isis" ? 0x83 : 0;
          if (nlpid == 0) {
            fail(n.id.span, "unknown OSI protocol " + quote(id) +
                                "; 'iso proto' takes a number or \\clnp, \\esis or \\isis");
            return;
          }
          n.resolved.portLow = n.resolved.portHigh = nlpid;
          return;
        }
        if (q.proto == Proto::Isis) {
          fail(n.id.span, "IS-IS PDU types have no names; 'isis proto' takes a number (l1, l2, "
                          "iih, lsp, snp, csnp and psnp name groups of them)");
          return;
        }
        ipProtocolName(n, id);
        return;
      }
      case AddrKind::Protochain:
        if (checkProtochainQual(n, q)) ipProtocolName(n, id);
        return;
      case AddrKind::Gateway:
        unsupportedKind(n, q);
        return;
    }
  }

  /// 'portrange LOW-HIGH': two decimal numbers (read like sscanf "%d-%d",
  /// so trailing text after the second number is ignored), or two service
  /// names separated by the first '-'.
  void portRange(Node& n, const Qualifiers& q) {
    if (!checkPortProto(n, q)) return;
    const std::string& id = n.id.text;
    auto readInt = [&](size_t& i, int64_t& out) {
      size_t start = i;
      bool neg = false;
      if (i < id.size() && (id[i] == '-' || id[i] == '+')) neg = id[i++] == '-';
      size_t digits = i;
      int64_t v = 0;
      while (i < id.size() && id[i] >= '0' && id[i] <= '9') {
        if (v < (int64_t(1) << 40)) v = v * 10 + (id[i] - '0');
        ++i;
      }
      if (i == digits) {
        i = start;
        return false;
      }
      out = neg ? -v : v;
      return true;
    };
    int64_t lo = 0, hi = 0;
    Proto sides[2] = {Proto::Default, Proto::Default};
    size_t i = 0;
    bool numeric = readInt(i, lo) && i < id.size() && id[i] == '-' && (++i, readInt(i, hi));
    if (!numeric) {
      size_t dash = id.find('-');
      if (dash == std::string::npos) {
        fail(n.id.span, "'portrange' needs two ports joined by '-', like 1024-65535, not " +
                            quote(id));
        return;
      }
      for (int side = 0; side < 2; ++side) {
        std::string part = side == 0 ? id.substr(0, dash) : id.substr(dash + 1);
        // libpcap looks each side up with getaddrinfo, which also takes a
        // decimal number ("20-ssh").
        bool digits = !part.empty() && part.size() <= 9 &&
                      part.find_first_not_of("0123456789") == std::string::npos;
        PortLookup p = digits ? PortLookup{true, uint32_t(std::stoul(part)), Proto::Default}
                              : lookupPort(part);
        if (!p.found) {
          fail(n.id.span, "unknown port " + quote(part) + " in port range " + quote(id));
          return;
        }
        (side == 0 ? lo : hi) = p.port;
        sides[side] = p.proto;
      }
    }
    // As libpcap: the range belongs to a transport only when both ends do.
    Proto rangeProto = sides[0] == sides[1] ? sides[0] : Proto::Default;
    if (q.proto != Proto::Default && rangeProto != Proto::Default && rangeProto != q.proto) {
      fail(n.id.span, "port range " + quote(id) + " is " + ast::protoName(rangeProto) +
                          ", not " + protoWord(q) + "; write '" + ast::protoName(rangeProto) +
                          " portrange " + id + "' or use numbers");
      return;
    }
    for (int64_t v : {lo, hi}) {
      if (v < 0 || v > 65535) {
        fail(n.id.span, "'portrange' takes ports from 0 to 65535, not " + std::to_string(v));
        return;
      }
    }
    if (lo > hi) std::swap(lo, hi);
    n.resolved.portLow = uint32_t(lo);
    n.resolved.portHigh = uint32_t(hi);
    n.resolved.portProto = q.proto != Proto::Default ? q.proto : rangeProto;
  }

  // ---- addresses ----

  void ipv4(Node& n, const Qualifiers& q) {
    if (takesNumberOrName(q.kind)) {
      rejectAddressFor(n, q, "IPv4 address");
      return;
    }
    if (q.proto == Proto::Decnet && q.kind != AddrKind::Gateway) {
      auto dn = parseDecnet(n.id.text);
      if (!dn) {
        fail(n.id.span, "invalid DECnet address " + quote(n.id.text) +
                            "; write AREA.NODE in decimal, like 1.2");
        return;
      }
      setKind(n, q.kind == AddrKind::Net ? AddrKind::Net : AddrKind::Host);
      n.resolved.decnet = *dn;
      return;
    }
    auto a = parsePartialV4(n.id.text);
    if (!a) {
      fail(n.id.span, "invalid IPv4 address " + quote(n.id.text) +
                          "; write up to four decimal numbers from 0 to 255");
      return;
    }
    AddrKind k = q.kind == AddrKind::Net ? AddrKind::Net : AddrKind::Host;
    if (q.kind == AddrKind::Gateway) {
      unsupportedKind(n, q);
      return;
    }
    if (!checkIpv4Proto(n, q, k)) return;
    setKind(n, k);
    // "10.1" is 10.1.0.0/16, for host as for net.
    uint32_t shift = 32 - a->bits;
    uint32_t mask = shift == 32 ? 0 : 0xffffffffu << shift;
    n.resolved.v4.push_back({shift == 32 ? 0 : a->value << shift, mask});
  }

  void ipv4Net(Node& n, const Qualifiers& q) {
    const bool prefix = n.id.form == IdForm::IPv4Prefix;
    if (takesNumberOrName(q.kind)) {
      rejectAddressFor(n, q, "network");
      return;
    }
    auto a = parsePartialV4(n.id.text);
    if (!a) {
      fail(n.id.span, "invalid IPv4 address " + quote(n.id.text) +
                          "; write up to four decimal numbers from 0 to 255");
      return;
    }
    uint32_t addr = a->value << (32 - a->bits);
    uint32_t mask = 0;
    if (prefix) {
      if (n.id.number > 32) {
        fail(n.id.numberSpan, "an IPv4 prefix length is 0 to 32, not " +
                                  std::to_string(n.id.number));
        return;
      }
      mask = n.id.number == 0 ? 0 : 0xffffffffu << (32 - n.id.number);
    } else {
      auto m = parsePartialV4(n.id.text2);
      if (!m) {
        fail(n.id.numberSpan, "invalid network mask " + quote(n.id.text2) +
                                  "; write up to four decimal numbers from 0 to 255");
        return;
      }
      mask = m->value << (32 - m->bits);
    }
    if ((addr & ~mask) != 0) {
      fail(n.id.span, "non-network bits set in " + quote(text(n.id.span)) +
                          "; the address has bits outside the mask");
      return;
    }
    if (q.kind != AddrKind::Net) {
      fail(n.id.span, quote(text(n.id.span)) + " is a network; write 'net " + text(n.id.span) +
                          "'");
      return;
    }
    if (!checkIpv4Proto(n, q, AddrKind::Net)) return;
    // 'decnet net A/N' and 'decnet net A mask M': libpcap ignores the mask
    // and tests the low 16 bits of the address.
    if (q.proto == Proto::Decnet) n.resolved.decnet = uint16_t(addr & 0xffff);
    else n.resolved.v4.push_back({addr, mask});
  }

  void ipv6(Node& n, const Qualifiers& q) {
    const bool prefix = n.id.form == IdForm::IPv6Prefix;
    if (takesNumberOrName(q.kind)) {
      rejectAddressFor(n, q, "IPv6 address");
      return;
    }
    if (q.kind == AddrKind::Gateway) {
      unsupportedKind(n, q);
      return;
    }
    std::array<uint8_t, 16> addr{};
    if (inet_pton(AF_INET6, n.id.text.c_str(), addr.data()) != 1) {
      fail(n.id.span, "invalid IPv6 address " + quote(n.id.text));
      return;
    }
    uint32_t len = prefix ? n.id.number : 128;
    if (len > 128) {
      fail(n.id.numberSpan, "an IPv6 prefix length is 0 to 128, not " + std::to_string(len));
      return;
    }
    for (uint32_t bit = len; bit < 128; ++bit) {
      if (addr[bit / 8] & (0x80 >> (bit % 8))) {
        fail(n.id.span, "non-network bits set in " + quote(text(n.id.span)) +
                            "; the address has bits outside the prefix");
        return;
      }
    }
    AddrKind k = q.kind == AddrKind::Net ? AddrKind::Net : AddrKind::Host;
    if (k == AddrKind::Host && len != 128) {
      fail(n.id.span, quote(text(n.id.span)) + " is a network; write 'net " + text(n.id.span) +
                          "'");
      return;
    }
    if (!checkIpv6Proto(n, q, k)) return;
    setKind(n, k);
    n.resolved.v6.push_back({addr, len});
  }

  void mac(Node& n, const Qualifiers& q) {
    if (!((q.kind == AddrKind::Default || q.kind == AddrKind::Host) && q.proto == Proto::Link)) {
      fail(n.id.span, "MAC address " + quote(n.id.text) +
                          " needs 'ether host' (or 'ether src', 'ether dst')");
      return;
    }
    auto m = parseMac(n.id.text);
    if (!m) {
      fail(n.id.span, "invalid MAC address " + quote(n.id.text));
      return;
    }
    setKind(n, AddrKind::Host);
    n.resolved.mac = *m;
  }

  void mac8(Node& n, const Qualifiers& q) {
    if (!((q.kind == AddrKind::Default || q.kind == AddrKind::Host) && q.proto == Proto::Link)) {
      fail(n.id.span, "station address " + quote(n.id.text) + " needs 'link host'");
      return;
    }
    unsigned v = 0;
    for (char c : std::string_view(n.id.text).substr(1))
      v = v * 16 + unsigned(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    setKind(n, AddrKind::Host);
    n.resolved.mac8 = uint8_t(v);
  }

  // ---- the other primitives ----

  void keyword(Node& n) {
    switch (n.keyword) {
      case ast::Keyword::Llc: {
        if (!n.keywordArg) return;
        const ast::Id& arg = *n.keywordArg;
        for (const LlcKindEntry& e : kLlcKinds) {
          if (equalsIgnoringCase(arg.text, e.name)) {
            n.resolved.llc = e.control;
            return;
          }
        }
        fail(arg.span, "unknown LLC frame kind " + quote(arg.text) +
                           "; 'llc' takes i, s, u, rr, rnr, rej, ui, ua, disc, dm, sabme, test, "
                           "xid or frmr");
        return;
      }
      case ast::Keyword::Type:
      case ast::Keyword::Subtype:
      case ast::Keyword::WlanDir: {
        auto test = ieee80211::frameControl(n);
        if (!test) fail(*test.error().span, test.error().message);
        else n.resolved.frameControl = *test;
        return;  // whether the link type has them is lowering's question
      }
      case ast::Keyword::Inbound:
      case ast::Keyword::Outbound:
      case ast::Keyword::Ifindex:
      case ast::Keyword::Lane:
      case ast::Keyword::Atm:
      case ast::Keyword::AtmField:
      case ast::Keyword::Ss7:
      case ast::Keyword::Ss7Field:
        return;  // whether the link type has them (and value ranges) is lowering's question
      case ast::Keyword::Vlan:
      case ast::Keyword::Mpls:
      case ast::Keyword::Pppoed:
      case ast::Keyword::Pppoes:
      case ast::Keyword::Geneve:
      case ast::Keyword::Vxlan:
        encapsulation(n);
        return;
      case ast::Keyword::Ifname:
      case ast::Keyword::Ruleset:
      case ast::Keyword::Rnr:
      case ast::Keyword::Srnr:
      case ast::Keyword::Reason:
      case ast::Keyword::Action:
        pflogKeyword(n);
        return;
      default:
        fail(n.span, quote(n.keywordText) + " is not supported yet");
        return;
    }
  }

  void abbrev(Node& n) {
    if (n.proto == Proto::Link) {
      fail(n.span, quote(n.protoText) + " cannot be used alone; write '" + n.protoText +
                       " host', '" + n.protoText + " proto', '" + n.protoText +
                       " broadcast' or '" + n.protoText + "[...]'");
    }
  }

  void cast(Node& n) {
    const bool bcast = n.kind == NodeKind::Broadcast;
    bool ok = n.proto == Proto::Default || n.proto == Proto::Link || n.proto == Proto::Ip ||
              (!bcast && n.proto == Proto::Ip6);
    if (!ok) {
      fail(n.quals.protoSpan.empty() ? n.span : n.quals.protoSpan,
           quote(n.protoText + (bcast ? " broadcast" : " multicast")) + " is not valid; '" +
               (bcast ? "broadcast' takes 'ether', 'ip' or no protocol"
                      : "multicast' takes 'ether', 'ip', 'ip6' or no protocol"));
    }
  }

  /// The value of a constant arithmetic expression (no loads, no len), as
  /// 32-bit unsigned arithmetic; none if it is not constant or divides by
  /// zero.
  static std::optional<uint32_t> constant(const Arith& a) {
    switch (a.kind) {
      case ArithKind::Number: return a.value;
      case ArithKind::Length:
      case ArithKind::Load: return std::nullopt;
      case ArithKind::Negate: {
        auto v = constant(*a.lhs);
        if (!v) return std::nullopt;
        return uint32_t(0u - *v);
      }
      case ArithKind::Binary: {
        auto l = constant(*a.lhs), r = constant(*a.rhs);
        if (!l || !r) return std::nullopt;
        switch (a.op) {
          case ArithOp::Add: return *l + *r;
          case ArithOp::Sub: return *l - *r;
          case ArithOp::Mul: return *l * *r;
          case ArithOp::Div: return *r ? std::optional<uint32_t>(*l / *r) : std::nullopt;
          case ArithOp::Mod: return *r ? std::optional<uint32_t>(*l % *r) : std::nullopt;
          case ArithOp::And: return *l & *r;
          case ArithOp::Or: return *l | *r;
          case ArithOp::Xor: return *l ^ *r;
          case ArithOp::Lsh: return *r < 32 ? *l << *r : 0u;
          case ArithOp::Rsh: return *r < 32 ? *l >> *r : 0u;
        }
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  void arith(Arith& a) {
    if (error) return;
    switch (a.kind) {
      case ArithKind::Number:
      case ArithKind::Length:
        return;
      case ArithKind::Negate:
        arith(*a.lhs);
        return;
      case ArithKind::Load:
        if (!isIndexable(a.proto)) {
          fail(a.protoSpan, quote(a.protoText) +
                                " cannot be indexed; use ether, ip, ip6, arp, rarp, tcp, udp, "
                                "sctp, icmp, icmp6, igmp, igrp, pim, vrrp, carp, atalk, "
                                "decnet, lat, sca, moprc, mopdl or radio");
          return;
        }
        if (a.size == 0) {
          fail(a.sizeSpan, "a packet access size is 1, 2 or 4 bytes, not " +
                               quote(text(a.sizeSpan)));
          return;
        }
        arith(*a.lhs);
        return;
      case ArithKind::Binary: {
        arith(*a.lhs);
        arith(*a.rhs);
        if (error) return;
        auto r = constant(*a.rhs);
        if (!r) return;
        if ((a.op == ArithOp::Div || a.op == ArithOp::Mod) && *r == 0) {
          fail(a.rhs->span, a.op == ArithOp::Div ? "division by zero" : "modulus by zero");
        } else if ((a.op == ArithOp::Lsh || a.op == ArithOp::Rsh) && *r > 31 &&
                   (a.rhs->kind == ArithKind::Number || !constant(*a.lhs))) {
          fail(a.rhs->span, "shift by " + std::to_string(*r) +
                                " bits; a shift amount is 0 to 31");
        }
        return;
      }
    }
  }
};

}  // namespace

Status resolve(ast::Tree& tree, const ResolveOptions& options) {
  if (!tree.root) return okStatus();
  std::unique_ptr<NameResolver> system;
  const NameResolver* names = options.resolver;
  if (!names) {
    system = makeSystemResolver();
    names = system.get();
  }
  Resolver r(tree.source, *names);
  r.node(*tree.root, Current{});
  if (r.error) return std::move(*r.error);
  return okStatus();
}

}  // namespace sift::compiler
