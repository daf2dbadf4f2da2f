// Packet summary, link layers: the entry point describePacket(), the link
// types it understands, Ethernet with VLAN tags and LLC/SNAP, the
// EtherType dispatch, ARP, and time stamps.
#include "cli/summary.h"

#include <cstdio>
#include <ctime>

#include "cli/summary_detail.h"

namespace sift::cli {
namespace {

using detail::Layer;

// Link-layer values as they appear in capture files (LINKTYPE_*) and, where
// they differ, as DLT_* on the running system.
constexpr uint32_t kNull = 0, kEthernet = 1, kPpp = 9, kRawBsd = 12, kRawOpenBsd = 14, kRaw = 101,
                   kLoop = 108, kLinuxSll = 113, kIPv4 = 228, kIPv6 = 229, kLinuxSll2 = 276;

constexpr uint16_t kEtherIPv4 = 0x0800, kEtherArp = 0x0806, kEtherRarp = 0x8035, kEtherIPv6 = 0x86dd,
                   kEtherVlan = 0x8100, kEtherQinQ = 0x88a8, kEtherQinQOld = 0x9100, kEtherLldp = 0x88cc;

void describeArp(std::string& out, Layer arp) {
  // tcpdump says "ARP" for RARP too, and nothing but " [|arp]" when the
  // addresses the header announces are not all captured.
  if (!arp.has(8)) {
    out += " [|arp]";
    return;
  }
  uint16_t hardware = arp.u16(0), protocol = arp.u16(2);
  uint8_t hardwareLength = arp.u8(4), protocolLength = arp.u8(5);
  uint16_t op = arp.u16(6);
  if (!arp.has(8 + 2 * (hardwareLength + static_cast<size_t>(protocolLength)))) {
    out += " [|arp]";
    return;
  }
  std::string length = ", length " + std::to_string(arp.length);
  if (protocol != kEtherIPv4 || protocolLength != 4 || hardwareLength == 0) {
    out += "ARP, ";
    out += hardware == 1 ? "Ethernet" : "Unknown Hardware (" + std::to_string(hardware) + ")";
    out += " (len " + std::to_string(hardwareLength) + "), ";
    if (protocol == kEtherIPv4) {
      out += "IPv4";
    } else {
      out += "Unknown Protocol (0x";
      detail::appendHex(out, protocol, 4);
      out += ")";
    }
    out += " (len " + std::to_string(protocolLength) + ")" + length;
    return;
  }
  out += "ARP, ";
  const uint8_t* sha = arp.bytes.data() + 8;
  const uint8_t* spa = sha + hardwareLength;
  const uint8_t* tha = spa + 4;
  const uint8_t* tpa = tha + hardwareLength;
  auto ip = [](const uint8_t* a) {
    std::string s;
    detail::appendIPv4(s, a);
    return s;
  };
  auto mac = [hardwareLength](const uint8_t* a) {
    std::string s;
    for (int i = 0; i < hardwareLength; ++i) {
      if (i) s += ':';
      detail::appendHex(s, a[i], 2);
    }
    return s;
  };
  bool targetMacKnown = false;
  for (int i = 0; i < hardwareLength; ++i) targetMacKnown |= tha[i] != 0;
  switch (op) {
    case 1:
      out += "Request who-has " + ip(tpa);
      if (targetMacKnown) out += " (" + mac(tha) + ")";
      out += " tell " + ip(spa);
      break;
    case 2: out += "Reply " + ip(spa) + " is-at " + mac(sha); break;
    case 3: out += "Reverse Request who-is " + mac(tha) + " tell " + mac(sha); break;
    case 4: out += "Reverse Reply " + mac(tha) + " at " + ip(tpa); break;
    case 8: out += "Inverse Request who-is " + mac(tha) + " tell " + ip(spa); break;
    case 9: out += "Inverse Reply " + mac(sha) + " at " + ip(spa); break;
    default: out += "Unknown (" + std::to_string(op) + ") "; return;  // tcpdump adds a hex dump
  }
  out += length;
}

/// Ethernet, including 802.1Q / 802.1ad tags (which tcpdump -q does not
/// print) and 802.3 frames with an LLC/SNAP header.
void describeEthernet(std::string& out, Layer frame) {
  if (!frame.has(14)) {
    out += "[|ether]";
    return;
  }
  uint32_t frameLength = frame.length;
  const uint8_t* macs = frame.bytes.data();
  uint16_t type = frame.u16(12);
  Layer payload = frame.skip(14);
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    if (!payload.has(4)) {
      out += "[|vlan]";
      return;
    }
    type = payload.u16(2);
    payload = payload.skip(4);
  }
  if (type <= 1500) {  // an 802.3 length field: LLC follows
    if (payload.has(8) && payload.u8(0) == 0xaa && payload.u8(1) == 0xaa && payload.u8(2) == 0x03 &&
        payload.u8(3) == 0 && payload.u8(4) == 0 && payload.u8(5) == 0 &&
        detail::describeEtherType(out, payload.u16(6), payload.skip(8)))
      return;
    detail::appendMac(out, macs + 6);
    out += " > ";
    detail::appendMac(out, macs);
    out += ", 802.3";
    if (payload.has(2)) {
      out += ", dsap 0x";
      detail::appendHex(out, payload.u8(0), 2);
      out += ", ssap 0x";
      detail::appendHex(out, payload.u8(1), 2);
    }
    out += ", length " + std::to_string(frameLength);
    return;
  }
  if (detail::describeEtherType(out, type, payload)) return;
  detail::appendMac(out, macs + 6);
  out += " > ";
  detail::appendMac(out, macs);
  out += ", Unknown Ethertype (0x";
  detail::appendHex(out, type, 4);
  out += "), length " + std::to_string(frameLength) + ": ";
}

/// The address family field of DLT_NULL (host byte order of the machine
/// that wrote the file) and DLT_LOOP (network byte order).
void describeLoopback(std::string& out, Layer frame, bool networkOrder) {
  if (!frame.has(4)) {
    out += "[|null]";
    return;
  }
  uint32_t family = networkOrder ? frame.u32(0)
                                 : static_cast<uint32_t>(frame.u8(0)) | frame.u8(1) << 8 |
                                       frame.u8(2) << 16 | static_cast<uint32_t>(frame.u8(3)) << 24;
  // Families are small numbers: a value with high bits set was written by
  // a machine of the other byte order.
  if (!networkOrder && (family & 0xffff0000) != 0) family = frame.u32(0);
  Layer payload = frame.skip(4);
  switch (family) {
    case 2: detail::describeIPv4(out, payload); return;
    case 24:  // NetBSD, OpenBSD
    case 28:  // FreeBSD
    case 30:  // macOS
      detail::describeIPv6(out, payload);
      return;
    default:
      out += "Unknown AF " + std::to_string(family) + ", length " + std::to_string(frame.length) + ": ";
      return;
  }
}

void describeRaw(std::string& out, Layer ip) {
  if (!ip.has(1)) {
    out += "[|ip]";
    return;
  }
  switch (ip.u8(0) >> 4) {
    case 4: detail::describeIPv4(out, ip); return;
    case 6: detail::describeIPv6(out, ip); return;
    default: out += "unknown ip " + std::to_string(ip.u8(0) >> 4); return;
  }
}

/// Linux cooked capture v1 (16-byte header) and v2 (20-byte header).
void describeLinuxSll(std::string& out, Layer frame, bool version2) {
  size_t headerLength = version2 ? 20 : 16;
  if (!frame.has(headerLength)) {
    out += version2 ? "[|sll2]" : "[|sll]";
    return;
  }
  uint16_t protocol = version2 ? frame.u16(0) : frame.u16(14);
  Layer payload = frame.skip(headerLength);
  if (detail::describeEtherType(out, protocol, payload)) return;
  out += "Unknown Ethertype (0x";
  detail::appendHex(out, protocol, 4);
  out += "), length " + std::to_string(payload.length);
}

void describePpp(std::string& out, Layer frame) {
  if (frame.has(2) && frame.u8(0) == 0xff && frame.u8(1) == 0x03) frame = frame.skip(2);
  if (!frame.has(1)) {
    out += "[|ppp]";
    return;
  }
  uint16_t protocol;
  if (frame.u8(0) & 1) {  // protocol field compression
    protocol = frame.u8(0);
    frame = frame.skip(1);
  } else {
    if (!frame.has(2)) {
      out += "[|ppp]";
      return;
    }
    protocol = frame.u16(0);
    frame = frame.skip(2);
  }
  switch (protocol) {
    case 0x0021: detail::describeIPv4(out, frame); return;
    case 0x0057: detail::describeIPv6(out, frame); return;
    case 0xc021: out += "LCP, length " + std::to_string(frame.length); return;
    case 0x8021: out += "IPCP, length " + std::to_string(frame.length); return;
    case 0x8057: out += "IP6CP, length " + std::to_string(frame.length); return;
    default:
      out += "unknown PPP protocol (0x";
      detail::appendHex(out, protocol, 4);
      out += ") ";
      return;
  }
}

}  // namespace

namespace detail {

bool describeEtherType(std::string& out, uint16_t type, Layer payload) {
  switch (type) {
    case kEtherIPv4: describeIPv4(out, payload); return true;
    case kEtherIPv6: describeIPv6(out, payload); return true;
    case kEtherArp:
    case kEtherRarp: describeArp(out, payload); return true;
    case kEtherLldp: out += "LLDP, length " + std::to_string(payload.length); return true;
    default: return false;
  }
}

}  // namespace detail

std::string describePacket(uint32_t linktype, std::span<const uint8_t> data, uint32_t wireLength) {
  Layer frame{data, wireLength < data.size() ? static_cast<uint32_t>(data.size()) : wireLength};
  std::string out;
  switch (linktype) {
    case kEthernet: describeEthernet(out, frame); break;
    case kRaw:
    case kRawBsd:
    case kRawOpenBsd: describeRaw(out, frame); break;
    case kIPv4:  // tcpdump decodes these by the version nibble too
    case kIPv6: describeRaw(out, frame); break;
    case kNull: describeLoopback(out, frame, false); break;
    case kLoop: describeLoopback(out, frame, true); break;
    case kLinuxSll: describeLinuxSll(out, frame, false); break;
    case kLinuxSll2: describeLinuxSll(out, frame, true); break;
    case kPpp: describePpp(out, frame); break;
    default:
      out += "link type " + std::to_string(linktype) + ", length " + std::to_string(wireLength);
      break;
  }
  return out;
}

std::string formatTimestamp(int64_t seconds, uint32_t nanoseconds, TimestampStyle style) {
  uint32_t micros = nanoseconds / 1000;
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06u ", micros);
  switch (style) {
    case TimestampStyle::None: return {};
    case TimestampStyle::Epoch: return std::to_string(seconds) + fraction;
    case TimestampStyle::TimeOfDay: break;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm local{};
  if (!localtime_r(&t, &local)) return std::string("??:??:??") + fraction;
  char clock[16];
  std::snprintf(clock, sizeof clock, "%02d:%02d:%02d", local.tm_hour, local.tm_min, local.tm_sec);
  return clock + std::string(fraction);
}

}  // namespace sift::cli
