// What the capture-file readers share: opening a file (read a window at a
// time, so pipes work and memory stays bounded) or a memory buffer and
// choosing the format by magic number, the LINKTYPE <-> DLT mapping, the
// snapshot-length limits libpcap applies, and time-stamp scaling.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "capture/capture_internal.h"

namespace sift::capture {
namespace detail {

namespace {

// LINKTYPE_ values whose DLT_ value differs on Linux; every other value is
// the same number in both spaces.
struct LinktypePair {
  uint32_t linktype;
  uint32_t dlt;
};
constexpr LinktypePair kLinktypePairs[] = {
    {100, 11},  // ATM_RFC1483
    {101, 12},  // RAW
    {102, 15},  // SLIP_BSDOS
    {103, 16},  // PPP_BSDOS
    {106, 19},  // ATM_CLIP
};

constexpr uint32_t kDefaultMaxSnaplen = 262144;

}  // namespace

uint32_t linktypeToDlt(uint32_t linktype) {
  for (const auto& p : kLinktypePairs)
    if (p.linktype == linktype) return p.dlt;
  return linktype;
}

uint32_t dltToLinktype(uint32_t dlt) {
  for (const auto& p : kLinktypePairs)
    if (p.dlt == dlt) return p.linktype;
  return dlt;
}

uint32_t maxSnaplenForDlt(uint32_t dlt) {
  switch (dlt) {
    case 231: return 128u * 1024 * 1024;  // DBUS
    case 279: return 8u * 1024 * 1024;    // EBHSCR
    case 249: return 1024u * 1024;        // USBPCAP
    default: return kDefaultMaxSnaplen;
  }
}

uint32_t effectiveSnaplen(uint32_t dlt, uint32_t snaplen) {
  if (snaplen == 0 || snaplen > 0x7fffffffu) return maxSnaplenForDlt(dlt);
  return snaplen;
}

void splitTimestamp(uint64_t ticks, TimeResolution res, int64_t& seconds, uint32_t& nanoseconds) {
  uint64_t whole, frac;
  if (res.binary) {
    if (res.exponent == 0) {
      whole = ticks;
      frac = 0;
    } else {
      whole = ticks >> res.exponent;
      frac = ticks & ((uint64_t(1) << res.exponent) - 1);
    }
    nanoseconds = uint32_t((static_cast<unsigned __int128>(frac) * 1000000000u) >> res.exponent);
  } else {
    uint64_t unit = 1;
    for (int i = 0; i < res.exponent; ++i) unit *= 10;
    whole = ticks / unit;
    frac = ticks % unit;
    if (res.exponent <= 9) {
      for (int i = res.exponent; i < 9; ++i) frac *= 10;
    } else {
      for (int i = 9; i < res.exponent; ++i) frac /= 10;
    }
    nanoseconds = uint32_t(frac);
  }
  seconds = int64_t(whole);
}

Diagnostic fileError(const std::string& name, const std::string& message) {
  return Diagnostic::error(name + ": " + message);
}

std::string systemError(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

namespace {

// A window over a file descriptor: bytes from `start_` to `start_ +
// buffer_.size()`. Released bytes are dropped when the window is refilled.
class StreamSource final : public ByteSource {
 public:
  StreamSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~StreamSource() override { ::close(fd_); }

  Expected<size_t> fetch(size_t offset, size_t n, const uint8_t*& data) override {
    size_t want = offset + n;
    while (start_ + buffer_.size() < want && !eof_) {
      if (released_ > start_) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + std::ptrdiff_t(released_ - start_));
        start_ = released_;
      }
      size_t missing = want - (start_ + buffer_.size());
      size_t chunk = missing > kChunk ? missing : kChunk;
      size_t old = buffer_.size();
      buffer_.resize(old + chunk);
      ssize_t got;
      do {
        got = ::read(fd_, buffer_.data() + old, chunk);
      } while (got < 0 && errno == EINTR);
      if (got < 0) {
        int err = errno;
        buffer_.resize(old);
        return Diagnostic::error("cannot read '" + name_ + "': " + systemError(err));
      }
      buffer_.resize(old + size_t(got));
      if (got == 0) eof_ = true;
    }
    size_t end = start_ + buffer_.size();
    size_t avail = offset < end ? end - offset : 0;
    data = buffer_.data() + (offset < end ? offset - start_ : buffer_.size());
    return n < avail ? n : avail;
  }

  void release(size_t offset) override {
    if (offset > released_) released_ = offset;
  }

 private:
  static constexpr size_t kChunk = 1 << 16;
  int fd_;
  std::string name_;
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;
  size_t released_ = 0;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> makeStreamSource(int fd, std::string name) {
  return std::make_unique<StreamSource>(fd, std::move(name));
}

}  // namespace detail

namespace {

constexpr uint32_t kPcapMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kPcapMagicNano = 0xa1b23c4d;
constexpr uint32_t kPcapMagicModified = 0xa1b2cd34;
constexpr uint32_t kPcapNgMagic = 0x0a0d0d0a;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

Expected<std::unique_ptr<Reader>> openSource(std::unique_ptr<detail::ByteSource> source, std::string name) {
  const uint8_t* p = nullptr;
  auto got = source->fetch(0, 4, p);
  if (!got) return got.takeError();
  if (*got < 4) {
    return detail::fileError(name, "file of " + std::to_string(*got) +
                                       " bytes is too short for a capture file header");
  }
  uint32_t le = detail::load32(p, false);
  uint32_t be = detail::load32(p, true);
  for (uint32_t magic : {kPcapMagicMicro, kPcapMagicNano, kPcapMagicModified}) {
    if (le == magic || be == magic) return detail::openPcap(std::move(source), std::move(name));
  }
  if (le == kPcapNgMagic) return detail::openPcapNg(std::move(source), std::move(name));
  return detail::fileError(name, "not a pcap or pcapng file: unknown magic number " + hex32(be) +
                                     " at offset 0");
}

}  // namespace

Expected<std::unique_ptr<Reader>> openMemory(std::span<const uint8_t> bytes, std::string name) {
  return openSource(std::make_unique<detail::MemorySource>(bytes), std::move(name));
}

Expected<std::unique_ptr<Reader>> openFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Diagnostic::error("cannot open '" + path + "': " + detail::systemError(errno));
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Diagnostic::error("cannot read '" + path + "': is a directory");
  }
  return openSource(detail::makeStreamSource(fd, path), path);
}

}  // namespace sift::capture
