// One-line packet summaries in the style of `tcpdump -q -n`.
//
// describePacket() turns the captured bytes of one packet into the text
// tcpdump prints after the time stamp: "IP 10.0.0.1.80 > 10.0.0.2.1234:
// tcp 0". It knows Ethernet (with VLAN tags), IPv4, IPv6 (with the common
// extension headers), ARP, TCP, UDP, ICMP and ICMPv6 over the link types
// EN10MB, RAW, IPV4, IPV6, NULL, LOOP, LINUX_SLL, LINUX_SLL2 and PPP.
// Anything else gets a short generic line. It never reads past the
// captured bytes: a packet cut short says so with tcpdump's "[|proto]".
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace sift::cli {

/// The summary of one packet of link type `linktype` (a DLT or LINKTYPE
/// value). `wireLength` is the packet's length on the wire, which may be
/// larger than data.size() when the capture was truncated.
std::string describePacket(uint32_t linktype, std::span<const uint8_t> data, uint32_t wireLength);

/// How time stamps are printed: tcpdump's default, -t and -tt.
enum class TimestampStyle : uint8_t { TimeOfDay, None, Epoch };

/// "HH:MM:SS.uuuuuu " in local time (or the -tt / -t forms), with the
/// trailing space when not empty.
std::string formatTimestamp(int64_t seconds, uint32_t nanoseconds, TimestampStyle style);

}  // namespace sift::cli
