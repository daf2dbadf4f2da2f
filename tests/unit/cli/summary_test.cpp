// Tests for the one-line packet summaries: the tcpdump -q -n text for each
// protocol and link type the dissector knows, and that no prefix of any
// packet (a capture cut at any byte) makes it read out of bounds.
#include <doctest/doctest.h>

#include <string>

#include "cli/summary.h"
#include "golden/cli/packets.h"

using namespace sift::testing;
using sift::cli::describePacket;

namespace {

const IPv4 kA{10, 0, 0, 1}, kB{10, 0, 0, 2};
const IPv6 k6A{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const IPv6 k6B{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const Mac kMacA{0x02, 0, 0, 0, 0, 0x0a}, kMacB{0x02, 0, 0, 0, 0, 0x0b};

std::string ether(const Bytes& frame) { return describePacket(1, frame, static_cast<uint32_t>(frame.size())); }

}  // namespace

TEST_CASE("TCP and UDP over IPv4 and IPv6") {
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 6, tcp(1234, 80, 0x02)))) == "IP 10.0.0.1.1234 > 10.0.0.2.80: tcp 0");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 6, tcp(80, 1234, 0x18, text("hello"))))) ==
        "IP 10.0.0.1.80 > 10.0.0.2.1234: tcp 5");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 17, udp(5353, 53, text("abcd"))))) ==
        "IP 10.0.0.1.5353 > 10.0.0.2.53: UDP, length 4");
  CHECK(ether(ethernet(0x86dd, ipv6(k6A, k6B, 6, tcp(443, 5555, 0x10, text("zz"))))) ==
        "IP6 2001:db8::1.443 > 2001:db8::2.5555: tcp 2");
  CHECK(ether(ethernet(0x86dd, ipv6(k6A, k6B, 17, udp(1000, 2000, text("q"))))) ==
        "IP6 2001:db8::1.1000 > 2001:db8::2.2000: UDP, length 1");
}

TEST_CASE("Ethernet padding does not count") {
  Bytes frame = ethernet(0x0800, ipv4(kA, kB, 17, udp(1, 2, text("ab"))));
  frame.resize(60, 0);
  CHECK(ether(frame) == "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 2");
}

TEST_CASE("ICMP and ICMPv6") {
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 1, icmp(8, 0, Bytes{0, 1, 0, 2}, Bytes(8, 'x'))))) ==
        "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 2, length 16");
  Bytes quoted = ipv4(kA, kB, 17, udp(1, 2));
  CHECK(ether(ethernet(0x0800, ipv4(kB, kA, 1, icmp(3, 3, Bytes(4, 0), quoted)))) ==
        "IP 10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 udp port 2 unreachable, length 36");
  CHECK(ether(ethernet(0x0800, ipv4(kB, kA, 1, icmp(3, 1, Bytes(4, 0), quoted)))) ==
        "IP 10.0.0.2 > 10.0.0.1: ICMP host 10.0.0.2 unreachable, length 36");
  CHECK(ether(ethernet(0x0800, ipv4(kB, kA, 1, icmp(11, 0, Bytes(4, 0), quoted)))) ==
        "IP 10.0.0.2 > 10.0.0.1: ICMP time exceeded in-transit, length 36");
  CHECK(ether(ethernet(0x0800, ipv4(kB, kA, 1, icmp(42, 0, Bytes(4, 0))))) ==
        "IP 10.0.0.2 > 10.0.0.1: ICMP type-#42, length 8");
  CHECK(ether(ethernet(0x86dd, ipv6(k6A, k6B, 58, icmp(128, 0, Bytes{0, 7, 0, 9}, text("pp"))))) ==
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 9, length 10");
}

TEST_CASE("PIM") {
  // tcpdump -q -n names PIMv2's message types and gives other versions
  // only their number.
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{0x20, 0, 0, 0, 0, 1, 0, 2, 0, 0x69, 0, 0}))) ==
        "IP 10.0.0.1 > 10.0.0.2: PIMv2, Hello, length 12");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{0x23, 0, 0, 0}))) ==
        "IP 10.0.0.1 > 10.0.0.2: PIMv2, Join / Prune, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{0x28, 0, 0, 0}))) ==
        "IP 10.0.0.1 > 10.0.0.2: PIMv2, Candidate RP Advertisement, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{0x2c, 0, 0, 0}))) ==
        "IP 10.0.0.1 > 10.0.0.2: PIMv2, Unknown Type, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{0x14, 0, 0, 0}))) ==
        "IP 10.0.0.1 > 10.0.0.2: PIMv1, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 103, Bytes{}))) == "IP 10.0.0.1 > 10.0.0.2:  [|pim]");
  CHECK(ether(ethernet(0x86dd, ipv6(k6A, k6B, 103, Bytes{0x20, 0, 0, 0}))) ==
        "IP6 2001:db8::1 > 2001:db8::2: PIMv2, Hello, length 4");
}

namespace {

/// An AH header (SPI 0x100, sequence 0x13, ICV bytes a0, a1, ...) before
/// `inner`; `lengthField` is the header's length in 4-byte words minus 2.
Bytes ah(uint8_t next, const Bytes& inner, size_t icvBytes = 12, int lengthField = -1) {
  const auto length = static_cast<uint8_t>(lengthField >= 0 ? lengthField : (12 + icvBytes) / 4 - 2);
  Bytes out{next, length, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x13};
  for (size_t i = 0; i < icvBytes; ++i) out.push_back(static_cast<uint8_t>(0xa0 + i));
  return concat(out, inner);
}

}  // namespace

TEST_CASE("AH") {
  // The lines tcpdump -q -n prints for the same packets.
  const std::string fields = "AH(spi=0x00000100,seq=0x13,icv=0xa0a1a2a3a4a5a6a7a8a9aaab): ";
  const Bytes dns = udp(5353, 53, text("abcd"));
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(6, tcp(80, 1234, 0x02))))) ==
        "IP 10.0.0.1 > 10.0.0.2: " + fields + "80 > 1234: tcp 0");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(17, dns)))) ==
        "IP 10.0.0.1 > 10.0.0.2: " + fields + "5353 > 53: UDP, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(1, icmp(8, 0, Bytes{0, 1, 0, 2}, text("xxxx")))))) ==
        "IP 10.0.0.1 > 10.0.0.2: " + fields + "ICMP echo request, id 1, seq 2, length 12");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(99, text("zzzz"))))) ==
        "IP 10.0.0.1 > 10.0.0.2: " + fields + " ip-proto-99 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(51, ah(17, dns))))) ==
        "IP 10.0.0.1 > 10.0.0.2: " + fields + fields + "5353 > 53: UDP, length 4");
  CHECK(ether(ethernet(0x86dd, ipv6(k6A, k6B, 51, ah(17, dns)))) ==
        "IP6 2001:db8::1 > 2001:db8::2: " + fields + "5353 > 53: UDP, length 4");
  // No ICV; a length field of 0 (an 8-byte header: what follows starts
  // with the sequence number).
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(17, dns, 0, 1)))) ==
        "IP 10.0.0.1 > 10.0.0.2: AH(spi=0x00000100,seq=0x13,icv=0x): 5353 > 53: UDP, length 4");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, ah(17, dns, 0, 0)))) ==
        "IP 10.0.0.1 > 10.0.0.2: AH(spi=0x00000100,seq=0x13,icv=0x): 0 > 19: UDP, bad length 5345 > 8");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, Bytes{}))) == "IP 10.0.0.1 > 10.0.0.2:  [|ah]");
  Bytes reserved = ah(17, dns);
  reserved[3] = 5;
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 51, reserved))) ==
        "IP 10.0.0.1 > 10.0.0.2: AH(reserved=0x5[MustBeZero],spi=0x00000100,seq=0x13,icv=0xa0a1a2a3a4a5a6a7a8a9aaab): "
        "5353 > 53: UDP, length 4");
  // Captures cut inside the header.
  const Bytes frame = ethernet(0x0800, ipv4(kA, kB, 51, ah(17, dns)));
  auto cutAfter = [&](size_t ahBytes) {
    Bytes cut(frame.begin(), frame.begin() + 14 + 20 + ahBytes);
    return describePacket(1, cut, static_cast<uint32_t>(frame.size()));
  };
  CHECK(cutAfter(1) == "IP 10.0.0.1 > 10.0.0.2: AH [|ah]");
  CHECK(cutAfter(4) == "IP 10.0.0.1 > 10.0.0.2: AH( [|ah]");
  CHECK(cutAfter(10) == "IP 10.0.0.1 > 10.0.0.2: AH(spi=0x00000100, [|ah]");
  CHECK(cutAfter(12) == "IP 10.0.0.1 > 10.0.0.2: AH(spi=0x00000100,seq=0x13,icv=0x [|ah]");
  CHECK(cutAfter(13) == "IP 10.0.0.1 > 10.0.0.2: AH(spi=0x00000100,seq=0x13,icv=0xa0 [|ah]");
}

TEST_CASE("ARP") {
  CHECK(ether(ethernet(0x0806, arp(1, kMacA, kA, Mac{}, kB))) ==
        "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28");
  CHECK(ether(ethernet(0x0806, arp(2, kMacB, kB, kMacA, kA))) ==
        "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:0b, length 28");
  CHECK(ether(ethernet(0x0806, arp(1, kMacA, kA, kMacB, kB))) ==
        "ARP, Request who-has 10.0.0.2 (02:00:00:00:00:0b) tell 10.0.0.1, length 28");
}

TEST_CASE("VLAN tags are skipped, unknown EtherTypes named") {
  CHECK(ether(ethernet(0x8100, concat(vlanTag(5, 0x0800), ipv4(kA, kB, 6, tcp(1, 2, 0x02))))) ==
        "IP 10.0.0.1.1 > 10.0.0.2.2: tcp 0");
  CHECK(ether(ethernet(0x88b5, Bytes(46, 0), kMacB, kMacA)) ==
        "02:00:00:00:00:0a > 02:00:00:00:00:0b, Unknown Ethertype (0x88b5), length 60: ");
}

TEST_CASE("fragments") {
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 17, udp(1, 2, Bytes(20, 'x')), 0x2000))) ==
        "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 20");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 17, Bytes(16, 'y'), 0x0003))) == "IP 10.0.0.1 > 10.0.0.2: ip-proto-17");
  CHECK(ether(ethernet(0x0800, ipv4(kA, kB, 253, Bytes(8, 'g')))) == "IP 10.0.0.1 > 10.0.0.2:  ip-proto-253 8");
}

TEST_CASE("truncated captures say so") {
  Bytes frame = ethernet(0x0800, ipv4(kA, kB, 6, tcp(1234, 80, 0x02)));
  Bytes cut(frame.begin(), frame.begin() + 44);
  CHECK(describePacket(1, cut, static_cast<uint32_t>(frame.size())) == "IP 10.0.0.1.1234 > 10.0.0.2.80:  [|tcp]");
  Bytes header(frame.begin(), frame.begin() + 20);
  CHECK(describePacket(1, header, static_cast<uint32_t>(frame.size())) == "IP  [|ip]");
  CHECK(describePacket(1, Bytes(10, 0), 60) == "[|ether]");
}

TEST_CASE("link types") {
  Bytes ip = ipv4(kA, kB, 17, udp(1, 2, text("ab")));
  Bytes ip6 = ipv6(k6A, k6B, 6, tcp(1, 2, 0x02));
  auto describe = [](uint32_t linktype, const Bytes& b) {
    return describePacket(linktype, b, static_cast<uint32_t>(b.size()));
  };
  const std::string v4 = "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 2";
  const std::string v6 = "IP6 2001:db8::1.1 > 2001:db8::2.2: tcp 0";
  for (uint32_t raw : {12u, 14u, 101u, 228u, 229u}) {
    CHECK(describe(raw, ip) == v4);
    CHECK(describe(raw, ip6) == v6);
  }
  CHECK(describe(101, Bytes{0x00, 0x01}) == "unknown ip 0");
  CHECK(describe(0, concat(Bytes{2, 0, 0, 0}, ip)) == v4);       // NULL, little-endian writer
  CHECK(describe(0, concat(Bytes{0, 0, 0, 2}, ip)) == v4);       // NULL, big-endian writer
  CHECK(describe(0, concat(Bytes{30, 0, 0, 0}, ip6)) == v6);
  CHECK(describe(108, concat(Bytes{0, 0, 0, 2}, ip)) == v4);     // LOOP
  Bytes sll{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  CHECK(describe(113, concat(sll, ip)) == v4);
  Bytes sll2{0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  CHECK(describe(276, concat(sll2, ip6)) == v6);
  CHECK(describe(9, concat(Bytes{0xff, 0x03, 0x00, 0x21}, ip)) == v4);  // PPP in HDLC framing
  CHECK(describe(9, concat(Bytes{0x00, 0x57}, ip6)) == v6);
  CHECK(describe(9, concat(Bytes{0x21}, ip)) == v4);                   // compressed protocol field
  CHECK(describe(147, ip) == "link type 147, length 30");
}

TEST_CASE("every prefix of every packet is described without reading past it") {
  Bytes quoted = ipv4(kA, kB, 17, udp(1, 2));
  std::vector<std::pair<uint32_t, Bytes>> packets = {
      {1, ethernet(0x0800, ipv4(kA, kB, 6, tcp(1234, 80, 0x18, text("payload"))))},
      {1, ethernet(0x0800, ipv4(kB, kA, 1, icmp(3, 3, Bytes(4, 0), quoted)))},
      {1, ethernet(0x8100, concat(vlanTag(5, 0x86dd), ipv6(k6A, k6B, 58, icmp(135, 0, Bytes(4, 0), Bytes(k6B.begin(), k6B.end())))))},
      {1, ethernet(0x86dd, ipv6(k6A, k6B, 0, concat(Bytes{44, 0, 0, 0, 0, 0, 0, 0}, concat(Bytes{17, 0, 0, 0, 0, 0, 0, 1}, udp(1, 2)))))},
      {1, ethernet(0x0806, arp(2, kMacB, kB, kMacA, kA))},
      {1, ethernet(0x0026, concat(Bytes{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, quoted))},
      {0, concat(Bytes{2, 0, 0, 0}, quoted)},
      {113, concat(Bytes{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06}, arp(1, kMacA, kA, Mac{}, kB))},
      {276, concat(Bytes{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0}, quoted)},
      {9, concat(Bytes{0xff, 0x03, 0x00, 0x21}, quoted)},
      {101, ipv4(kA, kB, 4, quoted)},
      {101, ipv4(kA, kB, 41, ipv6(k6A, k6B, 17, udp(1, 2)))},
      {101, ipv4(kA, kB, 51, ah(51, ah(6, tcp(1, 2, 0x02))))},
      {101, ipv4(kA, kB, 103, Bytes{0x23, 0, 0, 0})},
      {101, ipv4(kA, kB, 51, ah(17, udp(1, 2), 0, 0))},
  };
  for (const auto& [linktype, packet] : packets) {
    for (size_t n = 0; n <= packet.size(); ++n) {
      // A copy of exactly n bytes, so a sanitizer build catches any overread.
      std::vector<uint8_t> prefix(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(n));
      std::string text = describePacket(linktype, prefix, static_cast<uint32_t>(packet.size()));
      CHECK(!text.empty());
    }
  }
}

TEST_CASE("time stamps") {
  using sift::cli::TimestampStyle;
  using sift::cli::formatTimestamp;
  CHECK(formatTimestamp(1700000000, 123456789, TimestampStyle::None) == "");
  CHECK(formatTimestamp(1700000000, 123456789, TimestampStyle::Epoch) == "1700000000.123456 ");
  std::string clock = formatTimestamp(1700000000, 5000, TimestampStyle::TimeOfDay);
  CHECK(clock.size() == 16);
  CHECK(clock.substr(8) == ".000005 ");
}
