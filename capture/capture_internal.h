// Internal pieces shared by the capture-file readers and writers: byte-order
// aware loads, the LINKTYPE <-> DLT mapping, snapshot-length limits and the
// atomic temporary file the writers use. Not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sift/capture.h"

namespace sift::capture::detail {

/// Loads from file bytes in the file's byte order (readers always decode
/// explicitly, never through the host's order).
inline uint16_t load16(const uint8_t* p, bool bigEndian) {
  return bigEndian ? uint16_t(p[0] << 8 | p[1]) : uint16_t(p[1] << 8 | p[0]);
}
inline uint32_t load32(const uint8_t* p, bool bigEndian) {
  return bigEndian ? uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]
                   : uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}
inline uint64_t load64(const uint8_t* p, bool bigEndian) {
  uint64_t a = load32(p, bigEndian), b = load32(p + 4, bigEndian);
  return bigEndian ? a << 32 | b : b << 32 | a;
}

/// Appends little-endian values (the writers always write little endian).
inline void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
inline void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void put64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

/// The LINKTYPE_ number stored in files -> the DLT_ number libpcap hands to
/// pcap_compile on this platform (they differ for a handful of old types).
uint32_t linktypeToDlt(uint32_t linktype);
/// The reverse, for writers.
uint32_t dltToLinktype(uint32_t dlt);
/// The largest captured length libpcap considers sane for a DLT.
uint32_t maxSnaplenForDlt(uint32_t dlt);
/// libpcap's snapshot length for a header value: zero (or a value that is
/// negative as a signed 32-bit number) means the maximum for the DLT.
uint32_t effectiveSnaplen(uint32_t dlt, uint32_t snaplen);

/// Splits a count of `unitsPerSecond`-style ticks into seconds and
/// nanoseconds; used by both readers.
struct TimeResolution {
  bool binary = false;  // 2^-exponent seconds, else 10^-exponent
  uint8_t exponent = 6;
};
void splitTimestamp(uint64_t ticks, TimeResolution res, int64_t& seconds, uint32_t& nanoseconds);

/// Formats "NAME: MESSAGE" as a Diagnostic.
Diagnostic fileError(const std::string& name, const std::string& message);
/// strerror(err) with a lower-case first letter.
std::string systemError(int err);

/// Where a reader's bytes come from: a buffer in memory, or a file or pipe
/// read a window at a time, so memory use is bounded by the largest record
/// or block (which the readers bound before asking for it), not the file.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Makes bytes [offset, offset + n) available at `data` and returns how
  /// many there are: n, or fewer at the end of the input. Pointers from an
  /// earlier fetch are invalid afterwards. `offset` is never below the last
  /// release().
  virtual Expected<size_t> fetch(size_t offset, size_t n, const uint8_t*& data) = 0;
  /// Bytes before `offset` will not be fetched again.
  virtual void release(size_t offset) {}
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  Expected<size_t> fetch(size_t offset, size_t n, const uint8_t*& data) override {
    size_t avail = offset < bytes_.size() ? bytes_.size() - offset : 0;
    data = bytes_.data() + (offset < bytes_.size() ? offset : bytes_.size());
    return n < avail ? n : avail;
  }

 private:
  std::span<const uint8_t> bytes_;
};

/// Reads an open file descriptor (which it closes) sequentially.
std::unique_ptr<ByteSource> makeStreamSource(int fd, std::string name);

/// Reader factories; the reader owns its source.
Expected<std::unique_ptr<Reader>> openPcap(std::unique_ptr<ByteSource> source, std::string name);
Expected<std::unique_ptr<Reader>> openPcapNg(std::unique_ptr<ByteSource> source, std::string name);

/// A file written beside its final path and renamed into place on commit.
/// Destroying an uncommitted AtomicFile removes the temporary.
class AtomicFile {
 public:
  static Expected<std::unique_ptr<AtomicFile>> create(const std::string& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Buffers bytes; flushes to the temporary when the buffer is full.
  Status append(std::span<const uint8_t> bytes);
  /// Flushes, syncs, and renames the temporary over the target.
  Status commit();
  bool committed() const { return committed_; }
  const std::string& path() const { return path_; }

 private:
  AtomicFile() = default;
  Status flush();
  void discard();

  std::string path_;
  std::string tempPath_;
  int fd_ = -1;
  bool committed_ = false;
  bool failed_ = false;
  std::vector<uint8_t> buffer_;
};

}  // namespace sift::capture::detail
