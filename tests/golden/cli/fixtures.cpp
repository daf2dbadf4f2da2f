// The capture files the CLI golden cases read (see packets.h for the list).
// Addresses come from the documentation ranges (RFC 5737, RFC 3849).
#include "packets.h"

namespace sift::testing {
namespace {

const IPv4 kHostA{192, 0, 2, 1}, kHostB{192, 0, 2, 2}, kHostC{198, 51, 100, 7};
const IPv6 kHost6A{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const IPv6 kHost6B{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const Mac kMacA{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}, kMacB{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
const Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kZero{};

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPush = 0x08, kFin = 0x01;

Bytes ethernetAB(uint16_t type, const Bytes& payload) { return ethernet(type, payload, kMacB, kMacA); }
Bytes ethernetBA(uint16_t type, const Bytes& payload) { return ethernet(type, payload, kMacA, kMacB); }

/// A little of everything over Ethernet: a TCP conversation, DNS over UDP,
/// ping, ARP, a VLAN-tagged packet, IPv6 TCP/UDP/ICMPv6, fragments.
std::vector<Bytes> ethernetPackets() {
  Bytes echoRest{0x00, 0x2a, 0x00, 0x01};  // id 42, seq 1
  Bytes quoted = ipv4(kHostA, kHostC, 17, udp(40000, 33434));
  return {
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 6, tcp(49152, 80, kSyn))),
      ethernetBA(0x0800, ipv4(kHostB, kHostA, 6, tcp(80, 49152, kSyn | kAck))),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 6, tcp(49152, 80, kAck))),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 6, tcp(49152, 80, kPush | kAck, text("GET / HTTP/1.0\r\n\r\n")))),
      ethernetBA(0x0800, ipv4(kHostB, kHostA, 6, tcp(80, 49152, kFin | kAck))),
      ethernetAB(0x0800, ipv4(kHostA, kHostC, 17, udp(53000, 53, Bytes(29, 0x61)))),
      ethernetBA(0x0800, ipv4(kHostC, kHostA, 17, udp(53, 53000, Bytes(45, 0x62)))),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 1, icmp(8, 0, echoRest, Bytes(56, 0x70)))),
      ethernetBA(0x0800, ipv4(kHostB, kHostA, 1, icmp(0, 0, echoRest, Bytes(56, 0x70)))),
      ethernetBA(0x0800, ipv4(kHostC, kHostA, 1, icmp(3, 3, Bytes(4, 0), quoted))),
      ethernet(0x0806, arp(1, kMacA, kHostA, kZero, kHostB), kBroadcast, kMacA),
      ethernetBA(0x0806, arp(2, kMacB, kHostB, kMacA, kHostA)),
      ethernetAB(0x8100, concat(vlanTag(100, 0x0800), ipv4(kHostA, kHostB, 6, tcp(49153, 443, kSyn)))),
      ethernetAB(0x86dd, ipv6(kHost6A, kHost6B, 6, tcp(49154, 443, kPush | kAck, Bytes(100, 0x17)))),
      ethernetAB(0x86dd, ipv6(kHost6A, kHost6B, 17, udp(5353, 5353, Bytes(12, 0)))),
      ethernetAB(0x86dd, ipv6(kHost6A, kHost6B, 58, icmp(128, 0, Bytes{0, 7, 0, 1}, Bytes(16, 0x71)))),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 17, udp(4000, 4001, Bytes(40, 0x66)), 0x2000)),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 17, Bytes(24, 0x66), 0x0006)),
      ethernetAB(0x0800, ipv4(kHostA, kHostB, 253, Bytes(8, 0))),
      ethernetAB(0x88b5, Bytes(46, 0)),
  };
}

std::vector<Record> records(const std::vector<Bytes>& packets, uint32_t firstSecond, bool nanosecond) {
  std::vector<Record> out;
  for (size_t i = 0; i < packets.size(); ++i) {
    Record r;
    r.seconds = firstSecond + static_cast<uint32_t>(i / 4);
    uint32_t micros = static_cast<uint32_t>(i * 125003 % 1000000);
    r.fraction = nanosecond ? micros * 1000 + 789 : micros;
    r.data = packets[i];
    out.push_back(r);
  }
  return out;
}

}  // namespace

bool writeFixtures(const std::string& dir, std::string& error) {
  const uint32_t t0 = 1700000000;  // 2023-11-14 22:13:20 UTC
  std::vector<std::pair<std::string, Bytes>> files;
  auto ether = ethernetPackets();
  files.emplace_back("sample.pcap", pcapFile({}, records(ether, t0, false)));
  files.emplace_back("nano.pcap", pcapFile({1, 65535, true, false}, records(ether, t0, true)));
  files.emplace_back("bigendian.pcap", pcapFile({1, 65535, false, true}, records(ether, t0, false)));

  std::vector<Bytes> raw = {
      ipv4(kHostA, kHostB, 6, tcp(49152, 22, kSyn)),
      ipv6(kHost6A, kHost6B, 17, udp(546, 547, Bytes(20, 1))),
      ipv4(kHostB, kHostA, 1, icmp(0, 0, Bytes{0, 1, 0, 9})),
  };
  files.emplace_back("raw.pcap", pcapFile({101, 65535, false, false}, records(raw, t0, false)));

  auto sll = [](uint16_t protocol, const Bytes& payload) {
    Bytes h{0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 0x0a, 0, 0};
    h.push_back(static_cast<uint8_t>(protocol >> 8));
    h.push_back(static_cast<uint8_t>(protocol));
    return concat(h, payload);
  };
  std::vector<Bytes> cooked = {
      sll(0x0800, ipv4(kHostA, kHostC, 17, udp(53001, 53, Bytes(30, 0x61)))),
      sll(0x86dd, ipv6(kHost6A, kHost6B, 6, tcp(49155, 80, kSyn))),
      sll(0x0806, arp(1, kMacA, kHostA, kZero, kHostB)),
  };
  files.emplace_back("sll.pcap", pcapFile({113, 65535, false, false}, records(cooked, t0, false)));

  auto loopback = [](uint32_t family, const Bytes& payload) {  // DLT_NULL, little-endian writer
    Bytes h{static_cast<uint8_t>(family), 0, 0, 0};
    return concat(h, payload);
  };
  std::vector<Bytes> null = {
      loopback(2, ipv4({127, 0, 0, 1}, {127, 0, 0, 1}, 17, udp(40001, 53, Bytes(20, 0)))),
      loopback(30, ipv6(kHost6A, kHost6A, 6, tcp(49156, 8080, kSyn))),
  };
  files.emplace_back("null.pcap", pcapFile({0, 65535, false, false}, records(null, t0, false)));

  // Two interfaces of different link types: Ethernet (0) and raw IP (1).
  std::vector<Record> multi;
  for (size_t i = 0; i < 6; ++i) {
    Record r;
    r.seconds = t0 + static_cast<uint32_t>(i);
    r.fraction = 500000;
    r.interfaceId = static_cast<uint32_t>(i % 2);
    Bytes ip = i % 3 == 0 ? ipv4(kHostA, kHostB, 6, tcp(50000 + static_cast<uint16_t>(i), 80, kSyn))
                          : ipv4(kHostA, kHostC, 17, udp(50000 + static_cast<uint16_t>(i), 53, Bytes(10, 0)));
    r.data = r.interfaceId == 0 ? ethernetAB(0x0800, ip) : ip;
    multi.push_back(r);
  }
  files.emplace_back("multi.pcapng", pcapngFile({1, 101}, multi));

  // Damaged files: one cut in the middle of its third packet, one with a
  // magic number that is no capture format, and one with no packets.
  Bytes cut = pcapFile({}, records(ether, t0, false));
  size_t third = 24 + (16 + ether[0].size()) + (16 + ether[1].size()) + 16 + 10;
  cut.resize(third);
  files.emplace_back("truncated.pcap", cut);
  files.emplace_back("badmagic.pcap", text("this is not a capture file, just some text\n"));
  files.emplace_back("empty.pcap", pcapFile({}, {}));

  for (const auto& [name, bytes] : files) {
    if (!writeFile(dir + "/" + name, bytes)) {
      error = "cannot write '" + dir + "/" + name + "'";
      return false;
    }
  }
  return true;
}

}  // namespace sift::testing
