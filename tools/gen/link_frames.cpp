// Framers for the link types beyond the first nine (see link_frames.h):
// LLC links (Token Ring, FDDI, ATM, Fibre Channel, SunATM), ARCnet, the
// SLIP and PPP variants, Cisco HDLC, Frame Relay, ENC, FireWire, ipnet,
// netANALYZER, the Juniper family, BACnet MS/TP, SS7 and the link types
// libpcap filters only by their bytes. Each framer mixes what the link
// type's filters test for (the right type codes, cookies, preambles) with
// what they must not match, so expressions both accept and reject some
// packets.
#include <algorithm>
#include <array>
#include <iterator>

#include "link_frames.h"

namespace sift::gen::detail {
namespace {

/// A network-layer packet with the EtherType it is known by.
NetworkPacket anyNetwork(Rng& rng) { return makeNetwork(rng, pickNetwork(rng, 50, 30, 8, 4)); }

/// 802.2 LLC with SNAP for an EtherType, or another LLC frame.
Bytes llcPayload(Rng& rng) {
  if (rng.chance(25)) return makeLlcFrame(rng);
  NetworkPacket n = anyNetwork(rng);
  Bytes b;
  put8(b, 0xaa), put8(b, 0xaa), put8(b, 0x03), put8(b, 0), put8(b, 0), put8(b, 0);
  put16(b, n.ethertype);
  append(b, n.bytes);
  return b;
}

Mac destination(Rng& rng) {
  return rng.chance(10) ? Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff} : pickMac(rng);
}

Bytes frameTokenRing(Rng& rng) {
  Bytes b;
  put8(b, 0x10), put8(b, rng.chance(90) ? 0x40 : rng.byte());  // access and frame control
  append(b, destination(rng));
  append(b, pickMac(rng));
  append(b, llcPayload(rng));
  return b;
}

Bytes frameFddi(Rng& rng) {
  Bytes b;
  put8(b, rng.chance(90) ? 0x50 : rng.byte());  // frame control: LLC, async
  append(b, destination(rng));
  append(b, pickMac(rng));
  append(b, llcPayload(rng));
  return b;
}

Bytes frameAtmLlc(Rng& rng) { return llcPayload(rng); }

Bytes frameIpOverFc(Rng& rng) {
  Bytes b;
  put16(b, 0);  // reserved and address type
  append(b, destination(rng));
  put16(b, 0);
  append(b, pickMac(rng));
  append(b, llcPayload(rng));
  return b;
}

// SunATM: traffic type (LLC, LANE, other), VPI and VCI from small pools
// (the signalling and OAM channels on VPI 0 among them), then LLC, a LANE
// frame (LE header, sometimes the 0xff00 control marker, then Ethernet),
// or for signalling a Q.2931 header whose message type byte is at 5.
Bytes frameSunAtm(Rng& rng) {
  Bytes b;
  static const std::vector<uint8_t> types = {0x02, 0x82, 0x02, 0x01, 0x81, 0x01, 0x00, 0x05, 0x12};
  const uint8_t type = rng.chance(90) ? rng.pick(types) : rng.byte();
  put8(b, type);  // direction bit and traffic type
  static const std::vector<uint8_t> vpis = {0, 0, 1, 5, 8, 255};
  const uint8_t vpi = rng.chance(80) ? rng.pick(vpis) : rng.byte();
  put8(b, vpi);
  static const std::vector<uint16_t> vcis = {1, 2, 3, 4, 5, 16, 18, 32, 100, 65535};
  const uint16_t vci = rng.chance(80) ? rng.pick(vcis) : rng.u16();
  put16(b, vci);
  if ((type & 0x0f) == 1 && rng.chance(90)) {
    put16(b, rng.chance(15) ? 0xff00 : rng.below(4));  // LE header: control marker or LECID
    append(b, frameEthernet(rng));
  } else if (vpi == 0 && (vci == 5 || vci == 1) && rng.chance(70)) {
    static const std::vector<uint8_t> messages = {0x5a, 0x4d, 0x0f, 0x07, 0x05, 0x02, 0x03, 0x6e};
    put8(b, 0x09), put8(b, 3), put16(b, rng.u16()), put8(b, rng.byte());  // discriminator, call reference
    put8(b, rng.pick(messages));
    putRandom(b, rng, rng.range(0, 20));
  } else {
    append(b, llcPayload(rng));
  }
  return b;
}

// ---- ARCnet ----------------------------------------------------------------

uint8_t arcnetStation(Rng& rng) {
  // libpcap compares $x... addresses as 0xd0 | x: favour those, and 0.
  if (rng.chance(20)) return 0;
  if (rng.chance(70)) return static_cast<uint8_t>(0xd0 | rng.below(16));
  return rng.byte();
}

/// The ARCnet type byte and the packet it announces.
void arcnetBody(Rng& rng, uint8_t& type, Bytes& payload) {
  struct Kind {
    uint8_t type;
    Network net;
  };
  static const std::vector<Kind> kinds = {{0xd4, Network::Ipv4}, {0xf0, Network::Ipv4}, {0xd5, Network::Arp},
                                          {0xf1, Network::Arp},  {0xd6, Network::Rarp}, {0xc4, Network::Ipv6},
                                          {0xdd, Network::Other}, {0xfa, Network::Other}};
  Kind k = rng.pick(kinds);
  type = rng.chance(92) ? k.type : rng.byte();
  payload = makeNetwork(rng, k.net).bytes;
}

Bytes frameArcnet(Rng& rng) {
  Bytes b;
  put8(b, arcnetStation(rng));  // source
  put8(b, arcnetStation(rng));  // destination
  uint8_t type;
  Bytes payload;
  arcnetBody(rng, type, payload);
  put8(b, type);
  put8(b, 0), put16(b, rng.u16());  // split flag, sequence number
  append(b, payload);
  return b;
}

Bytes frameArcnetLinux(Rng& rng) {
  Bytes b;
  put8(b, arcnetStation(rng));
  put8(b, arcnetStation(rng));
  put16(b, 0);  // offset
  uint8_t type;
  Bytes payload;
  arcnetBody(rng, type, payload);
  put8(b, type);
  put8(b, 0), put16(b, rng.u16());
  append(b, payload);
  return b;
}

// ---- serial links -----------------------------------------------------------

/// An IP packet behind `header` bytes whose first byte is the SLIP
/// direction (which libpcap's version test reads).
Bytes frameSlipWith(Rng& rng, size_t header) {
  Bytes b;
  static const std::vector<uint8_t> firsts = {0, 1, 0x45, 0x60, 0x40, 0x4f};
  put8(b, rng.pick(firsts));
  putRandom(b, rng, header - 1);
  NetworkPacket n = makeNetwork(rng, pickNetwork(rng, 65, 35, 0, 0));
  append(b, n.bytes);
  return b;
}
Bytes frameSlip(Rng& rng) { return frameSlipWith(rng, 16); }
Bytes frameSlipBsdos(Rng& rng) { return frameSlipWith(rng, 24); }

/// A PPP protocol number and its payload.
void pppBody(Rng& rng, uint16_t& proto, Bytes& payload) {
  uint32_t r = rng.below(100);
  if (r < 40) {
    proto = 0x0021, payload = makeIpv4Packet(rng, std::nullopt, 0);
  } else if (r < 50) {
    proto = rng.chance(50) ? 0x002d : 0x002f, payload = makeIpv4Packet(rng, std::nullopt, 0);
  } else if (r < 75) {
    proto = 0x0057, payload = makeIpv6Packet(rng, std::nullopt, 0);
  } else if (r < 80) {
    proto = 0x0800, payload = makeIpv4Packet(rng, std::nullopt, 0);
  } else {
    static const std::vector<uint16_t> others = {0x002b, 0x0029, 0x0023, 0x0031, 0x0806, 0xc021, 0x8021, 0x0281};
    proto = rng.chance(70) ? rng.pick(others) : rng.u16();
    payload = makeShortHeader(rng, rng.range(0, 30));
  }
}

Bytes framePppBsdos(Rng& rng) {
  Bytes b;
  uint16_t proto;
  Bytes payload;
  pppBody(rng, proto, payload);
  put8(b, rng.below(2));  // direction
  putRandom(b, rng, 2);
  put8(b, 0xff), put8(b, 0x03);
  put16(b, proto);
  putRandom(b, rng, 24 - 7);
  append(b, payload);
  return b;
}

Bytes framePppoe(Rng& rng) {
  Bytes b;
  uint16_t proto;
  Bytes payload;
  pppBody(rng, proto, payload);
  put8(b, 0x11), put8(b, 0);  // version and type, code: session data
  put16(b, rng.chance(70) ? rng.range(1, 4) : rng.u16());
  put16(b, static_cast<uint32_t>(payload.size() + 2));
  put16(b, proto);
  append(b, payload);
  return b;
}

Bytes framePppPppd(Rng& rng) {
  Bytes b = framePpp(rng);
  if (!b.empty()) b[0] = static_cast<uint8_t>(rng.below(2));  // pppd writes the direction here
  return b;
}

Bytes frameCiscoHdlc(Rng& rng) {
  Bytes b;
  put8(b, rng.chance(70) ? 0x0f : 0x8f), put8(b, 0);
  if (rng.chance(10)) {
    put16(b, 0xfefe);  // OSI
    append(b, makeShortHeader(rng, rng.range(2, 20)));
    return b;
  }
  NetworkPacket n = anyNetwork(rng);
  put16(b, n.ethertype);
  append(b, n.bytes);
  return b;
}

Bytes frameFrameRelay(Rng& rng) {
  Bytes b;
  put16(b, rng.chance(80) ? 0x0401 | (rng.below(64) << 10) : rng.u16());  // Q.922 address
  uint32_t r = rng.below(100);
  if (r < 45) {
    put16(b, 0x03cc);
    append(b, makeIpv4Packet(rng, std::nullopt, 0));
  } else if (r < 75) {
    put16(b, 0x038e);
    append(b, makeIpv6Packet(rng, std::nullopt, 0));
  } else {
    static const std::vector<uint16_t> others = {0x0380, 0x0381, 0x0382, 0x0383, 0x03cd, 0x0300};
    put16(b, rng.chance(70) ? rng.pick(others) : rng.u16());
    append(b, makeShortHeader(rng, rng.range(0, 30)));
  }
  return b;
}

// ---- headers before IP --------------------------------------------------------

Bytes frameEnc(Rng& rng) {
  Bytes b;
  uint32_t r = rng.below(100);
  Network k = r < 50 ? Network::Ipv4 : r < 85 ? Network::Ipv6 : Network::Other;
  uint32_t af = k == Network::Ipv4 ? 2 : k == Network::Ipv6 ? (rng.chance(70) ? 10 : 24) : rng.below(32);
  putLe32(b, af);  // host order, little-endian here
  put32(b, rng.u32());  // SPI
  put32(b, rng.below(4));  // flags
  append(b, makeNetwork(rng, k).bytes);
  return b;
}

Bytes frameFirewire(Rng& rng) {
  Bytes b;
  putRandom(b, rng, 16);  // destination and source EUI-64
  NetworkPacket n = anyNetwork(rng);
  put16(b, n.ethertype);
  append(b, n.bytes);
  return b;
}

Bytes frameSymantec(Rng& rng) {
  Bytes b;
  putRandom(b, rng, 6);
  NetworkPacket n = anyNetwork(rng);
  put16(b, n.ethertype);
  putRandom(b, rng, 44 - 8);
  append(b, n.bytes);
  return b;
}

Bytes frameIpnet(Rng& rng) {
  Bytes b;
  uint32_t r = rng.below(100);
  Network k = r < 50 ? Network::Ipv4 : r < 88 ? Network::Ipv6 : Network::Other;
  put8(b, 1);  // version
  put8(b, k == Network::Ipv4 ? 2 : k == Network::Ipv6 ? 26 : rng.byte());
  put16(b, rng.below(3));  // direction
  NetworkPacket n = makeNetwork(rng, k);
  put32(b, static_cast<uint32_t>(n.bytes.size()));
  put32(b, rng.range(1, 4)), put32(b, 0), put32(b, 0), put32(b, 0);
  append(b, n.bytes);
  return b;
}

Bytes frameNetanalyzer(Rng& rng) {
  Bytes b;
  put32(b, rng.u32());  // status and length
  append(b, frameEthernet(rng));
  return b;
}

Bytes frameNetanalyzerTransparent(Rng& rng) {
  Bytes b;
  put32(b, rng.u32());
  for (int i = 0; i < 7; ++i) put8(b, 0x55);
  put8(b, 0xd5);
  append(b, frameEthernet(rng));
  return b;
}

/// The Juniper pseudo-header: "MGC", flags (bit 0: inbound), then link
/// bytes up to `netOffset`, then a network packet.
template <uint32_t NetOffset>
Bytes frameJuniper(Rng& rng) {
  Bytes b;
  if (rng.chance(85)) {
    put8(b, 'M'), put8(b, 'G'), put8(b, 'C');
  } else {
    put8(b, 'M'), put8(b, rng.byte()), put8(b, rng.byte());
  }
  put8(b, rng.byte());
  putRandom(b, rng, NetOffset > 4 ? NetOffset - 4 : 0);
  append(b, makeNetwork(rng, pickNetwork(rng, 60, 30, 5, 0)).bytes);
  return b;
}

Bytes frameMstp(Rng& rng) {
  Bytes b;
  put8(b, 0x55), put8(b, rng.chance(85) ? 0xff : rng.byte());
  put8(b, rng.below(8));  // frame type
  put8(b, rng.chance(20) ? 0xff : rng.byte()), put8(b, rng.byte());
  Bytes payload = rng.chance(50) ? makeIpv4Packet(rng, std::nullopt, 0) : makeShortHeader(rng, rng.range(0, 30));
  put16(b, static_cast<uint32_t>(payload.size()));
  put8(b, rng.byte());  // header CRC
  append(b, payload);
  return b;
}

// ---- SS7 and byte-only links ---------------------------------------------------

/// An MTP2 signal unit: BSN, FSN, length indicator, then for an MSU the
/// service information octet and a routing label (DPC, OPC, SLS packed
/// little-endian) from small pools. A high-speed-link unit (about a third)
/// has 16-bit sequence numbers and a 16-bit length indicator whose top 9
/// bits count, so its SIO and label are 3 bytes later.
Bytes mtp2Unit(Rng& rng) {
  Bytes b;
  const bool highSpeed = rng.chance(35);
  uint32_t r = rng.below(100);
  uint32_t li = r < 25 ? 0 : r < 45 ? rng.range(1, 2) : r < 90 ? rng.range(3, 63) : rng.byte();
  if (highSpeed) {
    put16(b, rng.u16()), put16(b, rng.u16());
    if (r >= 90) li = rng.range(64, 511);
    put16(b, static_cast<uint16_t>(li << 7 | rng.below(128)));
  } else {
    put8(b, rng.byte()), put8(b, rng.byte());
    put8(b, static_cast<uint8_t>(li | (rng.chance(20) ? rng.below(4) << 6 : 0)));
  }
  if (li >= 3 || rng.chance(30)) {
    static const std::vector<uint8_t> sios = {0x03, 0x83, 0x05, 0x85, 0x00, 0x81};
    put8(b, rng.chance(80) ? rng.pick(sios) : rng.byte());
    static const std::vector<uint32_t> codes = {0, 1, 2, 5, 100, 1000, 16383};
    const uint32_t dpc = rng.chance(80) ? rng.pick(codes) : rng.below(1 << 14);
    const uint32_t opc = rng.chance(80) ? rng.pick(codes) : rng.below(1 << 14);
    const uint32_t sls = rng.chance(70) ? rng.pick(std::vector<uint32_t>{0, 5, 15}) : rng.below(16);
    const uint32_t label = dpc | opc << 14 | sls << 28;
    for (int i = 0; i < 4; ++i) put8(b, static_cast<uint8_t>(label >> (8 * i)));
  }
  putRandom(b, rng, rng.range(0, 30));
  return b;
}

Bytes frameMtp2(Rng& rng) { return mtp2Unit(rng); }
Bytes frameMtp2Phdr(Rng& rng) {
  Bytes b;
  put8(b, rng.below(2)), put8(b, rng.below(4)), put16(b, rng.below(16));  // sent, annex A, link number
  append(b, mtp2Unit(rng));
  return b;
}
Bytes frameMtp3(Rng& rng) {
  Bytes b = mtp2Unit(rng);
  b.erase(b.begin(), b.begin() + 3);
  return b;
}
Bytes frameErf(Rng& rng) {
  Bytes b;
  put32(b, rng.u32()), put32(b, rng.u32());  // time stamp
  put8(b, rng.chance(70) ? 0x0c : rng.byte());  // type: MC_HDLC
  put8(b, rng.byte()), put16(b, rng.u16()), put16(b, rng.u16()), put16(b, rng.u16());
  put32(b, rng.u32());  // the multichannel header
  append(b, mtp2Unit(rng));
  return b;
}

/// Link types libpcap reads only as bytes: a few structured bytes, then random.
Bytes frameBytes(Rng& rng) {
  Bytes b;
  put8(b, rng.below(4)), put8(b, rng.chance(50) ? 1 : rng.byte());
  putRandom(b, rng, rng.range(0, 80));
  return b;
}

constexpr LinkFramer kFramers[] = {
    {6, "IEEE802", frameTokenRing},
    {7, "ARCNET", frameArcnet},
    {8, "SLIP", frameSlip},
    {10, "FDDI", frameFddi},
    {11, "ATM_RFC1483", frameAtmLlc},
    {15, "SLIP_BSDOS", frameSlipBsdos},
    {16, "PPP_BSDOS", framePppBsdos},
    {19, "ATM_CLIP", frameAtmLlc},
    {50, "PPP_SERIAL", framePpp},
    {51, "PPP_ETHER", framePppoe},
    {99, "SYMANTEC_FIREWALL", frameSymantec},
    {104, "C_HDLC", frameCiscoHdlc},
    {107, "FRELAY", frameFrameRelay},
    {109, "ENC", frameEnc},
    {114, "LTALK", frameBytes},
    {122, "IP_OVER_FC", frameIpOverFc},
    {123, "SUNATM", frameSunAtm},
    {129, "ARCNET_LINUX", frameArcnetLinux},
    {130, "JUNIPER_MLPPP", frameJuniper<4>},
    {131, "JUNIPER_MLFR", frameJuniper<4>},
    {132, "JUNIPER_ES", frameJuniper<0>},
    {134, "JUNIPER_MFR", frameJuniper<4>},
    {136, "JUNIPER_SERVICES", frameJuniper<0>},
    {137, "JUNIPER_ATM1", frameJuniper<4>},
    {133, "JUNIPER_GGSN", frameJuniper<12>},
    {135, "JUNIPER_ATM2", frameJuniper<8>},
    {138, "APPLE_IP_OVER_IEEE1394", frameFirewire},
    {139, "MTP2_WITH_PHDR", frameMtp2Phdr},
    {140, "MTP2", frameMtp2},
    {141, "MTP3", frameMtp3},
    {143, "DOCSIS", frameBytes},
    {144, "LINUX_IRDA", frameBytes},
    {149, "149", frameBytes},
    {160, "160", frameBytes},
    {164, "JUNIPER_MONITOR", frameJuniper<12>},
    {165, "BACNET_MS_TP", frameMstp},
    {166, "PPP_PPPD", framePppPppd},
    {167, "JUNIPER_PPPOE", frameJuniper<32>},
    {168, "JUNIPER_PPPOE_ATM", frameJuniper<6>},
    {174, "JUNIPER_PIC_PEER", frameBytes},
    {177, "LINUX_LAPD", frameBytes},
    {178, "JUNIPER_ETHER", frameJuniper<32>},
    {179, "JUNIPER_PPP", frameJuniper<4>},
    {180, "JUNIPER_FRELAY", frameJuniper<4>},
    {181, "JUNIPER_CHDLC", frameJuniper<4>},
    {182, "MFR", frameBytes},
    {183, "JUNIPER_VP", frameJuniper<0>},
    {189, "USB_LINUX", frameBytes},
    {194, "JUNIPER_ISM", frameJuniper<0>},
    {195, "IEEE802_15_4", frameBytes},
    {197, "ERF", frameErf},
    {200, "JUNIPER_ST", frameJuniper<0>},
    {226, "IPNET", frameIpnet},
    {231, "DBUS", frameBytes},
    {232, "JUNIPER_VS", frameJuniper<0>},
    {233, "JUNIPER_SRX_E2E", frameJuniper<0>},
    {234, "JUNIPER_FIBRECHANNEL", frameJuniper<0>},
    {238, "JUNIPER_ATM_CEMIC", frameJuniper<0>},
    {239, "NFLOG", frameBytes},
    {240, "NETANALYZER", frameNetanalyzer},
    {241, "NETANALYZER_TRANSPARENT", frameNetanalyzerTransparent},
    {242, "IPOIB", frameBytes},
    {246, "PFSYNC", frameBytes},
    {258, "PKTAP", frameBytes},
    {271, "VSOCK", frameBytes},
    {281, "DSA_TAG_BRCM", frameBytes},
    {282, "DSA_TAG_BRCM_PREPEND", frameBytes},
    {284, "DSA_TAG_DSA", frameBytes},
    {285, "DSA_TAG_EDSA", frameBytes},
};

}  // namespace

std::span<const LinkFramer> linkFramers() { return kFramers; }

const LinkFramer* findLinkFramer(uint32_t dlt) {
  for (const LinkFramer& f : kFramers)
    if (f.dlt == dlt) return &f;
  return nullptr;
}

}  // namespace sift::gen::detail
