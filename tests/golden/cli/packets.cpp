// Packet builders and capture-file writers for the CLI tests (see
// packets.h). Checksums are computed for IPv4 headers so tcpdump, which
// the tests compare against when it is installed, sees valid packets.
#include "packets.h"

#include <fstream>

namespace sift::testing {
namespace {

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
/// Appends `v` in the byte order of the file being written.
void put16As(Bytes& b, uint16_t v, bool bigEndian) {
  if (bigEndian) {
    put16(b, v);
  } else {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
  }
}
void put32As(Bytes& b, uint32_t v, bool bigEndian) {
  if (bigEndian) {
    put32(b, v);
  } else {
    put16As(b, static_cast<uint16_t>(v), false);
    put16As(b, static_cast<uint16_t>(v >> 16), false);
  }
}
template <class Array>
void putArray(Bytes& b, const Array& a) {
  b.insert(b.end(), a.begin(), a.end());
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes ethernet(uint16_t type, const Bytes& payload, Mac dst, Mac src) {
  Bytes b;
  putArray(b, dst);
  putArray(b, src);
  put16(b, type);
  return concat(b, payload);
}

Bytes vlanTag(uint16_t vid, uint16_t innerType) {
  Bytes b;
  put16(b, vid & 0x0fff);
  put16(b, innerType);
  return b;
}

Bytes arp(uint16_t op, Mac sha, IPv4 spa, Mac tha, IPv4 tpa) {
  Bytes b;
  put16(b, 1);
  put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  put16(b, op);
  putArray(b, sha);
  putArray(b, spa);
  putArray(b, tha);
  putArray(b, tpa);
  return b;
}

Bytes ipv4(IPv4 src, IPv4 dst, uint8_t proto, const Bytes& payload, uint16_t fragment) {
  Bytes b;
  b.push_back(0x45);
  b.push_back(0);
  put16(b, static_cast<uint16_t>(20 + payload.size()));
  put16(b, 0x1234);
  put16(b, fragment);
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0);
  putArray(b, src);
  putArray(b, dst);
  uint16_t sum = checksum(b.data(), b.size());
  b[10] = static_cast<uint8_t>(sum >> 8);
  b[11] = static_cast<uint8_t>(sum);
  return concat(b, payload);
}

Bytes ipv6(const IPv6& src, const IPv6& dst, uint8_t next, const Bytes& payload) {
  Bytes b;
  put32(b, 0x60000000);
  put16(b, static_cast<uint16_t>(payload.size()));
  b.push_back(next);
  b.push_back(64);
  putArray(b, src);
  putArray(b, dst);
  return concat(b, payload);
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& data) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put32(b, 1000);  // sequence number
  put32(b, flags & 0x10 ? 2000 : 0);
  b.push_back(0x50);  // 20-byte header
  b.push_back(flags);
  put16(b, 8192);
  put16(b, 0);
  put16(b, 0);
  return concat(b, data);
}

Bytes udp(uint16_t sport, uint16_t dport, const Bytes& data) {
  Bytes b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + data.size()));
  put16(b, 0);
  return concat(b, data);
}

Bytes icmp(uint8_t type, uint8_t code, const Bytes& rest, const Bytes& data) {
  Bytes b{type, code, 0, 0};
  b = concat(concat(b, rest), data);
  uint16_t sum = checksum(b.data(), b.size());
  b[2] = static_cast<uint8_t>(sum >> 8);
  b[3] = static_cast<uint8_t>(sum);
  return b;
}

Bytes pcapFile(const PcapFormat& f, const std::vector<Record>& records) {
  Bytes b;
  put32As(b, f.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, f.bigEndian);
  put16As(b, 2, f.bigEndian);
  put16As(b, 4, f.bigEndian);
  put32As(b, 0, f.bigEndian);
  put32As(b, 0, f.bigEndian);
  put32As(b, f.snaplen, f.bigEndian);
  put32As(b, f.linktype, f.bigEndian);
  for (const auto& r : records) {
    put32As(b, r.seconds, f.bigEndian);
    put32As(b, r.fraction, f.bigEndian);
    put32As(b, static_cast<uint32_t>(r.data.size()), f.bigEndian);
    put32As(b, r.wireLength ? r.wireLength : static_cast<uint32_t>(r.data.size()), f.bigEndian);
    b.insert(b.end(), r.data.begin(), r.data.end());
  }
  return b;
}

Bytes pcapngFile(const std::vector<uint32_t>& linktypes, const std::vector<Record>& records) {
  Bytes b;
  auto block = [&](uint32_t type, const Bytes& body) {
    uint32_t total = static_cast<uint32_t>(12 + body.size() + (4 - body.size() % 4) % 4);
    put32As(b, type, false);
    put32As(b, total, false);
    b.insert(b.end(), body.begin(), body.end());
    b.resize(b.size() + (4 - body.size() % 4) % 4, 0);
    put32As(b, total, false);
  };
  Bytes section;
  put32As(section, 0x1a2b3c4d, false);
  put16As(section, 1, false);
  put16As(section, 0, false);
  put32As(section, 0xffffffff, false);  // section length unknown
  put32As(section, 0xffffffff, false);
  block(0x0a0d0d0a, section);
  for (uint32_t linktype : linktypes) {
    Bytes idb;
    put16As(idb, static_cast<uint16_t>(linktype), false);
    put16As(idb, 0, false);
    put32As(idb, 65535, false);
    block(0x00000001, idb);
  }
  for (const auto& r : records) {
    uint64_t stamp = static_cast<uint64_t>(r.seconds) * 1000000 + r.fraction;
    Bytes epb;
    put32As(epb, r.interfaceId, false);
    put32As(epb, static_cast<uint32_t>(stamp >> 32), false);
    put32As(epb, static_cast<uint32_t>(stamp), false);
    put32As(epb, static_cast<uint32_t>(r.data.size()), false);
    put32As(epb, r.wireLength ? r.wireLength : static_cast<uint32_t>(r.data.size()), false);
    epb.insert(epb.end(), r.data.begin(), r.data.end());
    block(0x00000006, epb);
  }
  return b;
}

bool writeFile(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace sift::testing
