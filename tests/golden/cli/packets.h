// Hand-built packets and capture files for the CLI tests: small builders
// for Ethernet, ARP, IPv4, IPv6, TCP, UDP and ICMP, and writers for pcap
// (either byte order, micro- or nanosecond) and pcapng, written byte by
// byte so the fixtures do not depend on the library under test.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sift::testing {

using Bytes = std::vector<uint8_t>;
using IPv4 = std::array<uint8_t, 4>;
using IPv6 = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 6>;

Bytes concat(const Bytes& a, const Bytes& b);

Bytes ethernet(uint16_t type, const Bytes& payload, Mac dst = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
               Mac src = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb});
Bytes vlanTag(uint16_t vid, uint16_t innerType);
Bytes arp(uint16_t op, Mac sha, IPv4 spa, Mac tha, IPv4 tpa);
Bytes ipv4(IPv4 src, IPv4 dst, uint8_t proto, const Bytes& payload, uint16_t fragment = 0);
Bytes ipv6(const IPv6& src, const IPv6& dst, uint8_t next, const Bytes& payload);
Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& data = {});
Bytes udp(uint16_t sport, uint16_t dport, const Bytes& data = {});
Bytes icmp(uint8_t type, uint8_t code, const Bytes& rest, const Bytes& data = {});
Bytes text(const std::string& s);

struct Record {
  uint32_t seconds = 0;
  uint32_t fraction = 0;   // micro- or nanoseconds, as the file says
  Bytes data;              // the captured bytes
  uint32_t wireLength = 0; // 0: the size of data
  uint32_t interfaceId = 0;
};

struct PcapFormat {
  uint32_t linktype = 1;
  uint32_t snaplen = 65535;
  bool nanosecond = false;
  bool bigEndian = false;
};

/// The bytes of a pcap file.
Bytes pcapFile(const PcapFormat& format, const std::vector<Record>& records);
/// The bytes of a pcapng file with one interface per entry of `linktypes`
/// (microsecond time stamps, the pcapng default).
Bytes pcapngFile(const std::vector<uint32_t>& linktypes, const std::vector<Record>& records);

/// Writes `bytes` to `path`; false on failure.
bool writeFile(const std::string& path, const Bytes& bytes);

/// Writes the CLI test captures into `dir` (which must exist):
/// sample.pcap, raw.pcap, sll.pcap, null.pcap, nano.pcap, bigendian.pcap,
/// multi.pcapng, truncated.pcap, badmagic.pcap, empty.pcap. Returns false
/// and names the failing file in `error` on failure.
bool writeFixtures(const std::string& dir, std::string& error);

}  // namespace sift::testing
