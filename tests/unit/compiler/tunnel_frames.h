// Hand-made frames for the UDP tunnel tests (geneve_test, vxlan_test):
// Ethernet, IPv4 and IPv6 headers, UDP, joined with cat().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace sift::tunnelframes {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

inline Bytes ethernet(uint16_t type) {
  Bytes b = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};
  put16(b, type);
  return b;
}

/// 10.0.0.1 -> 10.0.0.2, don't-fragment, `ihl` 32-bit words (options
/// are no-ops).
inline Bytes ipv4(uint8_t proto, uint8_t ihl = 5) {
  Bytes b = {static_cast<uint8_t>(0x40 | ihl), 0, 0, 60, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  b.resize(ihl * 4u, 1);
  return b;
}

inline Bytes ipv6(uint8_t next) {
  Bytes b = {0x60, 0, 0, 0, 0, 40, next, 64};
  for (int i = 0; i < 32; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

/// From port 40000 to `dport`.
inline Bytes udp(uint16_t dport) {
  Bytes b;
  put16(b, 40000);
  put16(b, dport);
  put16(b, 40);
  put16(b, 0);
  return b;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace sift::tunnelframes
