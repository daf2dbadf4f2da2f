// Helpers for the capture tests: a byte-buffer builder for hand-made pcap
// and pcapng files in either byte order, and a reader that drains a file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sift/capture.h"

namespace sift::capture::test {

class Bytes {
 public:
  explicit Bytes(bool bigEndian = false) : bigEndian_(bigEndian) {}

  Bytes& u8(uint8_t v) {
    data.push_back(v);
    return *this;
  }
  Bytes& u16(uint16_t v) {
    for (int i = 0; i < 2; ++i) u8(uint8_t(v >> (bigEndian_ ? 8 * (1 - i) : 8 * i)));
    return *this;
  }
  Bytes& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(uint8_t(v >> (bigEndian_ ? 8 * (3 - i) : 8 * i)));
    return *this;
  }
  Bytes& u64(uint64_t v) {
    return bigEndian_ ? u32(uint32_t(v >> 32)).u32(uint32_t(v)) : u32(uint32_t(v)).u32(uint32_t(v >> 32));
  }
  Bytes& raw(const std::vector<uint8_t>& v) {
    data.insert(data.end(), v.begin(), v.end());
    return *this;
  }
  Bytes& fill(size_t n, uint8_t v = 0xab) {
    data.insert(data.end(), n, v);
    return *this;
  }
  Bytes& pad4() {
    while (data.size() % 4) u8(0);
    return *this;
  }

  // pcap pieces.
  Bytes& pcapHeader(uint32_t magic = 0xa1b2c3d4, uint32_t snaplen = 65535, uint32_t linktype = 1,
                    uint16_t major = 2, uint16_t minor = 4) {
    return u32(magic).u16(major).u16(minor).u32(0).u32(0).u32(snaplen).u32(linktype);
  }
  Bytes& pcapRecord(uint32_t sec, uint32_t frac, uint32_t cap, uint32_t wire, size_t present) {
    return u32(sec).u32(frac).u32(cap).u32(wire).fill(present);
  }

  // pcapng pieces; bodies are built with a nested Bytes of the same order.
  Bytes block(uint32_t type) const { return Bytes(bigEndian_).u32(type).u32(0); }
  /// Finishes a block started with block(): pads, then fixes both lengths.
  Bytes& endBlock(Bytes b) {
    b.pad4();
    uint32_t length = uint32_t(b.data.size() + 4);
    b.u32(length);
    Bytes len(bigEndian_);
    len.u32(length);
    for (int i = 0; i < 4; ++i) b.data[4 + i] = len.data[i];
    return raw(b.data);
  }
  Bytes& shb(uint16_t major = 1, uint16_t minor = 0) {
    return endBlock(block(0x0a0d0d0a).u32(0x1a2b3c4d).u16(major).u16(minor).u64(~uint64_t(0)));
  }
  Bytes& idb(uint16_t linktype = 1, uint32_t snaplen = 65535) {
    return endBlock(block(1).u16(linktype).u16(0).u32(snaplen));
  }
  Bytes& epb(uint32_t interfaceId, uint64_t ticks, uint32_t cap, uint32_t wire, size_t present) {
    return endBlock(block(6).u32(interfaceId).u32(uint32_t(ticks >> 32)).u32(uint32_t(ticks)).u32(cap).u32(wire)
                        .fill(present));
  }

  std::vector<uint8_t> data;

 private:
  bool bigEndian_;
};

struct Drained {
  std::vector<PacketHeader> headers;
  std::vector<std::vector<uint8_t>> payloads;
  std::string error;  // empty when the file ended cleanly
};

inline Drained drain(Reader& reader) {
  Drained d;
  Packet p;
  for (;;) {
    auto r = reader.next(p);
    if (!r) {
      d.error = r.error().message;
      return d;
    }
    if (!*r) return d;
    d.headers.push_back(p.header);
    d.payloads.emplace_back(p.data.begin(), p.data.end());
  }
}

/// Opens bytes and drains them; an open error lands in `error` too.
inline Drained drainMemory(const std::vector<uint8_t>& bytes, std::string name = "test.pcap") {
  auto r = openMemory(bytes, std::move(name));
  if (!r) return Drained{{}, {}, r.error().message};
  return drain(**r);
}

}  // namespace sift::capture::test
