// Internals of the packet summary shared by summary.cpp (link layers,
// Ethernet, ARP) and summary_ip.cpp (IPv4, IPv6 and what they carry).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace sift::cli::detail {

/// A protocol layer: the captured bytes from its first byte on, and how
/// many bytes it had on the wire. Every read is bounds-checked by the
/// caller through has(); reads past the captured bytes are a bug.
struct Layer {
  std::span<const uint8_t> bytes;
  uint32_t length = 0;

  bool has(size_t n) const { return bytes.size() >= n; }
  uint8_t u8(size_t at) const { return bytes[at]; }
  uint16_t u16(size_t at) const { return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]); }
  uint32_t u32(size_t at) const {
    return static_cast<uint32_t>(bytes[at]) << 24 | static_cast<uint32_t>(bytes[at + 1]) << 16 |
           static_cast<uint32_t>(bytes[at + 2]) << 8 | bytes[at + 3];
  }
  /// The layer that starts `n` bytes further on.
  Layer skip(size_t n) const {
    Layer next;
    next.bytes = n <= bytes.size() ? bytes.subspan(n) : std::span<const uint8_t>{};
    next.length = n <= length ? static_cast<uint32_t>(length - n) : 0;
    return next;
  }
  /// The same layer with its wire length cut to `n` (an IP total length).
  Layer limit(uint32_t n) const {
    Layer cut = *this;
    if (n < cut.length) cut.length = n;
    if (n < cut.bytes.size()) cut.bytes = cut.bytes.first(n);
    return cut;
  }
};

void appendIPv4(std::string& out, const uint8_t* address);
void appendIPv6(std::string& out, const uint8_t* address);
void appendMac(std::string& out, const uint8_t* address);
void appendHex(std::string& out, uint32_t value, int digits);

/// Ethernet-style dispatch on a protocol type (EtherType) for every link
/// layer that carries one. Returns false when the type is not one the
/// summary knows, leaving `out` untouched.
bool describeEtherType(std::string& out, uint16_t type, Layer payload);

void describeIPv4(std::string& out, Layer ip);
void describeIPv6(std::string& out, Layer ip);

}  // namespace sift::cli::detail
