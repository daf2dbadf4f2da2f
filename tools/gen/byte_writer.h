// Byte-building helpers shared by the packet generator's files: big- and
// little-endian appends and address literals.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace sift::gen::detail {

using Bytes = std::vector<uint8_t>;
using Ip6 = std::array<uint8_t, 16>;
using Mac = std::array<uint8_t, 6>;

inline void put8(Bytes& b, uint32_t v) { b.push_back(static_cast<uint8_t>(v)); }
inline void put16(Bytes& b, uint32_t v) {
  put8(b, v >> 8);
  put8(b, v);
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, v >> 16);
  put16(b, v);
}
inline void putLe16(Bytes& b, uint32_t v) {
  put8(b, v);
  put8(b, v >> 8);
}
inline void putLe32(Bytes& b, uint32_t v) {
  putLe16(b, v);
  putLe16(b, v >> 16);
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
template <size_t N>
void append(Bytes& b, const std::array<uint8_t, N>& more) {
  b.insert(b.end(), more.begin(), more.end());
}

/// An IPv4 address in host order: ipv4(10, 0, 0, 1) == 0x0a000001.
constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

/// An IPv6 address from its leading and trailing 16-bit groups, zeros
/// between: ipv6({0x2001, 0xdb8}, {1}) is 2001:db8::1.
inline Ip6 ipv6(std::initializer_list<uint16_t> head, std::initializer_list<uint16_t> tail = {}) {
  Ip6 a{};
  size_t i = 0;
  for (uint16_t g : head) {
    a[i++] = static_cast<uint8_t>(g >> 8);
    a[i++] = static_cast<uint8_t>(g);
  }
  i = 16 - 2 * tail.size();
  for (uint16_t g : tail) {
    a[i++] = static_cast<uint8_t>(g >> 8);
    a[i++] = static_cast<uint8_t>(g);
  }
  return a;
}

}  // namespace sift::gen::detail
