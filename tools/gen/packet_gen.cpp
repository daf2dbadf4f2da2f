// The packet generator (see packet_gen.h): builds network-layer packets
// from small address, port and protocol pools, frames them for a link
// type, and now and then truncates a capture or emits random bytes.
#include "packet_gen.h"

#include <array>
#include <string>

#include "byte_writer.h"
#include "frame_80211.h"
#include "link_frames.h"
#include "osi_frames.h"
#include "rng.h"

namespace sift::gen {
namespace detail {

void putRandom(Bytes& b, Rng& rng, size_t n) {
  for (size_t i = 0; i < n; ++i) put8(b, rng.byte());
}

// The pools the expression corpus draws its addresses and ports from.
const std::vector<uint32_t>& v4Pool() {
  static const std::vector<uint32_t> pool = {
      ipv4(10, 0, 0, 1),        ipv4(10, 0, 0, 2),        ipv4(10, 0, 0, 80),   ipv4(10, 1, 2, 3),
      ipv4(10, 10, 10, 10),     ipv4(10, 255, 255, 255),  ipv4(192, 168, 1, 1), ipv4(192, 168, 1, 10),
      ipv4(192, 168, 1, 100),   ipv4(192, 168, 1, 255),   ipv4(192, 168, 2, 1), ipv4(172, 16, 0, 1),
      ipv4(172, 16, 1, 2),      ipv4(172, 16, 255, 254),  ipv4(172, 31, 0, 5),  ipv4(8, 8, 8, 8),
      ipv4(1, 2, 3, 4),         ipv4(127, 0, 0, 1),       ipv4(224, 0, 0, 1),   ipv4(224, 0, 0, 251),
      ipv4(239, 255, 255, 250), ipv4(255, 255, 255, 255), ipv4(0, 0, 0, 0),     ipv4(100, 64, 0, 1),
      ipv4(198, 51, 100, 7),    ipv4(203, 0, 113, 9),     ipv4(224, 0, 0, 18),  ipv4(127, 0, 0, 0),
      ipv4(169, 254, 0, 0),     ipv4(10, 0, 0, 0),
  };
  return pool;
}

const std::vector<Ip6>& v6Pool() {
  static const std::vector<Ip6> pool = {
      ipv6({0x2001, 0xdb8}, {1}),
      ipv6({0x2001, 0xdb8}, {2}),
      ipv6({0x2001, 0xdb8, 0, 1}, {1}),
      ipv6({0x2001, 0xdb8, 1}, {0x10}),
      ipv6({0x2001, 0xdb8, 0xffff}, {1}),
      ipv6({0x2001, 0xdb9}, {1}),
      ipv6({0xfe80}, {1}),
      ipv6({0xfe80}, {2}),
      ipv6({0xfe80}, {0x200, 0x5eff, 0xfe00, 0x101}),
      ipv6({}, {1}),
      ipv6({}, {}),
      ipv6({0xff02}, {1}),
      ipv6({0xff02}, {2}),
      ipv6({0xff02}, {1, 0xff00, 1}),
      ipv6({0xff05}, {2}),
      ipv6({0xff0e}, {0x101}),
      ipv6({0x2001, 0x4860, 0x4860}, {0x8888}),
      ipv6({}, {0xffff, 0x0a00, 0x0001}),
      ipv6({0xfd00}, {1}),
  };
  return pool;
}

const std::vector<Mac>& macPool() {
  static const std::vector<Mac> pool = {
      Mac{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, Mac{0x00, 0x11, 0x22, 0x33, 0x44, 0x66},
      Mac{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, Mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
      Mac{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}, Mac{0x08, 0x00, 0x27, 0x12, 0x34, 0x56},
      Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, Mac{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
      Mac{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}, Mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
      Mac{0x33, 0x33, 0xff, 0x00, 0x00, 0x01}, Mac{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00},
      Mac{0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
  };
  return pool;
}

const std::vector<uint16_t>& portPool() {
  static const std::vector<uint16_t> pool = {
      0,    7,    20,   21,   22,   23,   25,   53,   67,   68,   80,   88,   110,   123,
      137,  143,  161,  179,  443,  500,  514,  546,  547,  993,  999,  1000, 1023,  1024,
      1500, 1999, 2000, 2001, 3306, 4500, 5060, 5353, 6000, 8000, 8080, 8443, 65534, 65535,
  };
  return pool;
}

uint32_t pickV4(Rng& rng) { return rng.chance(12) ? rng.u32() : rng.pick(v4Pool()); }
Ip6 pickV6(Rng& rng) {
  if (!rng.chance(12)) return rng.pick(v6Pool());
  Ip6 a;
  for (auto& x : a) x = rng.byte();
  if (rng.chance(50)) a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
  return a;
}
Mac pickMac(Rng& rng) {
  if (!rng.chance(10)) return rng.pick(macPool());
  Mac m;
  for (auto& x : m) x = rng.byte();
  return m;
}
uint16_t pickPort(Rng& rng) { return rng.chance(22) ? rng.u16() : rng.pick(portPool()); }

// A payload length: mostly small, some mid-sized, a few near the MTU.
size_t payloadLength(Rng& rng) {
  uint32_t r = rng.below(100);
  if (r < 8) return 0;
  if (r < 65) return rng.range(1, 40);
  if (r < 90) return rng.range(41, 400);
  return rng.range(401, 1460);
}

void putPayload(Bytes& b, Rng& rng) { putRandom(b, rng, payloadLength(rng)); }

// ---- transport layers ------------------------------------------------------

Bytes makeTcp(Rng& rng) {
  static const std::vector<uint8_t> flags = {0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14,
                                             0x30, 0x00, 0xff, 0xc2, 0x01, 0x29, 0x08};
  Bytes b;
  uint16_t dstPort = pickPort(rng);
  put16(b, pickPort(rng));
  put16(b, dstPort);
  put32(b, rng.chance(10) ? 0 : rng.u32());
  put32(b, rng.chance(20) ? 0 : rng.u32());
  uint32_t offset = rng.chance(20) ? rng.range(6, 15) : 5;
  put8(b, (offset << 4) | (rng.chance(5) ? rng.below(16) : 0));
  put8(b, rng.chance(15) ? rng.byte() : rng.pick(flags));
  put16(b, rng.chance(10) ? 0 : rng.u16());
  put16(b, rng.u16());
  put16(b, rng.chance(80) ? 0 : rng.u16());
  for (uint32_t i = 5; i < offset; ++i) put32(b, rng.chance(50) ? 0x01010101 : rng.u32());
  if ((dstPort == 80 || dstPort == 8080) && rng.chance(40)) {
    std::string_view request = "GET / HTTP/1.1\r\n\r\n";
    b.insert(b.end(), request.begin(), request.end());
  }
  putPayload(b, rng);
  return b;
}

Bytes makeUdp(Rng& rng) {
  Bytes body;
  putPayload(body, rng);
  Bytes b;
  put16(b, pickPort(rng));
  put16(b, pickPort(rng));
  put16(b, rng.chance(90) ? body.size() + 8 : rng.u16());
  put16(b, rng.u16());
  append(b, body);
  return b;
}

Bytes makeSctp(Rng& rng) {
  Bytes b;
  put16(b, pickPort(rng));
  put16(b, pickPort(rng));
  put32(b, rng.u32());     // verification tag
  put32(b, rng.u32());     // checksum
  put8(b, rng.below(16));  // chunk type
  put8(b, 0);
  put16(b, 4 + rng.below(40));
  putPayload(b, rng);
  return b;
}

Bytes makeIcmp(Rng& rng) {
  static const std::vector<uint8_t> types = {0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 8, 0};
  Bytes b;
  put8(b, rng.chance(8) ? rng.byte() : rng.pick(types));
  put8(b, rng.chance(70) ? 0 : rng.below(16));
  put16(b, rng.u16());
  put32(b, rng.u32());
  putPayload(b, rng);
  return b;
}

Bytes makeIcmp6(Rng& rng) {
  static const std::vector<uint8_t> types = {1,   2,   3,   4,   128, 129, 130, 131, 132,
                                             133, 134, 135, 136, 137, 143, 128, 129, 135};
  Bytes b;
  put8(b, rng.chance(8) ? rng.byte() : rng.pick(types));
  put8(b, rng.chance(70) ? 0 : rng.below(8));
  put16(b, rng.u16());
  put32(b, rng.u32());
  putPayload(b, rng);
  return b;
}

Bytes makeIgmp(Rng& rng) {
  static const std::vector<uint8_t> types = {0x11, 0x12, 0x16, 0x17, 0x22};
  Bytes b;
  put8(b, rng.pick(types));
  put8(b, rng.below(100));
  put16(b, rng.u16());
  put32(b, pickV4(rng));
  if (rng.chance(30)) putPayload(b, rng);
  return b;
}

Bytes makeShortHeader(Rng& rng, size_t n) {
  Bytes b;
  putRandom(b, rng, n);
  putPayload(b, rng);
  return b;
}

Bytes makeTransport(Rng& rng, uint8_t proto, bool v6, int depth = 0);

// The AH header after its next-header byte: the length byte L (the header
// is (L + 2) * 4 bytes), reserved, SPI, sequence and an ICV filling the rest.
void putAhBody(Bytes& b, Rng& rng) {
  const uint8_t length = rng.chance(60) ? 4 : static_cast<uint8_t>(rng.range(1, 7));
  put8(b, length);
  put16(b, 0);
  put32(b, rng.u32());                     // SPI
  put32(b, rng.u32());                     // sequence
  putRandom(b, rng, (length + 2) * 4 - 12);  // ICV
}

Bytes makeAh(Rng& rng, bool v6, int depth) {
  static const std::vector<uint8_t> inner = {6, 17, 1, 58, 132};
  static const std::vector<uint8_t> inner6 = {6, 17, 58, 60, 59};
  uint8_t next = v6 && rng.chance(30) ? rng.pick(inner6) : rng.pick(inner);
  Bytes b;
  put8(b, next);
  putAhBody(b, rng);
  if (next == 60) {  // destination options after AH, then TCP or UDP
    uint8_t last = rng.chance(50) ? 6 : 17;
    put8(b, last), put8(b, 0), put8(b, 1), put8(b, 4), put32(b, 0);
    next = last;
  }
  if (next != 59) append(b, makeTransport(rng, next, v6, depth + 1));
  return b;
}

Bytes makeEsp(Rng& rng) {
  Bytes b;
  put32(b, rng.u32());
  put32(b, rng.u32());
  putPayload(b, rng);
  return b;
}

Bytes makeVrrp(Rng& rng) {
  Bytes b;
  put8(b, rng.chance(70) ? 0x21 : 0x31);
  put8(b, rng.range(1, 255));
  put8(b, rng.chance(50) ? 100 : rng.byte());
  put8(b, 1);
  put8(b, 0);
  put8(b, 1);
  put16(b, rng.u16());
  put32(b, pickV4(rng));
  return b;
}

Bytes makeIpv4Packet(Rng& rng, std::optional<uint8_t> proto, int depth);
Bytes makeIpv6Packet(Rng& rng, std::optional<uint8_t> proto, int depth);

uint16_t pickVlanId(Rng& rng);
Bytes makeArp(Rng& rng, bool reverse);

// UDP to port 6081 carrying Geneve: version 0 (now and then another),
// 0 to 3 words of options, a VNI from a small pool, and an inner Ethernet
// frame (protocol 0x6558) or a bare IPv4 / IPv6 packet.
Bytes makeGeneve(Rng& rng, bool v6, int depth) {
  static const std::vector<uint32_t> vnis = {5, 100, 0, 0xffffff, 4096};
  Bytes inner;
  uint16_t proto;
  uint32_t r = rng.below(100);
  if (r < 55) {
    proto = 0x6558;
    append(inner, rng.chance(10) ? Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} : pickMac(rng));
    append(inner, pickMac(rng));
    bool tagged = rng.chance(15);
    if (tagged) put16(inner, 0x8100), put16(inner, pickVlanId(rng));
    bool inner6 = rng.chance(35);
    put16(inner, rng.chance(8) ? 0x0806 : inner6 ? 0x86dd : 0x0800);
    append(inner, inner6 ? makeIpv6Packet(rng, std::nullopt, depth + 1) : makeIpv4Packet(rng, std::nullopt, depth + 1));
  } else if (r < 75) {
    proto = 0x0800, inner = makeIpv4Packet(rng, std::nullopt, depth + 1);
  } else if (r < 90) {
    proto = 0x86dd, inner = makeIpv6Packet(rng, std::nullopt, depth + 1);
  } else {
    proto = rng.u16(), inner = makeShortHeader(rng, rng.below(30));
  }
  (void)v6;
  Bytes g;
  uint32_t optWords = rng.chance(50) ? 0 : rng.range(1, 3);
  put8(g, static_cast<uint8_t>((rng.chance(92) ? 0 : rng.range(1, 3)) << 6 | optWords));
  put8(g, rng.chance(80) ? 0 : 0x80);
  put16(g, proto);
  put32(g, (rng.chance(80) ? rng.pick(vnis) : rng.below(1u << 24)) << 8);
  for (uint32_t i = 0; i < optWords; ++i) put32(g, rng.u32());
  append(g, inner);
  Bytes b;
  put16(b, pickPort(rng));
  put16(b, 6081);
  put16(b, static_cast<uint16_t>(g.size() + 8));
  put16(b, rng.u16());
  append(b, g);
  return b;
}

// UDP carrying VXLAN (RFC 7348): mostly to port 4789 (now and then from
// it to another port), flags 0x08 (now and then others: none, the G bit,
// junk), reserved bytes mostly 0, a VNI from a small pool, and an inner
// Ethernet frame, now and then 802.1Q-tagged, carrying IPv4, IPv6, ARP or
// something else.
Bytes makeVxlan(Rng& rng, int depth) {
  static const std::vector<uint32_t> vnis = {100, 5, 0, 0xffffff, 4096};
  static const std::vector<uint8_t> otherFlags = {0x00, 0x0c, 0x88, 0x09, 0xff};
  Bytes inner;
  append(inner, rng.chance(10) ? Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} : pickMac(rng));
  append(inner, pickMac(rng));
  if (rng.chance(15)) put16(inner, rng.chance(80) ? 0x8100 : 0x88a8), put16(inner, pickVlanId(rng));
  uint32_t r = rng.below(100);
  if (r < 50) {
    put16(inner, 0x0800), append(inner, makeIpv4Packet(rng, std::nullopt, depth + 1));
  } else if (r < 80) {
    put16(inner, 0x86dd), append(inner, makeIpv6Packet(rng, std::nullopt, depth + 1));
  } else if (r < 92) {
    put16(inner, 0x0806), append(inner, makeArp(rng, false));
  } else {
    put16(inner, rng.u16()), append(inner, makeShortHeader(rng, rng.below(30)));
  }
  Bytes v;
  put8(v, rng.chance(90) ? 0x08 : rng.pick(otherFlags));
  put8(v, 0);
  put16(v, rng.chance(90) ? 0 : rng.u16());
  const uint32_t vni = rng.chance(80) ? rng.pick(vnis) : rng.below(1u << 24);
  put32(v, vni << 8 | (rng.chance(90) ? 0 : rng.byte()));
  append(v, inner);
  Bytes b;
  const bool toVxlan = rng.chance(88);
  put16(b, toVxlan ? pickPort(rng) : 4789);
  put16(b, toVxlan ? 4789 : pickPort(rng));
  put16(b, static_cast<uint16_t>(v.size() + 8));
  put16(b, rng.u16());
  append(b, v);
  return b;
}

Bytes makeTransport(Rng& rng, uint8_t proto, bool v6, int depth) {
  switch (proto) {
    case 6:
      return makeTcp(rng);
    case 17:
      if (depth < 1 && rng.chance(12)) return makeGeneve(rng, v6, depth);
      return depth < 1 && rng.chance(10) ? makeVxlan(rng, depth) : makeUdp(rng);
    case 132:
      return makeSctp(rng);
    case 1:
      return makeIcmp(rng);
    case 58:
      return makeIcmp6(rng);
    case 2:
      return makeIgmp(rng);
    case 103:
      return makeShortHeader(rng, 4);  // PIM: version/type, reserved, checksum
    case 51:
      return depth < 2 ? makeAh(rng, v6, depth) : makeEsp(rng);
    case 50:
      return makeEsp(rng);
    case 112:
      return makeVrrp(rng);  // VRRP and CARP share the number
    case 9: {                // IGRP: version 1, type 1 or 2
      Bytes b = makeShortHeader(rng, 12);
      b[0] = rng.chance(60) ? 0x11 : 0x12;
      return b;
    }
    case 47:
      return makeShortHeader(rng, 4);  // GRE
    case 89:
      return makeShortHeader(rng, 24);  // OSPF
    case 4:
      return depth < 1 ? makeIpv4Packet(rng, std::nullopt, depth + 1) : makeEsp(rng);
    case 41:
      return depth < 1 ? makeIpv6Packet(rng, std::nullopt, depth + 1) : makeEsp(rng);
    default:
      return makeShortHeader(rng, rng.below(20));
  }
}

uint8_t pickIpv4Protocol(Rng& rng) {
  static const std::vector<std::pair<uint8_t, uint32_t>> weights = {
      {6, 30},  {17, 24}, {1, 10}, {132, 5}, {2, 4}, {103, 3}, {51, 6}, {50, 3},
      {112, 4}, {9, 2},   {47, 2}, {89, 1},  {4, 1}, {41, 1},  {58, 1},
  };
  if (rng.chance(4)) return rng.byte();
  uint32_t total = 0;
  for (auto& w : weights) total += w.second;
  uint32_t r = rng.below(total);
  for (auto& w : weights) {
    if (r < w.second) return w.first;
    r -= w.second;
  }
  return 6;
}

uint8_t pickIpv6Protocol(Rng& rng) {
  static const std::vector<std::pair<uint8_t, uint32_t>> weights = {
      {6, 30},  {17, 24}, {58, 18}, {132, 5}, {51, 3}, {50, 3}, {103, 2},
      {112, 2}, {2, 1},   {1, 1},   {59, 2},  {4, 1},  {41, 1},
  };
  if (rng.chance(4)) return rng.byte();
  uint32_t total = 0;
  for (auto& w : weights) total += w.second;
  uint32_t r = rng.below(total);
  for (auto& w : weights) {
    if (r < w.second) return w.first;
    r -= w.second;
  }
  return 6;
}

// ---- network layers --------------------------------------------------------

void putIpv4Options(Bytes& b, Rng& rng, size_t bytes) {
  Bytes opts;
  while (opts.size() < bytes) {
    size_t left = bytes - opts.size();
    uint32_t r = rng.below(5);
    if (r == 0 && left >= 4) {  // router alert
      put8(opts, 148), put8(opts, 4), put16(opts, 0);
    } else if (r == 1 && left >= 7) {  // record route with one slot
      put8(opts, 7), put8(opts, 7), put8(opts, 4), put32(opts, pickV4(rng));
    } else if (r == 2) {
      put8(opts, 1);  // no-op
    } else if (r == 3 && left >= 3) {
      size_t n = rng.range(3, static_cast<uint32_t>(left < 12 ? left : 12));
      put8(opts, rng.byte()), put8(opts, n), putRandom(opts, rng, n - 2);
    } else {
      put8(opts, 0);  // end of list
    }
  }
  append(b, opts);
}

Bytes makeIpv4PacketOnce(Rng& rng, std::optional<uint8_t> forcedProto, int depth) {
  uint8_t proto = forcedProto ? *forcedProto : pickIpv4Protocol(rng);
  uint32_t ihl = rng.chance(15) ? rng.range(6, 15) : 5;
  uint32_t fragment = 0;  // flags and offset word
  bool laterFragment = false;
  uint32_t r = rng.below(100);
  if (r < 45) {
    fragment = 0x4000;  // don't fragment
  } else if (r < 72) {
    fragment = 0;
  } else if (r < 82) {
    fragment = 0x2000;  // first fragment: more fragments, offset 0
  } else if (r < 96) {
    fragment = (rng.chance(50) ? 0x2000 : 0) | rng.range(1, 0x1fff);
    laterFragment = true;
  } else {
    fragment = 0x8000 | (rng.chance(50) ? rng.range(1, 0x1fff) : 0);  // reserved bit
    laterFragment = (fragment & 0x1fff) != 0;
  }
  Bytes payload =
      laterFragment ? makeShortHeader(rng, rng.below(16)) : makeTransport(rng, proto, false, depth);
  Bytes b;
  put8(b, 0x40 | ihl);
  put8(b, rng.chance(70) ? 0 : rng.byte());
  size_t total = ihl * 4 + payload.size();
  put16(b, rng.chance(92) ? total : rng.u16());
  put16(b, rng.u16());
  put16(b, fragment);
  static const std::vector<uint8_t> ttls = {1, 2, 63, 64, 128, 255};
  put8(b, rng.pick(ttls));
  put8(b, proto);
  put16(b, rng.u16());
  put32(b, pickV4(rng));
  put32(b, pickV4(rng));
  putIpv4Options(b, rng, (ihl - 5) * 4);
  append(b, payload);
  return b;
}

// IPv6 extension headers wrap the transport from the inside out. Options
// and routing headers are 8 bytes, or now and then 16 to 32 (their length
// byte counts 8-byte units after the first); AH (51) inside the chain has
// its own length rule.
Bytes wrapIpv6Extension(Rng& rng, uint8_t kind, uint8_t& next, Bytes inner) {
  Bytes b;
  put8(b, next);
  if (kind == 44) {  // fragment
    put8(b, 0);
    bool first = rng.chance(55);
    uint32_t offset = first ? 0 : rng.range(1, 0x1fff);
    put16(b, (offset << 3) | (rng.chance(60) ? 1 : 0));
    put32(b, rng.u32());
    if (!first) inner = makeShortHeader(rng, rng.below(16));
  } else if (kind == 51) {
    putAhBody(b, rng);
  } else {  // hop-by-hop, routing or destination options
    const uint8_t units = rng.chance(70) ? 0 : static_cast<uint8_t>(rng.range(1, 3));
    put8(b, units);
    if (kind == 43) {
      put8(b, rng.below(5)), put8(b, rng.below(3)), put32(b, 0);
      putRandom(b, rng, units * 8u);  // addresses
    } else {
      put8(b, 1), put8(b, static_cast<uint8_t>(4 + units * 8)), put32(b, 0);  // PadN over the rest
      b.resize(b.size() + units * 8u, 0);
    }
  }
  next = kind;
  append(b, inner);
  return b;
}

// libpcap's protochain walk (1.10.3) over a network-layer packet, as if
// the protocol asked for never came: true when the walk reaches a header
// it has read before, on which libpcap's interpreter would loop forever.
// The generator makes no such packets, so the oracle always returns.
bool protochainWalkLoops(const Bytes& net, bool v6) {
  constexpr uint8_t kAh = 51;
  if (net.size() < 10) return false;
  uint32_t a = v6 ? net[6] : net[9];
  size_t x = v6 ? 40 : (net[0] & 0xf) * 4u;
  std::vector<std::pair<size_t, bool>> seen;
  for (;;) {
    const bool extension = v6 && (a == 0 || a == 60 || a == 43 || a == 44);
    if (!extension && a != kAh) return false;
    for (const auto& s : seen)
      if (s.first == x && s.second == extension) return true;
    seen.push_back({x, extension});
    if (x + 1 >= net.size()) return false;  // the walk's loads fail: it rejects
    a = net[x];
    x = extension ? x + (net[x + 1] + 1u) * 8 : (net[x + 1] + 2u) * 4;
  }
}

Bytes makeIpv6PacketOnce(Rng& rng, std::optional<uint8_t> forcedProto, int depth) {
  uint8_t next = forcedProto ? *forcedProto : pickIpv6Protocol(rng);
  Bytes payload = next == 59 ? Bytes{} : makeTransport(rng, next, true, depth);
  uint32_t r = rng.below(100);
  if (r < 14) {
    payload = wrapIpv6Extension(rng, 44, next, payload);
  } else if (r < 20) {
    payload = wrapIpv6Extension(rng, 0, next, payload);
  } else if (r < 23) {
    payload = wrapIpv6Extension(rng, 60, next, payload);
  } else if (r < 26) {
    payload = wrapIpv6Extension(rng, 43, next, payload);
  } else if (r < 29) {
    payload = wrapIpv6Extension(rng, 44, next, payload);
    payload = wrapIpv6Extension(rng, 0, next, payload);
  } else if (r < 41) {
    // A chain of two to five headers, hop-by-hop first when present.
    static const std::vector<uint8_t> kinds = {60, 43, 44, 51, 60, 43};
    const uint32_t count = rng.range(2, 5);
    for (uint32_t i = 0; i < count; ++i) {
      const bool outermost = i + 1 == count;
      uint8_t kind = outermost && rng.chance(40) ? 0 : rng.pick(kinds);
      payload = wrapIpv6Extension(rng, kind, next, payload);
    }
  }
  Bytes b;
  put32(b, 0x60000000 | (rng.chance(70) ? 0 : rng.u32() & 0x0fffffff));
  put16(b, rng.chance(92) ? payload.size() : rng.u16());
  put8(b, next);
  static const std::vector<uint8_t> hops = {1, 64, 128, 255};
  put8(b, rng.pick(hops));
  append(b, pickV6(rng));
  append(b, pickV6(rng));
  append(b, payload);
  return b;
}

Bytes makeIpv4Packet(Rng& rng, std::optional<uint8_t> proto, int depth) {
  Bytes b = makeIpv4PacketOnce(rng, proto, depth);
  while (protochainWalkLoops(b, false)) b = makeIpv4PacketOnce(rng, proto, depth);
  return b;
}

Bytes makeIpv6Packet(Rng& rng, std::optional<uint8_t> proto, int depth) {
  Bytes b = makeIpv6PacketOnce(rng, proto, depth);
  while (protochainWalkLoops(b, true)) b = makeIpv6PacketOnce(rng, proto, depth);
  return b;
}

Bytes makeArp(Rng& rng, bool reverse) {
  Bytes b;
  put16(b, rng.chance(90) ? 1 : rng.range(2, 32));  // hardware type
  put16(b, rng.chance(92) ? 0x0800 : rng.u16());    // protocol type
  put8(b, 6);
  put8(b, 4);
  put16(b, reverse ? rng.range(3, 4) : rng.range(1, 2));
  append(b, pickMac(rng));
  put32(b, pickV4(rng));
  append(b, rng.chance(40) ? Mac{} : pickMac(rng));
  put32(b, pickV4(rng));
  if (rng.chance(40)) putRandom(b, rng, 18);  // Ethernet minimum-size padding
  return b;
}

NetworkPacket makeNetwork(Rng& rng, Network kind) {
  switch (kind) {
    case Network::Ipv4:
      return {kind, 0x0800, makeIpv4Packet(rng, std::nullopt, 0)};
    case Network::Ipv6:
      return {kind, 0x86dd, makeIpv6Packet(rng, std::nullopt, 0)};
    case Network::Arp:
      return {kind, 0x0806, makeArp(rng, false)};
    case Network::Rarp:
      return {kind, 0x8035, makeArp(rng, true)};
    case Network::Other:
      break;
  }
  static const std::vector<uint16_t> others = {0x88cc, 0x8847, 0x8863, 0x8864, 0x809b, 0x80f3,
                                               0x6003, 0x6004, 0x8137, 0x88e5, 0x0801, 0x86de,
                                               0x9000, 0x6001, 0x6002, 0x6007, 0x05dc, 0x0000};
  if (rng.chance(15)) return {kind, 0x6003, makeDecnet(rng)};
  uint16_t type = rng.chance(30) ? rng.u16() : rng.pick(others);
  return {kind, type, type == 0x6003 ? makeDecnet(rng) : makeShortHeader(rng, rng.below(40))};
}

// Picks a network layer: percentages for IPv4, IPv6, ARP, RARP; the rest is other.
Network pickNetwork(Rng& rng, uint32_t v4, uint32_t v6, uint32_t arp, uint32_t rarp) {
  uint32_t r = rng.below(100);
  if (r < v4) return Network::Ipv4;
  if ((r -= v4) < v6) return Network::Ipv6;
  if ((r -= v6) < arp) return Network::Arp;
  if ((r -= arp) < rarp) return Network::Rarp;
  return Network::Other;
}

// ---- link layers -----------------------------------------------------------

Bytes makeLlcFrame(Rng& rng) {
  Bytes b;
  uint32_t r = rng.below(7);
  if (r == 0) {  // SNAP carrying IPv4 or ARP
    put8(b, 0xaa), put8(b, 0xaa), put8(b, 0x03), put8(b, 0), put8(b, 0), put8(b, 0);
    NetworkPacket n = makeNetwork(rng, rng.chance(70) ? Network::Ipv4 : Network::Arp);
    put16(b, n.ethertype);
    append(b, n.bytes);
  } else if (r == 1) {  // SNAP with AppleTalk's OUI, or AARP and other types under OUI 0
    bool appleTalk = rng.chance(50);
    put8(b, 0xaa), put8(b, 0xaa), put8(b, 0x03);
    put8(b, appleTalk ? 0x08 : 0), put8(b, 0), put8(b, appleTalk ? 0x07 : 0);
    static const std::vector<uint16_t> types = {0x809b, 0x80f3, 0x86dd, 0x6003, 0x8137};
    put16(b, appleTalk ? 0x809b : rng.pick(types));
    putRandom(b, rng, rng.range(0, 40));
  } else if (r == 2 && rng.chance(50)) {  // Novell raw 802.3: an IPX header right away
    put16(b, 0xffff), put16(b, rng.range(30, 200));
    putRandom(b, rng, rng.range(2, 30));
  } else {
    b = makeLlcPdu(rng);
  }
  return b;
}

// ---- encapsulations: 802.1Q/QinQ tags, MPLS label stacks, PPPoE ---------

uint16_t pickVlanId(Rng& rng) {
  static const std::vector<uint16_t> ids = {100, 200, 1, 0, 5, 4095, 10};
  return rng.chance(75) ? rng.pick(ids) : static_cast<uint16_t>(rng.below(4096));
}

// An MPLS label stack (1 to 3 labels, the bottom-of-stack bit on the last
// one, now and then missing) carrying IPv4, IPv6 or junk.
Bytes makeMplsStack(Rng& rng) {
  static const std::vector<uint32_t> labels = {100, 200, 16, 0, 1048575, 3};
  Bytes b;
  uint32_t depth = rng.range(1, 3);
  for (uint32_t i = 0; i < depth; ++i) {
    uint32_t label = rng.chance(75) ? rng.pick(labels) : rng.below(1u << 20);
    bool bottom = i + 1 == depth ? rng.chance(92) : rng.chance(5);
    put32(b, label << 12 | rng.below(8) << 9 | (bottom ? 1u << 8 : 0) | rng.range(1, 255));
  }
  uint32_t r = rng.below(100);
  if (r < 50) {
    append(b, makeIpv4Packet(rng, std::nullopt, 0));
  } else if (r < 85) {
    append(b, makeIpv6Packet(rng, std::nullopt, 0));
  } else {
    append(b, makeShortHeader(rng, rng.below(30)));
  }
  return b;
}

// A PPPoE session frame (header, then the PPP protocol and its payload).
Bytes makePppoeSession(Rng& rng) {
  static const std::vector<uint16_t> sessions = {7, 1, 0x1234, 0xffff, 0};
  Bytes inner;
  uint32_t r = rng.below(100);
  uint16_t proto;
  if (r < 45) {
    proto = 0x0021, inner = makeIpv4Packet(rng, std::nullopt, 0);
  } else if (r < 80) {
    proto = 0x0057, inner = makeIpv6Packet(rng, std::nullopt, 0);
  } else if (r < 88) {
    proto = 0x0281, inner = makeMplsStack(rng);
  } else {
    static const std::vector<uint16_t> others = {0xc021, 0x8021, 0x0800, 0x002b};
    proto = rng.pick(others), inner = makeShortHeader(rng, rng.below(20));
  }
  Bytes b;
  put8(b, 0x11), put8(b, 0x00);
  put16(b, rng.chance(80) ? rng.pick(sessions) : rng.u16());
  put16(b, static_cast<uint16_t>(inner.size() + 2));
  put16(b, proto);
  append(b, inner);
  return b;
}

// A PPPoE discovery frame: PADI, PADO, PADR, PADS or PADT with a tag or two.
Bytes makePppoeDiscovery(Rng& rng) {
  static const std::vector<uint8_t> codes = {0x09, 0x07, 0x19, 0x65, 0xa7};
  Bytes b;
  put8(b, 0x11), put8(b, rng.pick(codes));
  put16(b, rng.chance(50) ? 0 : rng.u16());
  Bytes tags = makeShortHeader(rng, rng.range(0, 16));
  put16(b, static_cast<uint16_t>(tags.size()));
  append(b, tags);
  return b;
}

// What follows an EtherType: an encapsulation now and then, else a
// network-layer packet (v4/v6/arp/rarp percentages as for pickNetwork).
NetworkPacket makeEtherPayload(Rng& rng, uint32_t v4, uint32_t v6, uint32_t arp, uint32_t rarp) {
  uint32_t r = rng.below(100);
  if (r < 6) return {Network::Other, 0x8847, makeMplsStack(rng)};
  if (r < 9) return {Network::Other, 0x8864, makePppoeSession(rng)};
  if (r < 11) return {Network::Other, 0x8863, makePppoeDiscovery(rng)};
  return makeNetwork(rng, pickNetwork(rng, v4, v6, arp, rarp));
}

// 1 to 3 VLAN tags (TPIDs 0x8100, 0x88a8, 0x9100) before the payload.
void putVlanTags(Bytes& b, Rng& rng) {
  static const std::vector<uint16_t> tpids = {0x8100, 0x8100, 0x88a8, 0x9100};
  uint32_t tags = rng.chance(60) ? 1 : rng.chance(75) ? 2 : 3;
  for (uint32_t i = 0; i < tags; ++i) {
    put16(b, rng.pick(tpids));
    put16(b, static_cast<uint16_t>(rng.below(8) << 13 | pickVlanId(rng)));
  }
}

Bytes frameEthernet(Rng& rng) {
  Bytes b;
  uint32_t d = rng.below(100);
  Mac dst = d < 10 ? Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} : pickMac(rng);
  append(b, dst);
  append(b, pickMac(rng));
  uint32_t r = rng.below(100);
  if (r < 10) {  // 802.3 length field and LLC
    Bytes llc = makeLlcFrame(rng);
    put16(b, rng.chance(90) ? llc.size() : rng.range(0, 1500));
    append(b, llc);
    return b;
  }
  if (r < 25) {  // VLAN tags (single or stacked)
    putVlanTags(b, rng);
    NetworkPacket n = makeEtherPayload(rng, 55, 30, 5, 0);
    put16(b, n.ethertype);
    append(b, n.bytes);
    return b;
  }
  NetworkPacket n = makeEtherPayload(rng, 50, 30, 9, 4);
  put16(b, n.ethertype);
  append(b, n.bytes);
  return b;
}

Bytes frameIp(Rng& rng, uint32_t v4, uint32_t v6) {
  Network k = pickNetwork(rng, v4, v6, 0, 0);
  if (k == Network::Other) {  // junk with a random version nibble
    Bytes b = makeShortHeader(rng, rng.range(1, 40));
    b[0] = static_cast<uint8_t>((rng.chance(50) ? rng.below(16) : 5) << 4 | (b[0] & 0x0f));
    return b;
  }
  return makeNetwork(rng, k).bytes;
}

// The 4-byte address family of DLT_NULL (host order) and DLT_LOOP (network order).
Bytes frameLoopback(Rng& rng, bool networkOrder) {
  uint32_t r = rng.below(100);
  uint32_t af;
  Network k;
  if (r < 45) {
    af = 2, k = Network::Ipv4;
  } else if (r < 80) {
    static const std::vector<uint32_t> inet6 = {10, 24, 28, 30};
    af = rng.pick(inet6), k = Network::Ipv6;
  } else if (r < 88) {  // a family in the other byte order
    af = rng.chance(50) ? 0x02000000 : 0x18000000;
    k = af == 0x02000000 ? Network::Ipv4 : Network::Ipv6;
  } else if (r < 94) {  // a family that disagrees with the payload
    af = rng.chance(50) ? 2 : 24;
    k = af == 2 ? Network::Ipv6 : Network::Ipv4;
  } else {
    static const std::vector<uint32_t> others = {0, 1, 7, 17, 23, 0xffffffff};
    af = rng.chance(50) ? rng.pick(others) : rng.u32(), k = Network::Other;
  }
  Bytes b;
  // On little-endian hosts (the only ones libpcap's DLT_NULL host order is
  // checked against here) host order is little-endian.
  if (networkOrder) {
    put32(b, af);
  } else {
    putLe32(b, af);
  }
  append(b, k == Network::Other ? makeShortHeader(rng, rng.below(30)) : makeNetwork(rng, k).bytes);
  return b;
}

struct CookedContent {
  uint16_t pktType, arphrd, protocol;
  Mac address;
  Bytes payload;
};

CookedContent cookedContent(Rng& rng) {
  CookedContent c;
  uint32_t p = rng.below(100);
  c.pktType = p < 40 ? 0 : p < 50 ? 1 : p < 60 ? 2 : p < 70 ? 3 : p < 95 ? 4 : rng.range(5, 7);
  static const std::vector<uint16_t> hw = {1, 1, 1, 772, 65534, 768, 776};
  c.arphrd = rng.pick(hw);
  c.address = pickMac(rng);
  uint32_t r = rng.below(100);
  if (r < 8) {  // 802.2 LLC frame
    c.protocol = 0x0004;
    c.payload = makeLlcFrame(rng);
  } else if (r < 11) {  // an LLC SAP in the protocol field, as Linux cooked v2 tests it
    static const std::vector<uint16_t> saps = {0x00fe, 0x00fe, 0x0042, 0x00e0, 0x00f0};
    c.protocol = rng.pick(saps);
    c.payload = c.protocol == 0x00fe ? makeOsiPdu(rng) : makeShortHeader(rng, rng.range(4, 30));
  } else if (r < 13) {  // Novell 802.3
    c.protocol = 0x0001;
    c.payload = makeShortHeader(rng, rng.range(4, 30));
  } else if (r < 9) {
    c.protocol = 0x8100;
    Bytes tagged;
    put16(tagged, rng.range(0, 4095));
    NetworkPacket n = makeNetwork(rng, pickNetwork(rng, 70, 30, 0, 0));
    put16(tagged, n.ethertype);
    append(tagged, n.bytes);
    c.payload = tagged;
  } else {
    NetworkPacket n = makeEtherPayload(rng, 50, 32, 8, 4);
    c.protocol = n.ethertype;
    c.payload = std::move(n.bytes);
  }
  return c;
}

Bytes frameLinuxSll(Rng& rng) {
  CookedContent c = cookedContent(rng);
  Bytes b;
  put16(b, c.pktType);
  put16(b, c.arphrd);
  put16(b, 6);
  append(b, c.address);
  put16(b, 0);
  put16(b, c.protocol);
  append(b, c.payload);
  return b;
}

Bytes frameLinuxSll2(Rng& rng) {
  CookedContent c = cookedContent(rng);
  Bytes b;
  put16(b, c.protocol);
  put16(b, 0);
  put32(b, rng.chance(80) ? rng.range(0, 4) : rng.u32());  // interface index
  put16(b, c.arphrd);
  put8(b, c.pktType);
  put8(b, 6);
  append(b, c.address);
  put16(b, 0);
  append(b, c.payload);
  return b;
}

Bytes framePpp(Rng& rng) {
  Bytes b;
  if (rng.chance(90)) {
    put8(b, 0xff), put8(b, 0x03);
  } else {
    put8(b, rng.byte()), put8(b, rng.byte());
  }
  uint32_t r = rng.below(100);
  if (r < 50) {
    put16(b, 0x0021);
    append(b, makeIpv4Packet(rng, std::nullopt, 0));
  } else if (r < 80) {
    put16(b, 0x0057);
    append(b, makeIpv6Packet(rng, std::nullopt, 0));
  } else if (r < 85) {  // an IPv4 packet under the EtherType instead of the PPP number
    put16(b, 0x0800);
    append(b, makeIpv4Packet(rng, std::nullopt, 0));
  } else if (r < 90) {  // MPLS unicast
    put16(b, 0x0281);
    append(b, makeMplsStack(rng));
  } else {
    static const std::vector<uint16_t> others = {0x002b, 0x0029, 0x8021, 0x8057, 0xc021, 0xc023, 0x0281,
                                                 0x0283, 0x003d, 0x0027, 0x0027, 0x0023, 0x0023, 0x0031};
    uint16_t proto = rng.chance(70) ? rng.pick(others) : rng.u16();
    put16(b, proto);
    if (proto == 0x0023) {  // OSI network layer: the NLPID first
      append(b, makeOsiPdu(rng));
    } else if (proto == 0x0027) {  // DECnet phase IV
      append(b, makeDecnet(rng));
    } else {
      append(b, makeShortHeader(rng, rng.range(0, 30)));
    }
  }
  return b;
}

// What the 802.11 framer carries: EtherType payloads as on Ethernet, LLC
// frames, MACs from the corpus's pool.
const WlanPayloads& wlanPayloads() {
  static const WlanPayloads p = {
      [](Rng& rng, uint16_t& etherType) {
        NetworkPacket n = makeEtherPayload(rng, 48, 30, 10, 4);
        etherType = n.ethertype;
        return std::move(n.bytes);
      },
      makeLlcFrame, pickMac};
  return p;
}

Bytes frame(Rng& rng, uint32_t linktype) {
  switch (linktype) {
    case 105:
    case 119:
    case 127:
    case 163:
    case 192:
      return frameWlan(rng, linktype, wlanPayloads());
    case 1:
      return frameEthernet(rng);
    case 12:
      return frameIp(rng, 58, 36);
    case 228:
      return frameIp(rng, 90, 6);
    case 229:
      return frameIp(rng, 6, 90);
    case 0:
      return frameLoopback(rng, false);
    case 108:
      return frameLoopback(rng, true);
    case 113:
      return frameLinuxSll(rng);
    case 276:
      return frameLinuxSll2(rng);
    case 9:
      return framePpp(rng);
    case 117:
      return framePflog(rng);
    default:
      if (const LinkFramer* f = findLinkFramer(linktype)) return f->frame(rng);
      return {};
  }
}

Bytes makeIpPacket(Rng& rng, bool v6) {
  return v6 ? makeIpv6Packet(rng, std::nullopt, 0) : makeIpv4Packet(rng, std::nullopt, 0);
}

Bytes makeOtherPacket(Rng& rng) { return makeNetwork(rng, Network::Other).bytes; }

}  // namespace detail

using detail::Rng;
using detail::putRandom;

const std::vector<GenLinktype>& generatorLinktypes() {
  static const std::vector<GenLinktype> list = [] {
    std::vector<GenLinktype> l = {
        {1, "EN10MB"}, {12, "RAW"},        {228, "IPV4"},       {229, "IPV6"}, {0, "NULL"},
        {108, "LOOP"}, {113, "LINUX_SLL"}, {276, "LINUX_SLL2"}, {9, "PPP"},
        {105, "IEEE802_11"}, {127, "IEEE802_11_RADIO"}, {192, "PPI"}, {119, "PRISM_HEADER"},
        {163, "IEEE802_11_RADIO_AVS"}, {117, "PFLOG"},
    };
    for (const detail::LinkFramer& f : detail::linkFramers()) l.push_back({f.dlt, f.name});
    return l;
  }();
  return list;
}

std::optional<uint32_t> parseGenLinktype(std::string_view text) {
  std::string upper;
  for (char c : text) upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  std::string_view name = upper;
  if (name.substr(0, 4) == "DLT_") name.remove_prefix(4);
  for (const auto& l : generatorLinktypes())
    if (l.name == name) return l.dlt;
  if (name.empty()) return std::nullopt;
  uint32_t value = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || value > 100000) return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  for (const auto& l : generatorLinktypes())
    if (l.dlt == value) return value;
  return std::nullopt;
}

std::string genLinktypeName(uint32_t dlt) {
  for (const auto& l : generatorLinktypes())
    if (l.dlt == dlt) return std::string(l.name);
  return std::to_string(dlt);
}

std::vector<GeneratedPacket> generatePackets(const GenOptions& options) {
  std::vector<GeneratedPacket> out;
  bool known = false;
  for (const auto& l : generatorLinktypes()) known = known || l.dlt == options.linktype;
  if (!known) return out;
  Rng rng(options.seed ^ (static_cast<uint64_t>(options.linktype) << 32));
  out.reserve(options.count);
  for (size_t i = 0; i < options.count; ++i) {
    GeneratedPacket p;
    if (rng.chance(3)) {  // pure random bytes, sometimes too short for any header
      putRandom(p.data, rng, rng.chance(40) ? rng.below(16) : rng.range(16, 120));
    } else {
      p.data = frame(rng, options.linktype);
    }
    p.wireLength = static_cast<uint32_t>(p.data.size());
    uint32_t r = rng.below(100);
    if (r < 10 && !p.data.empty()) {  // cut inside the headers
      size_t limit = p.data.size() < 90 ? p.data.size() : 90;
      p.data.resize(rng.below(static_cast<uint32_t>(limit)));
    } else if (r < 14 && p.data.size() > 96) {  // a snaplen-style cut after the headers
      p.data.resize(96);
    } else if (r < 16) {  // a frame longer on the wire than it claims
      p.wireLength += rng.range(1, 3000);
    }
    p.seconds = 1700000000 + static_cast<int64_t>(i / 10);
    p.microseconds = static_cast<uint32_t>((i % 10) * 100000 + rng.below(1000));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sift::gen
