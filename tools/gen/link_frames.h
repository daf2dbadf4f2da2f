// The packet generator's parts shared between its files: the random
// source, the network-layer builders of packet_gen.cpp, and the framers of
// the link types in link_frames.cpp and frame_pflog.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "byte_writer.h"
#include "rng.h"

namespace sift::gen::detail {

void putRandom(Bytes& b, Rng& rng, size_t n);
Mac pickMac(Rng& rng);
uint32_t pickV4(Rng& rng);
/// n random header bytes and a random payload.
Bytes makeShortHeader(Rng& rng, size_t n);
Bytes makeIpv4Packet(Rng& rng, std::optional<uint8_t> proto, int depth);
Bytes makeIpv6Packet(Rng& rng, std::optional<uint8_t> proto, int depth);
/// An 802.2 LLC frame: SNAP (IPv4, ARP, AppleTalk, AARP, ...) or a SAP.
Bytes makeLlcFrame(Rng& rng);
/// A whole Ethernet frame, as for EN10MB.
Bytes frameEthernet(Rng& rng);
/// PPP in HDLC-like framing, as for DLT_PPP.
Bytes framePpp(Rng& rng);

enum class Network : uint8_t { Ipv4, Ipv6, Arp, Rarp, Other };

struct NetworkPacket {
  Network kind;
  uint16_t ethertype;
  Bytes bytes;
};

NetworkPacket makeNetwork(Rng& rng, Network kind);
/// Picks a network layer: percentages for IPv4, IPv6, ARP, RARP; the rest is other.
Network pickNetwork(Rng& rng, uint32_t v4, uint32_t v6, uint32_t arp, uint32_t rarp);

/// An IPv4 or IPv6 packet (with its transport) from the generator's pools.
Bytes makeIpPacket(Rng& rng, bool v6);
/// A few bytes that are neither (a short header of another protocol).
Bytes makeOtherPacket(Rng& rng);

/// frame_pflog.cpp: a PFLOG header (varied lengths, address families,
/// actions, reasons, interface and ruleset names, rule numbers,
/// directions) and the packet it logged.
Bytes framePflog(Rng& rng);

/// A link type framed by link_frames.cpp.
struct LinkFramer {
  uint32_t dlt;
  std::string_view name;
  Bytes (*frame)(Rng& rng);
};

/// The link types link_frames.cpp frames, in DLT order.
std::span<const LinkFramer> linkFramers();
const LinkFramer* findLinkFramer(uint32_t dlt);

}  // namespace sift::gen::detail
