// Packet summary, network and transport layers: IPv4, IPv6 (hop-by-hop,
// destination options, routing and fragment headers), TCP, UDP, ICMP and
// ICMPv6, printed the way `tcpdump -q -n` prints them.
#include <arpa/inet.h>

#include <string>

#include "cli/summary_detail.h"

namespace sift::cli::detail {
namespace {

constexpr uint8_t kProtoIcmp = 1, kProtoIgmp = 2, kProtoIpIp = 4, kProtoTcp = 6, kProtoUdp = 17,
                  kProtoIPv6 = 41, kProtoEsp = 50, kProtoAh = 51, kProtoIcmp6 = 58, kProtoPim = 103,
                  kProtoSctp = 132;

/// PIM version 2 message types, by number, as tcpdump names them.
const char* pimv2TypeName(unsigned type) {
  static const char* const kNames[] = {"Hello",         "Register",        "Register Stop",
                                       "Join / Prune",  "Bootstrap",       "Assert",
                                       "Graft",         "Graft Acknowledgement", "Candidate RP Advertisement",
                                       "Prune Refresh", "DF Election",     "ECMP Redirect"};
  return type < sizeof(kNames) / sizeof(kNames[0]) ? kNames[type] : "Unknown Type";
}

/// A number in hexadecimal without leading zeros.
std::string hexNumber(uint32_t value) {
  std::string digits;
  int width = 1;
  while (width < 8 && (value >> (4 * width)) != 0) ++width;
  appendHex(digits, value, width);
  return digits;
}

/// The two ends of a transport conversation as already printed text:
/// "10.0.0.1" and "10.0.0.2", or empty when the network layer has printed
/// the addresses itself (after IPv6 extension headers) and only the ports
/// are left to print.
struct Ends {
  std::string src, dst;
};

void appendEnds(std::string& out, const Ends& ends) {
  if (ends.src.empty() && ends.dst.empty()) return;
  out += ends.src;
  out += " > ";
  out += ends.dst;
  out += ": ";
}

void appendPorts(std::string& out, const Ends& ends, uint16_t sport, uint16_t dport) {
  out += ends.src;
  if (!ends.src.empty()) out += '.';
  out += std::to_string(sport);
  out += " > ";
  out += ends.dst;
  if (!ends.dst.empty()) out += '.';
  out += std::to_string(dport);
  out += ": ";
}

void describeTcp(std::string& out, const Ends& ends, Layer tcp) {
  if (!tcp.has(4)) {
    appendEnds(out, ends);
    out += "[|tcp]";
    return;
  }
  appendPorts(out, ends, tcp.u16(0), tcp.u16(2));
  if (!tcp.has(20)) {
    out += " [|tcp]";
    return;
  }
  uint32_t headerLength = (tcp.u8(12) >> 4) * 4u;
  if (headerLength < 20) {
    out += "tcp 0 [bad hdr length " + std::to_string(headerLength) + " - too short, < 20]";
    return;
  }
  uint32_t data = tcp.length >= headerLength ? tcp.length - headerLength : 0;
  out += "tcp " + std::to_string(data);
}

void describeUdp(std::string& out, const Ends& ends, Layer udp) {
  if (!udp.has(4)) {
    appendEnds(out, ends);
    out += "[|udp]";
    return;
  }
  appendPorts(out, ends, udp.u16(0), udp.u16(2));
  if (!udp.has(8)) {
    out += " [|udp]";
    return;
  }
  uint32_t length = udp.u16(4);
  if (length < 8) {
    out += "UDP, bad length " + std::to_string(length) + " < 8";
    return;
  }
  if (length > udp.length) {
    out += "UDP, bad length " + std::to_string(length - 8) + " > " +
           std::to_string(udp.length >= 8 ? udp.length - 8 : 0);
    return;
  }
  out += "UDP, length " + std::to_string(length - 8);
}

/// ICMP messages that quote an IP header name its destination and, for
/// unreachable ports, the transport protocol and port.
bool describeIcmpUnreachable(std::string& out, Layer icmp) {
  Layer inner = icmp.skip(8);
  if (!inner.has(20)) return false;
  std::string dst;
  appendIPv4(dst, inner.bytes.data() + 16);
  uint8_t proto = inner.u8(9);
  uint32_t innerHeader = (inner.u8(0) & 0x0f) * 4u;
  switch (icmp.u8(1)) {
    case 0: out += "net " + dst + " unreachable"; break;
    case 1: out += "host " + dst + " unreachable"; break;
    case 2: out += dst + " protocol " + std::to_string(proto) + " unreachable"; break;
    case 3: {
      if (!inner.has(innerHeader + 4)) return false;
      uint16_t port = inner.u16(innerHeader + 2);
      const char* name = proto == kProtoTcp ? "tcp" : proto == kProtoUdp ? "udp" : nullptr;
      if (name)
        out += dst + " " + name + " port " + std::to_string(port) + " unreachable";
      else
        out += dst + " protocol " + std::to_string(proto) + " port " + std::to_string(port) + " unreachable";
      break;
    }
    case 4: out += dst + " unreachable - need to frag (mtu " + std::to_string(icmp.u16(6)) + ")"; break;
    case 5: out += dst + " unreachable - source route failed"; break;
    case 6: out += "net " + dst + " unreachable - unknown"; break;
    case 7: out += "host " + dst + " unreachable - unknown"; break;
    case 9: out += "net " + dst + " unreachable - admin prohibited"; break;
    case 10: out += "host " + dst + " unreachable - admin prohibited"; break;
    case 13: out += "host " + dst + " unreachable - admin prohibited filter"; break;
    default: out += dst + " unreachable - #" + std::to_string(icmp.u8(1)); break;
  }
  return true;
}

void describeIcmp(std::string& out, const Ends& ends, Layer icmp) {
  appendEnds(out, ends);
  if (!icmp.has(4)) {
    out += "[|icmp]";
    return;
  }
  uint8_t type = icmp.u8(0), code = icmp.u8(1);
  std::string text = "ICMP ";
  bool complete = true;
  auto idSeq = [&](const char* name, const char* sep) {
    if (!icmp.has(8)) return false;
    text += name;
    text += sep;
    text += "id " + std::to_string(icmp.u16(4)) + sep + "seq " + std::to_string(icmp.u16(6));
    return true;
  };
  switch (type) {
    case 0: complete = idSeq("echo reply", ", "); break;
    case 8: complete = idSeq("echo request", ", "); break;
    case 13: complete = idSeq("time stamp query", " "); break;
    case 3: complete = describeIcmpUnreachable(text, icmp); break;
    case 11:
      complete = icmp.skip(8).has(20);
      text += code == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded";
      break;
    case 4: text += "source quench"; break;
    case 5: complete = icmp.skip(8).has(20); text += "redirect"; break;
    case 9: text += "router advertisement"; break;
    case 10: text += "router solicitation"; break;
    case 12: complete = icmp.skip(8).has(20); text += "parameter problem"; break;
    case 14: text += "time stamp reply"; break;
    case 15: text += "information request"; break;
    case 16: text += "information reply"; break;
    case 17: text += "address mask request"; break;
    case 18:
      if (!icmp.has(12)) {
        complete = false;
        break;
      }
      text += "address mask is 0x";
      appendHex(text, icmp.u32(8), 8);
      break;
    default: text += "type-#" + std::to_string(type); break;
  }
  if (!complete) {
    out += " [|icmp]";
    return;
  }
  out += text;
  out += ", length " + std::to_string(icmp.length);
}

const char* icmp6Name(uint8_t type) {
  switch (type) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded in-transit";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 137: return "redirect";
    case 143: return "multicast listener report v2";
    default: return nullptr;
  }
}

void describeIcmp6(std::string& out, const Ends& ends, Layer icmp) {
  appendEnds(out, ends);
  if (icmp.length < 4) {  // too short on the wire to be a message at all
    out += "ICMP6, length " + std::to_string(icmp.length) + " (invalid)";
    return;
  }
  if (!icmp.has(4)) {
    out += "[|icmp6]";
    return;
  }
  uint8_t type = icmp.u8(0);
  out += "ICMP6, ";
  if (const char* name = icmp6Name(type))
    out += name;
  else
    out += "unknown icmp6 type (" + std::to_string(type) + ")";
  if (type == 128 || type == 129) {
    if (!icmp.has(8)) {
      out += " [|icmp6]";
      return;
    }
    out += ", id " + std::to_string(icmp.u16(4)) + ", seq " + std::to_string(icmp.u16(6));
  } else if (type == 135 || type == 136) {
    if (!icmp.has(24)) {
      out += " [|icmp6]";
      return;
    }
    out += type == 135 ? ", who has " : ", tgt is ";
    appendIPv6(out, icmp.bytes.data() + 8);
  } else if (type == 143 && icmp.has(8)) {
    out += ", " + std::to_string(icmp.u16(6)) + " group record(s)";
  }
  out += ", length " + std::to_string(icmp.length);
}

/// What an IP packet carries, after the network header.
void describeTransport(std::string& out, uint8_t proto, Ends ends, Layer payload, bool overIPv6) {
  // Each pass of the loop describes one header; an AH header goes on to
  // the one it protects (in a loop, so that nested headers cost no stack).
  for (;;) {
    switch (proto) {
      case kProtoTcp: describeTcp(out, ends, payload); return;
      case kProtoUdp: describeUdp(out, ends, payload); return;
      case kProtoIcmp:
        if (overIPv6) {
          appendEnds(out, ends);
          out += "[ICMP requires IPv4] (invalid)";
        } else {
          describeIcmp(out, ends, payload);
        }
        return;
      case kProtoIcmp6:
        if (overIPv6) {
          describeIcmp6(out, ends, payload);
        } else {
          appendEnds(out, ends);
          out += "[ICMPv6 requires IPv6] (invalid)";
        }
        return;
      case kProtoIgmp:
        if (!overIPv6) {
          appendEnds(out, ends);
          out += "igmp";
          return;
        }
        break;
      case kProtoSctp:
        if (payload.has(4)) {
          appendPorts(out, ends, payload.u16(0), payload.u16(2));
          out += "sctp";
          return;
        }
        break;
      case kProtoEsp:
        if (payload.has(8)) {
          appendEnds(out, ends);
          out += "ESP(spi=0x";
          appendHex(out, payload.u32(0), 8);
          out += ",seq=0x" + hexNumber(payload.u32(4)) + "), length " + std::to_string(payload.length);
          return;
        }
        break;
      case kProtoAh: {
        // As tcpdump: the fields as far as the capture holds them, then what
        // the header protects, whose transport header prints only its ports.
        appendEnds(out, ends);
        if (!payload.has(1)) {
          out += " [|ah]";
          return;
        }
        out += "AH";
        if (!payload.has(2)) {
          out += " [|ah]";
          return;
        }
        out += '(';
        if (!payload.has(4)) {
          out += " [|ah]";
          return;
        }
        if (const uint16_t reserved = payload.u16(2)) out += "reserved=0x" + hexNumber(reserved) + "[MustBeZero],";
        if (!payload.has(8)) {
          out += " [|ah]";
          return;
        }
        out += "spi=0x";
        appendHex(out, payload.u32(4), 8);
        out += ',';
        if (!payload.has(12)) {
          out += " [|ah]";
          return;
        }
        out += "seq=0x" + hexNumber(payload.u32(8)) + ",icv=0x";
        const size_t total = (payload.u8(1) + 2u) * 4u;  // the header's length, ICV included
        for (size_t i = 12; i < total && payload.has(i + 1); ++i) appendHex(out, payload.u8(i), 2);
        if (!payload.has(total)) {
          out += " [|ah]";
          return;
        }
        out += "): ";
        proto = payload.u8(0);
        payload = payload.skip(total);
        ends = Ends{};
        continue;
      }
      case kProtoPim: {
        appendEnds(out, ends);
        if (!payload.has(1)) {
          out += " [|pim]";
          return;
        }
        const unsigned version = payload.u8(0) >> 4;
        out += "PIMv" + std::to_string(version);
        if (version == 2) out += std::string(", ") + pimv2TypeName(payload.u8(0) & 0x0f);
        out += ", length " + std::to_string(payload.length);
        return;
      }
      case kProtoIpIp:
        appendEnds(out, ends);
        describeIPv4(out, payload);
        return;
      case kProtoIPv6:
        appendEnds(out, ends);
        describeIPv6(out, payload);
        return;
      default: break;
    }
    break;
  }
  appendEnds(out, ends);
  out += " ip-proto-" + std::to_string(proto) + " " + std::to_string(payload.length);
}

}  // namespace

void describeIPv4(std::string& out, Layer ip) {
  if (ip.has(1) && ip.u8(0) >> 4 != 4) {
    if (ip.u8(0) >> 4 == 6)
      out += "IP6, wrong link-layer encapsulation (invalid)";
    else
      out += "IP" + std::to_string(ip.u8(0) >> 4) + " (invalid)";
    return;
  }
  if (!ip.has(20)) {
    out += "IP  [|ip]";
    return;
  }
  uint32_t headerLength = (ip.u8(0) & 0x0f) * 4u;
  uint32_t totalLength = ip.u16(2);
  if (headerLength < 20) {
    out += "IP bad-hlen " + std::to_string(headerLength);
    return;
  }
  if (totalLength < headerLength) {
    out += "IP bad-len " + std::to_string(totalLength);
    return;
  }
  out += "IP ";
  if (totalLength > ip.length)
    out += "truncated-ip - " + std::to_string(totalLength - ip.length) + " bytes missing! ";
  // Lengths further up follow the header, as tcpdump's do, even when the
  // packet on the wire was shorter; link-layer padding is dropped.
  ip = ip.limit(totalLength);
  ip.length = totalLength;
  Ends ends;
  appendIPv4(ends.src, ip.bytes.data() + 12);
  appendIPv4(ends.dst, ip.bytes.data() + 16);
  uint8_t proto = ip.u8(9);
  if (!ip.has(headerLength)) {
    appendEnds(out, ends);
    out += " [|ip]";
    return;
  }
  if ((ip.u16(6) & 0x1fff) != 0) {  // a later fragment: no transport header
    appendEnds(out, ends);
    out += "ip-proto-" + std::to_string(proto);
    return;
  }
  describeTransport(out, proto, ends, ip.skip(headerLength), false);
}

void describeIPv6(std::string& out, Layer ip) {
  if (!ip.has(40)) {
    out += " [|ip6]";
    return;
  }
  if (ip.u8(0) >> 4 != 6) {
    out += "IP6 version error: " + std::to_string(ip.u8(0) >> 4) + " != 6";
    return;
  }
  uint32_t payloadLength = ip.u16(4);
  out += "IP6 ";
  if (payloadLength == 0 && ip.u8(6) == 0)  // a jumbogram: the length is in an option
    payloadLength = ip.length - 40;
  if (40 + payloadLength > ip.length)
    out += "truncated-ip6 - " + std::to_string(40 + payloadLength - ip.length) + " bytes missing!";  // sic: no space
  ip = ip.limit(40 + payloadLength);
  ip.length = 40 + payloadLength;
  Ends ends;
  appendIPv6(ends.src, ip.bytes.data() + 8);
  appendIPv6(ends.dst, ip.bytes.data() + 24);
  uint8_t next = ip.u8(6);
  Layer rest = ip.skip(40);
  // Extension headers: once one is printed the addresses are out, and the
  // transport layer prints only its ports.
  bool printedEnds = false;
  for (int guard = 0; guard < 16; ++guard) {
    const char* name = nullptr;
    switch (next) {
      case 0: name = "HBH "; break;
      case 60: name = "DSTOPT "; break;
      case 43: name = "srcrt "; break;
      case 44: name = "frag "; break;
      default: break;
    }
    if (!name) break;
    if (!printedEnds) {
      appendEnds(out, ends);
      ends = Ends{};
      printedEnds = true;
    }
    if (next == 44) {
      if (!rest.has(8)) {
        out += "frag [|frag6]";
        return;
      }
      uint16_t offset = rest.u16(2) & 0xfff8;
      uint32_t fragmentLength = rest.length >= 8 ? rest.length - 8 : 0;
      out += "frag (" + std::to_string(offset) + "|" + std::to_string(fragmentLength) + ")";
      if (offset != 0) return;
      out += ' ';
      next = rest.u8(0);
      rest = rest.skip(8);
      continue;
    }
    if (!rest.has(2)) {
      out += name;
      out += "[|ip6]";
      return;
    }
    out += name;
    uint32_t size = (rest.u8(1) + 1u) * 8u;
    next = rest.u8(0);
    rest = rest.skip(size);
  }
  describeTransport(out, next, ends, rest, true);
}

void appendIPv4(std::string& out, const uint8_t* a) {
  out += std::to_string(a[0]) + '.' + std::to_string(a[1]) + '.' + std::to_string(a[2]) + '.' +
         std::to_string(a[3]);
}

void appendIPv6(std::string& out, const uint8_t* a) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET6, a, text, sizeof text))
    out += text;
  else
    out += "?";
}

void appendHex(std::string& out, uint32_t value, int digits) {
  static const char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kDigits[(value >> (4 * i)) & 0xf];
}

void appendMac(std::string& out, const uint8_t* a) {
  for (int i = 0; i < 6; ++i) {
    if (i) out += ':';
    appendHex(out, a[i], 2);
  }
}

}  // namespace sift::cli::detail
