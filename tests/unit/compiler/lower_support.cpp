// Helpers for the lowering tests (see lower_support.h): the stand-in
// resolver, the IR interpreter and the crafted packets.
#include "lower_support.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "grammar/parse.h"

namespace sift::lowertest {

// ---- stand-in resolve ------------------------------------------------------

namespace {

std::optional<uint32_t> parseV4(const std::string& text, uint32_t* parts) {
  uint32_t addr = 0;
  uint32_t n = 0;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find('.', i);
    if (j == std::string::npos) j = text.size();
    uint32_t v = static_cast<uint32_t>(std::stoul(text.substr(i, j - i)));
    addr = addr << 8 | v;
    ++n;
    i = j + 1;
  }
  *parts = n;
  return addr << (8 * (4 - n));
}

std::optional<std::array<uint8_t, 6>> parseMac(const std::string& text) {
  std::array<uint8_t, 6> m{};
  unsigned v[6];
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return std::nullopt;
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

struct NameValue {
  const char* name;
  uint32_t value;
};
constexpr NameValue kIpProtos[] = {{"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmp6", 58}};
constexpr NameValue kEtherProtos[] = {{"ip", 0x800}, {"ip6", 0x86dd}, {"arp", 0x806}, {"rarp", 0x8035}};
constexpr NameValue kServices[] = {{"http", 80}, {"domain", 53}, {"ssh", 22}, {"https", 443}};

std::optional<uint32_t> lookup(std::span<const NameValue> table, const std::string& name) {
  for (const NameValue& nv : table)
    if (name == nv.name) return nv.value;
  return std::nullopt;
}

struct Resolver {
  std::optional<ast::Qualifiers> last;
  std::optional<Diagnostic> error;

  void fail(Span s, std::string m) {
    if (!error) error = Diagnostic::error(s, std::move(m));
  }

  void primitive(ast::Node& n) {
    ast::Qualifiers q = n.quals;
    if (n.bareId && last) q = *last;
    if (!n.bareId) last = n.quals;
    ast::Node::Resolved& r = n.resolved;
    const ast::Id& id = n.id;
    if (q.kind == ast::AddrKind::Default) {
      if (id.form == ast::IdForm::IPv4Prefix || id.form == ast::IdForm::IPv6Prefix ||
          id.form == ast::IdForm::IPv4Mask)
        q.kind = ast::AddrKind::Net;
      else
        q.kind = ast::AddrKind::Host;
    }
    r.quals = q;
    switch (q.kind) {
      case ast::AddrKind::Host:
      case ast::AddrKind::Net:
        switch (id.form) {
          case ast::IdForm::IPv4: {
            uint32_t parts = 0;
            uint32_t a = *parseV4(id.text, &parts);
            uint32_t mask = q.kind == ast::AddrKind::Host && parts == 4 ? 0xffffffffu
                                                                         : ~(0xffffffffu >> (8 * parts));
            if (q.kind == ast::AddrKind::Net) a >>= 0;
            if (q.kind == ast::AddrKind::Net && parts < 4) a = (a >> (8 * (4 - parts))) << (8 * (4 - parts));
            r.v4.push_back({a, mask});
            break;
          }
          case ast::IdForm::IPv4Prefix: {
            uint32_t parts = 0;
            uint32_t a = *parseV4(id.text, &parts);
            uint32_t mask = id.number == 0 ? 0 : ~(0xffffffffu >> id.number);
            r.v4.push_back({a, mask});
            break;
          }
          case ast::IdForm::IPv4Mask: {
            uint32_t parts = 0;
            r.v4.push_back({*parseV4(id.text, &parts), *parseV4(id.text2, &parts)});
            break;
          }
          case ast::IdForm::IPv6:
          case ast::IdForm::IPv6Prefix: {
            ast::Node::Resolved::NetV6 v6;
            if (inet_pton(AF_INET6, id.text.c_str(), v6.addr.data()) != 1) fail(id.span, "bad ipv6");
            v6.prefix = id.form == ast::IdForm::IPv6 ? 128 : id.number;
            r.v6.push_back(v6);
            break;
          }
          case ast::IdForm::Number: {
            uint32_t v = id.number, mask = 0xffffffff;
            if (v < 0x100) v <<= 24, mask = 0xff000000;
            else if (v < 0x10000) v <<= 16, mask = 0xffff0000;
            else if (v < 0x1000000) v <<= 8, mask = 0xffffff00;
            r.v4.push_back({v, mask});
            break;
          }
          case ast::IdForm::Mac:
            r.mac = parseMac(id.text);
            if (!r.mac) fail(id.span, "bad mac");
            break;
          case ast::IdForm::ArcnetAddr:
            r.mac8 = static_cast<uint8_t>(std::stoul(id.text.substr(1), nullptr, 16));
            break;
          default:
            fail(id.span, "stand-in resolve: unsupported host form '" + id.text + "'");
        }
        break;
      case ast::AddrKind::Port:
      case ast::AddrKind::PortRange:
        if (id.form == ast::IdForm::Number) {
          r.portLow = r.portHigh = id.number;
        } else if (auto dash = id.text.find('-'); dash != std::string::npos) {
          r.portLow = static_cast<uint32_t>(std::stoul(id.text.substr(0, dash)));
          r.portHigh = static_cast<uint32_t>(std::stoul(id.text.substr(dash + 1)));
        } else if (auto s = lookup(kServices, id.text)) {
          r.portLow = r.portHigh = *s;
        } else {
          fail(id.span, "stand-in resolve: unknown port '" + id.text + "'");
        }
        break;
      case ast::AddrKind::Proto:
        if (id.form == ast::IdForm::Number) {
          r.portLow = id.number;
        } else if (auto v = lookup(q.proto == ast::Proto::Link ? std::span<const NameValue>(kEtherProtos)
                                                                : std::span<const NameValue>(kIpProtos),
                                   id.text)) {
          r.portLow = *v;
        } else {
          fail(id.span, "stand-in resolve: unknown protocol '" + id.text + "'");
        }
        break;
      default:
        break;
    }
    n.isResolved = true;
  }

  void walk(ast::Node& n) {
    if (n.kind == ast::NodeKind::Primitive) {
      primitive(n);
      return;
    }
    for (ast::NodePtr& c : n.children) walk(*c);
  }
};

}  // namespace

Status standInResolve(ast::Tree& tree) {
  if (!tree.root) return okStatus();
  Resolver r;
  r.walk(*tree.root);
  if (r.error) return *r.error;
  return okStatus();
}

Expected<ir::Program> lowerText(std::string_view expr, uint32_t dlt, uint32_t netmask) {
  auto tree = grammar::parse(expr);
  if (!tree) return tree.takeError();
  if (Status s = standInResolve(*tree); !s) return s.takeError();
  compiler::LowerOptions o;
  o.linktype = dlt;
  o.netmask = netmask;
  return compiler::lower(*tree, o);
}

// ---- IR interpreter --------------------------------------------------------

uint32_t runIr(const ir::Program& p, std::span<const uint8_t> pkt, uint32_t wireLength) {
  uint32_t a = 0, x = 0;
  uint32_t mem[16] = {};
  const uint64_t len = pkt.size();
  auto load = [&](uint64_t off, uint32_t size, uint32_t* out) {
    if (off + size > len) return false;
    uint32_t v = 0;
    for (uint32_t i = 0; i < size; ++i) v = v << 8 | pkt[off + i];
    *out = v;
    return true;
  };
  ir::BlockId id = p.entry;
  for (;;) {
    const ir::Block& b = p.blocks.at(id);
    for (const bpf::Insn& in : b.stmts) {
      const uint16_t c = in.code;
      const uint32_t size = (c & 0x18) == 0x00 ? 4 : (c & 0x18) == 0x08 ? 2 : 1;
      switch (c & 0x07) {
        case 0x00:  // LD
          switch (c & 0xe0) {
            case 0x00: a = in.k; break;
            case 0x20: if (!load(in.k, size, &a)) return 0; break;
            case 0x40: if (!load(uint64_t{x} + in.k, size, &a)) return 0; break;
            case 0x60: a = mem[in.k]; break;
            case 0x80: a = wireLength; break;
            default: return 0;
          }
          break;
        case 0x01:  // LDX
          switch (c & 0xe0) {
            case 0x00: x = in.k; break;
            case 0x60: x = mem[in.k]; break;
            case 0x80: x = wireLength; break;
            case 0xa0: {
              uint32_t v;
              if (!load(in.k, 1, &v)) return 0;
              x = (v & 0xf) << 2;
              break;
            }
            default: return 0;
          }
          break;
        case 0x02: mem[in.k] = a; break;
        case 0x03: mem[in.k] = x; break;
        case 0x04: {
          const uint32_t v = (c & 0x08) ? x : in.k;
          switch (c & 0xf0) {
            case 0x00: a += v; break;
            case 0x10: a -= v; break;
            case 0x20: a *= v; break;
            case 0x30: if (v == 0) return 0; a /= v; break;
            case 0x40: a |= v; break;
            case 0x50: a &= v; break;
            case 0x60: a = v >= 32 ? 0 : a << v; break;
            case 0x70: a = v >= 32 ? 0 : a >> v; break;
            case 0x80: a = 0u - a; break;
            case 0x90: if (v == 0) return 0; a %= v; break;
            case 0xa0: a ^= v; break;
            default: return 0;
          }
          break;
        }
        case 0x07:
          if (c & 0x80) a = x; else x = a;
          break;
        default: return 0;
      }
    }
    if (b.termKind == ir::TermKind::Return) return (b.term.code & 0x18) == 0x10 ? a : b.term.k;
    const uint32_t v = (b.term.code & 0x08) ? x : b.term.k;
    bool taken = false;
    switch (b.term.code & 0xf0) {
      case 0x10: taken = a == v; break;
      case 0x20: taken = a > v; break;
      case 0x30: taken = a >= v; break;
      case 0x40: taken = (a & v) != 0; break;
      case 0x00: taken = true; break;  // ja: jt == jf
      default: return 0;
    }
    id = taken ? b.jt : b.jf;
  }
}

// ---- crafted packets -------------------------------------------------------

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint32_t v) { b.push_back(uint8_t(v >> 8)); b.push_back(uint8_t(v)); }
void put32(Bytes& b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }
void putBytes(Bytes& b, std::initializer_list<uint8_t> v) { b.insert(b.end(), v.begin(), v.end()); }

enum class L3 { Ipv4, Ipv6, Arp, Rarp, Other };

struct Net {
  std::string name;
  L3 l3;
  Bytes bytes;
  uint32_t etherType = 0;  // for Other
};

Bytes transport(uint8_t proto, uint16_t sport, uint16_t dport) {
  Bytes t;
  if (proto == 6) {
    put16(t, sport); put16(t, dport); put32(t, 1000); put32(t, 0);
    putBytes(t, {0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0});
  } else if (proto == 17 || proto == 132) {
    put16(t, sport); put16(t, dport); put32(t, 0x0008abcd);
    if (proto == 132) put32(t, 0x01020304);
  } else {
    // ICMP / ICMPv6 / IGMP / other: type, code, checksum, rest.
    putBytes(t, {uint8_t(sport), uint8_t(dport), 0, 0, 0, 1, 0, 1});
  }
  return t;
}

Bytes ipv4(uint8_t proto, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint16_t frag = 0,
           uint8_t ihl = 5) {
  Bytes t = transport(proto, sport, dport);
  Bytes b;
  b.push_back(uint8_t(0x40 | ihl));
  b.push_back(0);
  put16(b, 4 * ihl + t.size());
  put16(b, 0x1234);
  put16(b, frag);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  put32(b, src);
  put32(b, dst);
  for (int i = 5; i < ihl; ++i) put32(b, 0x01010101);
  b.insert(b.end(), t.begin(), t.end());
  return b;
}

Bytes ipv6(uint8_t nh, const char* src, const char* dst, Bytes payload) {
  Bytes b;
  put32(b, 0x60000000);
  put16(b, payload.size());
  b.push_back(nh);
  b.push_back(64);
  uint8_t a[16];
  inet_pton(AF_INET6, src, a);
  b.insert(b.end(), a, a + 16);
  inet_pton(AF_INET6, dst, a);
  b.insert(b.end(), a, a + 16);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes extHeader(uint8_t next, Bytes rest) {
  Bytes b{next, 0, 0, 0, 0, 0, 0, 0};
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

Bytes arp(uint16_t op, uint32_t spa, uint32_t tpa) {
  Bytes b;
  put16(b, 1); put16(b, 0x800); b.push_back(6); b.push_back(4); put16(b, op);
  putBytes(b, {0, 0x11, 0x22, 0x33, 0x44, 0x55}); put32(b, spa);
  putBytes(b, {0, 0, 0, 0, 0, 0}); put32(b, tpa);
  return b;
}

constexpr uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

std::vector<Net> networkPackets() {
  const uint32_t h1 = ip(10, 0, 0, 1), h2 = ip(10, 0, 0, 2), far = ip(192, 168, 1, 1);
  std::vector<Net> v;
  v.push_back({"ip tcp 1234>80", L3::Ipv4, ipv4(6, h1, h2, 1234, 80)});
  v.push_back({"ip tcp 80>1234", L3::Ipv4, ipv4(6, h2, h1, 80, 1234)});
  v.push_back({"ip tcp 22>443 far", L3::Ipv4, ipv4(6, far, h1, 22, 443)});
  v.push_back({"ip tcp ihl6 1234>80", L3::Ipv4, ipv4(6, h1, h2, 1234, 80, 0, 6)});
  v.push_back({"ip tcp fragment", L3::Ipv4, ipv4(6, h1, h2, 1234, 80, 0x0010)});
  v.push_back({"ip tcp first fragment (MF)", L3::Ipv4, ipv4(6, h1, h2, 1234, 80, 0x2000)});
  v.push_back({"ip udp 53>5353", L3::Ipv4, ipv4(17, h1, far, 53, 5353)});
  v.push_back({"ip udp 15>25", L3::Ipv4, ipv4(17, h1, h2, 15, 25)});
  v.push_back({"ip sctp 80>9", L3::Ipv4, ipv4(132, h2, h1, 80, 9)});
  v.push_back({"ip icmp echo", L3::Ipv4, ipv4(1, h1, h2, 8, 0)});
  v.push_back({"ip icmp reply", L3::Ipv4, ipv4(1, h2, h1, 0, 0)});
  v.push_back({"ip igmp to 224.0.0.1", L3::Ipv4, ipv4(2, h1, ip(224, 0, 0, 1), 0x11, 0)});
  v.push_back({"ip udp to 239.1.2.3", L3::Ipv4, ipv4(17, h1, ip(239, 1, 2, 3), 5000, 5001)});
  v.push_back({"ip udp to 255.255.255.255", L3::Ipv4, ipv4(17, h1, 0xffffffff, 68, 67)});
  v.push_back({"ip udp to 10.0.0.255", L3::Ipv4, ipv4(17, h1, ip(10, 0, 0, 255), 137, 137)});
  v.push_back({"ip udp to 0.0.0.0", L3::Ipv4, ipv4(17, h1, 0, 1, 2)});
  v.push_back({"ip pim", L3::Ipv4, ipv4(103, h1, h2, 0, 0)});
  v.push_back({"ip vrrp", L3::Ipv4, ipv4(112, h1, ip(224, 0, 0, 18), 0, 0)});
  v.push_back({"ip esp", L3::Ipv4, ipv4(50, h1, h2, 0, 0)});
  v.push_back({"ip ah", L3::Ipv4, ipv4(51, h1, h2, 0, 0)});
  v.push_back({"ip igrp", L3::Ipv4, ipv4(9, h1, h2, 0, 0)});
  v.push_back({"ip6 tcp 1234>80", L3::Ipv6, ipv6(6, "2001:db8::1", "2001:db8::2", transport(6, 1234, 80))});
  v.push_back({"ip6 tcp 80>1234", L3::Ipv6, ipv6(6, "2001:db8::2", "::1", transport(6, 80, 1234))});
  v.push_back({"ip6 udp 53", L3::Ipv6, ipv6(17, "fe80::1", "2001:db8::2", transport(17, 53, 33000))});
  v.push_back({"ip6 udp to ff02::1", L3::Ipv6, ipv6(17, "fe80::1", "ff02::1", transport(17, 15, 25))});
  v.push_back({"ip6 sctp", L3::Ipv6, ipv6(132, "::1", "::1", transport(132, 9, 80))});
  v.push_back({"ip6 icmp6 echo", L3::Ipv6, ipv6(58, "2001:db8::1", "ff02::1", transport(58, 128, 0))});
  v.push_back({"ip6 frag tcp", L3::Ipv6, ipv6(44, "2001:db8::1", "2001:db8::2", extHeader(6, transport(6, 1234, 80)))});
  v.push_back({"ip6 frag icmp6", L3::Ipv6, ipv6(44, "2001:db8::1", "2001:db8::2", extHeader(58, transport(58, 1, 0)))});
  v.push_back({"ip6 hbh udp", L3::Ipv6, ipv6(0, "2001:db8::1", "2001:db8::2", extHeader(17, transport(17, 53, 53)))});
  v.push_back({"ip6 pim", L3::Ipv6, ipv6(103, "2001:db8::1", "ff02::d", transport(103, 0, 0))});
  v.push_back({"arp request", L3::Arp, arp(1, h1, h2)});
  v.push_back({"arp reply far", L3::Arp, arp(2, far, h1)});
  v.push_back({"rarp", L3::Rarp, arp(3, h2, far)});
  v.push_back({"ipx", L3::Other, Bytes(30, 0xff), 0x8137});
  v.push_back({"ethertype 0x1234", L3::Other, Bytes(30, 0x11), 0x1234});
  v.push_back({"decnet", L3::Other, Bytes(30, 0x22), 0x6003});
  return v;
}

Bytes ethernet(const Bytes& dst, uint32_t type, const Bytes& payload) {
  Bytes b = dst;
  putBytes(b, {0x00, 0xaa, 0xbb, 0xcc, 0xdd, 0xee});
  put16(b, type);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

uint32_t etherTypeOf(const Net& n) {
  switch (n.l3) {
    case L3::Ipv4: return 0x800;
    case L3::Ipv6: return 0x86dd;
    case L3::Arp: return 0x806;
    case L3::Rarp: return 0x8035;
    case L3::Other: return n.etherType;
  }
  return 0;
}

uint32_t le32(uint32_t v) { return (v >> 24) | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | (v << 24); }

}  // namespace

std::vector<Packet> craftedPackets(uint32_t dlt) {
  std::vector<Packet> out;
  const Bytes unicast{0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
  const Bytes bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const Bytes mcast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
  for (const Net& n : networkPackets()) {
    const uint32_t et = etherTypeOf(n);
    switch (dlt) {
      case 1:
        out.push_back({n.name, ethernet(unicast, et, n.bytes)});
        if (n.l3 == L3::Ipv4 || n.l3 == L3::Arp) out.push_back({n.name + " bcast", ethernet(bcast, et, n.bytes)});
        if (n.l3 == L3::Ipv4 || n.l3 == L3::Ipv6) out.push_back({n.name + " mcast", ethernet(mcast, et, n.bytes)});
        break;
      case 0:
      case 108: {
        if (n.l3 == L3::Arp || n.l3 == L3::Rarp) break;
        std::vector<uint32_t> afs;
        if (n.l3 == L3::Ipv4) afs = {2};
        else if (n.l3 == L3::Ipv6) afs = {10, 24, 28, 30};
        else afs = {7};
        for (uint32_t af : afs) {
          Bytes b;
          put32(b, dlt == 0 ? le32(af) : af);
          b.insert(b.end(), n.bytes.begin(), n.bytes.end());
          out.push_back({n.name + " af " + std::to_string(af), b});
        }
        break;
      }
      case 12:
      case 101:
      case 228:
      case 229:
        out.push_back({n.name, n.bytes});
        break;
      case 9: {
        uint32_t proto = et == 0x800 ? 0x21 : et == 0x86dd ? 0x57 : et == 0x6003 ? 0x27 : et;
        Bytes b{0xff, 0x03};
        put16(b, proto);
        b.insert(b.end(), n.bytes.begin(), n.bytes.end());
        out.push_back({n.name, b});
        break;
      }
      case 113: {
        Bytes b;
        put16(b, 0); put16(b, 1); put16(b, 6);
        putBytes(b, {0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0, 0});
        put16(b, et);
        b.insert(b.end(), n.bytes.begin(), n.bytes.end());
        out.push_back({n.name, b});
        break;
      }
      case 276: {
        Bytes b;
        put16(b, et); put16(b, 0); put32(b, 3); put16(b, 1); b.push_back(0); b.push_back(6);
        putBytes(b, {0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0, 0});
        b.insert(b.end(), n.bytes.begin(), n.bytes.end());
        out.push_back({n.name, b});
        break;
      }
      default:
        break;
    }
  }
  // Link-level oddities: 802.3 frames with LLC headers, and pseudo protocols.
  const std::vector<std::pair<std::string, Bytes>> llcs = {
      {"llc stp", {0x42, 0x42, 0x03, 0, 0, 0, 0, 0}},
      {"llc iso", {0xfe, 0xfe, 0x03, 0x81, 0, 0, 0, 0}},
      {"llc netbeui", {0xf0, 0xf0, 0x03, 0, 0, 0, 0, 0}},
      {"llc ipx", {0xe0, 0xe0, 0x03, 0, 0, 0, 0, 0}},
      {"llc snap ipx", {0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x37, 0, 0}},
      {"raw 802.3 ipx", {0xff, 0xff, 0, 0, 0, 0, 0, 0}},
      {"llc dsap 100", {100, 100, 0x03, 0, 0, 0, 0, 0}},
  };
  for (const auto& [name, llc] : llcs) {
    if (dlt == 1) {
      out.push_back({name, ethernet(unicast, static_cast<uint32_t>(llc.size()), llc)});
    } else if (dlt == 113) {
      for (uint32_t proto : {1u, 4u}) {
        Bytes b;
        put16(b, 0); put16(b, 1); put16(b, 6);
        putBytes(b, {0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0, 0});
        put16(b, proto);
        b.insert(b.end(), llc.begin(), llc.end());
        out.push_back({name + " proto " + std::to_string(proto), b});
      }
    } else if (dlt == 276) {
      Bytes b;
      put16(b, llc[0]); put16(b, 0); put32(b, 3); put16(b, 1); b.push_back(0); b.push_back(6);
      putBytes(b, {0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0, 0});
      b.insert(b.end(), llc.begin(), llc.end());
      out.push_back({name, b});
    } else if (dlt == 9) {
      Bytes b{0xff, 0x03};
      put16(b, llc[0] == 0xe0 ? 0x2b : llc[0] == 0xfe ? 0x23 : llc[0] == 0x42 ? 0x31 : llc[0]);
      b.insert(b.end(), llc.begin(), llc.end());
      out.push_back({name, b});
    }
  }
  return out;
}

}  // namespace sift::lowertest
