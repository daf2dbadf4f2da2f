// The packet generator: deterministic synthetic packets for the link types
// the differential tests cover, shaped so that filter expressions over
// hosts, nets, ports, protocols, fragments and lengths both accept and
// reject some of them. The same seed gives the same packets on every host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sift::gen {

/// One synthetic packet: the captured bytes and the length it had on the
/// wire (wireLength >= data.size(); larger when the capture is cut short).
struct GeneratedPacket {
  std::vector<uint8_t> data;
  uint32_t wireLength = 0;
  int64_t seconds = 0;
  uint32_t microseconds = 0;
};

/// A link type the generator knows how to frame.
struct GenLinktype {
  uint32_t dlt;
  std::string_view name;  // libpcap's name without DLT_, e.g. "EN10MB"
};

/// EN10MB, RAW, IPV4, IPV6, NULL, LOOP, LINUX_SLL, LINUX_SLL2, PPP and the
/// 802.11 family (IEEE802_11, IEEE802_11_RADIO, PPI, PRISM_HEADER,
/// IEEE802_11_RADIO_AVS).
const std::vector<GenLinktype>& generatorLinktypes();
/// A DLT by name ("EN10MB", "dlt_raw") or decimal number, if generated.
std::optional<uint32_t> parseGenLinktype(std::string_view text);
/// The name of a generated DLT, or its number in decimal.
std::string genLinktypeName(uint32_t dlt);

struct GenOptions {
  uint32_t linktype = 1;
  size_t count = 3000;
  uint64_t seed = 1;
};

/// `options.count` packets framed for `options.linktype`. Returns an empty
/// list for a link type the generator does not know.
std::vector<GeneratedPacket> generatePackets(const GenOptions& options);

/// A small EN10MB capture for demonstrations: an HTTP exchange on TCP port
/// 80 plus some DNS, HTTPS, ARP, ICMP and IPv6 traffic around it.
std::vector<GeneratedPacket> samplePackets();

/// The bytes of a classic pcap file (little-endian, microsecond stamps).
std::vector<uint8_t> pcapFileBytes(uint32_t linktype, uint32_t snaplen,
                                   const std::vector<GeneratedPacket>& packets);

/// Writes pcapFileBytes() to `path`; false (and `error` set) on failure.
bool writePcapFile(const std::string& path, uint32_t linktype, uint32_t snaplen,
                   const std::vector<GeneratedPacket>& packets, std::string* error);

}  // namespace sift::gen
