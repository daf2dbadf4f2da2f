// Reader for pcapng files: sections in either byte order (a file may mix
// them), interface description blocks with if_tsresol and if_tsoffset,
// enhanced, simple and obsolete packet blocks; other block types are
// skipped. Each packet carries the link type of its interface. Like libpcap,
// the file must have an interface description block before its first packet.
#include <cstdio>
#include <optional>

#include "capture/capture_internal.h"

namespace sift::capture::detail {
namespace {

constexpr uint32_t kSectionHeader = 0x0a0d0d0a;
constexpr uint32_t kInterfaceDescription = 1;
constexpr uint32_t kObsoletePacket = 2;
constexpr uint32_t kSimplePacket = 3;
constexpr uint32_t kEnhancedPacket = 6;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;

constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptTsResol = 9;
constexpr uint16_t kOptTsOffset = 14;

constexpr uint32_t kMinBlockLength = 12;
constexpr uint32_t kMinSectionHeaderLength = 28;
constexpr uint32_t kMaxSectionHeaderLength = 1024 * 1024;
constexpr uint32_t kDefaultMaxBlockLength = 16 * 1024 * 1024;

struct Interface {
  uint32_t dlt = 0;
  uint32_t snaplen = 0;
  TimeResolution resolution;  // microseconds unless if_tsresol says otherwise
  int64_t offsetSeconds = 0;
};

struct Block {
  uint32_t type = 0;
  size_t offset = 0;              // of the block header in the file
  std::span<const uint8_t> body;  // between the length fields
};

enum class Step : uint8_t { Packet, Other, End };

std::string str(uint64_t v) { return std::to_string(v); }

class PcapNgReader final : public Reader {
 public:
  PcapNgReader(std::unique_ptr<ByteSource> source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {}

  std::optional<Diagnostic> readToFirstInterface();

  FileFormat format() const override { return FileFormat::PcapNg; }
  uint32_t linktype() const override { return firstDlt_; }
  uint32_t snaplen() const override { return firstSnaplen_; }
  Expected<bool> next(Packet& out) override;

 private:
  Expected<Step> step(Packet& out);
  Expected<Block> readBlock();
  std::optional<Diagnostic> sectionHeader(const Block& b);
  std::optional<Diagnostic> interfaceDescription(const Block& b);
  Expected<const Interface*> interfaceFor(const Block& b, uint32_t id);
  Expected<Step> packet(const Block& b, Packet& out);

  Diagnostic fail(std::string message) {
    error_ = fileError(name_, std::move(message));
    return *error_;
  }
  // A fetch whose I/O error, if any, becomes the reader's error.
  Expected<size_t> fetch(size_t offset, size_t n, const uint8_t*& p) {
    auto got = source_->fetch(offset, n, p);
    if (!got) error_ = got.error();
    return got;
  }
  static std::string at(const Block& b) { return " at offset " + str(b.offset); }
  /// For a packet block: where it is, and which packet of the file.
  std::string atPacket(const Block& b) const { return at(b) + " (packet " + str(packets_ + 1) + ")"; }

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  size_t offset_ = 0;
  bool bigEndian_ = false;
  std::vector<Interface> interfaces_;  // of the current section
  bool sawInterface_ = false;
  uint32_t firstDlt_ = 0;
  uint32_t firstSnaplen_ = 0;
  uint32_t maxBlockLength_ = kDefaultMaxBlockLength;
  std::optional<Diagnostic> error_;
  uint64_t packets_ = 0;  // packets read so far (to name the next in messages)
};

Expected<Block> PcapNgReader::readBlock() {
  const uint8_t* p = nullptr;
  auto got = fetch(offset_, 12, p);  // the block header, and a section header's byte-order magic
  if (!got) return got.takeError();
  size_t remaining = *got;
  auto atOffset = [this] { return " at offset " + str(offset_); };  // only for messages
  if (remaining < 8) {
    return fail("truncated block header" + atOffset() + ": 8 bytes needed, " + str(remaining) + " remain");
  }
  uint32_t type = load32(p, bigEndian_);
  if (type == kSectionHeader) {
    // A section header sets the byte order for itself and what follows.
    if (remaining < 12) {
      return fail("truncated section header block" + atOffset() + ": 12 bytes needed, " + str(remaining) +
                  " remain");
    }
    if (load32(p + 8, false) == kByteOrderMagic) {
      bigEndian_ = false;
    } else if (load32(p + 8, true) == kByteOrderMagic) {
      bigEndian_ = true;
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08x", load32(p + 8, true));
      return fail("section header block" + atOffset() + ": bad byte-order magic " + buf);
    }
  }
  uint32_t length = load32(p + 4, bigEndian_);
  if (length < kMinBlockLength) {
    return fail("block" + atOffset() + " has a length of " + str(length) + ", less than the minimum of " +
                str(kMinBlockLength));
  }
  if (length % 4 != 0) {
    return fail("block" + atOffset() + " has a length of " + str(length) + ", not a multiple of 4");
  }
  if (type == kSectionHeader && (length < kMinSectionHeaderLength || length > kMaxSectionHeaderLength)) {
    return fail("section header block" + atOffset() + " has an invalid length of " + str(length));
  }
  if (length > maxBlockLength_) {
    return fail("block" + atOffset() + " has a length of " + str(length) + ", more than the maximum of " +
                str(maxBlockLength_));
  }
  // The length is bounded now, so fetching the block allocates at most the
  // maximum block length.
  got = fetch(offset_, length, p);
  if (!got) return got.takeError();
  if (*got < length) {
    return fail("truncated block" + atOffset() + ": header says " + str(length) + " bytes, " + str(*got) +
                " remain");
  }
  // Like libpcap, the trailer of the file's first section header is not
  // checked (its length field was checked above and the rest follows).
  uint32_t trailer = load32(p + length - 4, bigEndian_);
  if (trailer != length && offset_ != 0) {
    return fail("block" + atOffset() + ": length " + str(length) + " in the header differs from " + str(trailer) +
                " in the trailer");
  }
  Block b{type, offset_, std::span<const uint8_t>(p + 8, length - 12)};
  offset_ += length;
  return b;
}

std::optional<Diagnostic> PcapNgReader::sectionHeader(const Block& b) {
  const uint8_t* p = b.body.data();
  uint16_t major = load16(p + 4, bigEndian_);
  uint16_t minor = load16(p + 6, bigEndian_);
  if (major != 1 || (minor != 0 && minor != 2)) {
    return fail("section header block" + at(b) + ": unsupported pcapng version '" + str(major) + "." +
                str(minor) + "'");
  }
  interfaces_.clear();
  return std::nullopt;
}

std::optional<Diagnostic> PcapNgReader::interfaceDescription(const Block& b) {
  if (b.body.size() < 8) {
    return fail("interface description block" + at(b) + " is too short: " + str(b.body.size()) +
                " bytes of body, 8 needed");
  }
  const uint8_t* p = b.body.data();
  Interface itf;
  itf.dlt = linktypeToDlt(load16(p, bigEndian_));
  itf.snaplen = effectiveSnaplen(itf.dlt, load32(p + 4, bigEndian_));

  bool sawResolution = false, sawOffset = false;
  size_t pos = 8;
  while (b.body.size() - pos >= 4) {
    uint16_t code = load16(p + pos, bigEndian_);
    uint16_t length = load16(p + pos + 2, bigEndian_);
    if (code == kOptEnd) {
      if (length != 0) {
        return fail("interface description block" + at(b) + ": opt_endofopt option has length " +
                    str(length) + ", expected 0");
      }
      break;
    }
    size_t padded = (size_t(length) + 3) & ~size_t(3);
    size_t optionOffset = b.offset + 8 + pos;
    if (padded > b.body.size() - pos - 4) {
      return fail("interface description block" + at(b) + ": option " + str(code) + " at offset " +
                  str(optionOffset) + " runs past the end of the block");
    }
    const uint8_t* value = p + pos + 4;
    if (code == kOptTsResol) {
      if (length != 1) {
        return fail("interface description block" + at(b) + ": if_tsresol option has length " +
                    str(length) + ", expected 1");
      }
      if (sawResolution) {
        return fail("interface description block" + at(b) + " has more than one if_tsresol option");
      }
      sawResolution = true;
      itf.resolution.binary = (value[0] & 0x80) != 0;
      itf.resolution.exponent = value[0] & 0x7f;
      if (itf.resolution.binary ? itf.resolution.exponent > 63 : itf.resolution.exponent > 19) {
        return fail("interface description block" + at(b) + ": if_tsresol resolution " +
                    (itf.resolution.binary ? "2^-" : "10^-") + str(itf.resolution.exponent) +
                    " is too fine");
      }
    } else if (code == kOptTsOffset) {
      if (length != 8) {
        return fail("interface description block" + at(b) + ": if_tsoffset option has length " +
                    str(length) + ", expected 8");
      }
      if (sawOffset) {
        return fail("interface description block" + at(b) + " has more than one if_tsoffset option");
      }
      sawOffset = true;
      itf.offsetSeconds = int64_t(load64(value, bigEndian_));
    }
    pos += 4 + padded;
  }

  // Allow blocks big enough for the largest packet this link type may hold.
  uint32_t maximum = maxSnaplenForDlt(itf.dlt);
  if (maximum > kDefaultMaxBlockLength - 131072 && maximum + 131072 + 64 > maxBlockLength_) {
    maxBlockLength_ = maximum + 131072 + 64;
  }
  if (!sawInterface_) {
    sawInterface_ = true;
    firstDlt_ = itf.dlt;
    firstSnaplen_ = itf.snaplen;
  }
  interfaces_.push_back(itf);
  return std::nullopt;
}

Expected<const Interface*> PcapNgReader::interfaceFor(const Block& b, uint32_t id) {
  if (!sawInterface_) {
    return fail("packet block" + atPacket(b) + " comes before any interface description block");
  }
  if (id >= interfaces_.size()) {
    return fail("packet block" + atPacket(b) + " names interface " + str(id) + ", but its section has " +
                str(interfaces_.size()) + " interface" + (interfaces_.size() == 1 ? "" : "s"));
  }
  return &interfaces_[id];
}

Expected<Step> PcapNgReader::packet(const Block& b, Packet& out) {
  const uint8_t* p = b.body.data();
  size_t fixed = b.type == kSimplePacket ? 4 : 20;
  const char* kind = b.type == kSimplePacket     ? "simple packet block"
                     : b.type == kEnhancedPacket ? "enhanced packet block"
                                                 : "packet block";
  if (b.body.size() < fixed) {
    return fail(std::string(kind) + atPacket(b) + " is too short: " + str(b.body.size()) + " bytes of body, " +
                str(fixed) + " needed");
  }
  uint32_t id = 0, captureLength = 0, wireLength = 0;
  uint64_t ticks = 0;
  if (b.type == kSimplePacket) {
    wireLength = load32(p, bigEndian_);
  } else {
    if (b.type == kEnhancedPacket) {
      id = load32(p, bigEndian_);
    } else {
      id = load16(p, bigEndian_);
    }
    ticks = uint64_t(load32(p + 4, bigEndian_)) << 32 | load32(p + 8, bigEndian_);
    captureLength = load32(p + 12, bigEndian_);
    wireLength = load32(p + 16, bigEndian_);
  }
  auto itf = interfaceFor(b, id);
  if (!itf) return itf.takeError();
  const Interface& i = **itf;
  if (b.type == kSimplePacket) {
    // A simple packet block holds min(wire length, snapshot length) bytes.
    captureLength = wireLength < i.snaplen ? wireLength : i.snaplen;
  } else if (captureLength > i.snaplen) {
    return fail(std::string(kind) + atPacket(b) + ": captured length " + str(captureLength) +
                " exceeds the snapshot length " + str(i.snaplen) + " of interface " + str(id));
  }
  size_t room = b.body.size() - fixed;
  if (captureLength > room) {
    return fail(std::string(kind) + atPacket(b) + " is too short: captured length " + str(captureLength) +
                ", " + str(room) + " bytes of data");
  }
  // A simple packet block has no time stamp: zero ticks, plus the
  // interface's offset, as libpcap reports it.
  splitTimestamp(ticks, i.resolution, out.header.seconds, out.header.nanoseconds);
  // Wrapping addition: absurd offsets in damaged files must not overflow.
  out.header.seconds = int64_t(uint64_t(out.header.seconds) + uint64_t(i.offsetSeconds));
  out.header.captureLength = captureLength;
  out.header.wireLength = wireLength;
  out.header.linktype = i.dlt;
  out.header.interfaceId = id;
  out.data = std::span<const uint8_t>(p + fixed, captureLength);
  ++packets_;
  return Step::Packet;
}

Expected<Step> PcapNgReader::step(Packet& out) {
  source_->release(offset_);
  const uint8_t* p = nullptr;
  auto got = fetch(offset_, 1, p);
  if (!got) return got.takeError();
  if (*got == 0) return Step::End;
  auto block = readBlock();
  if (!block) return block.takeError();
  const Block& b = *block;
  switch (b.type) {
    case kSectionHeader:
      if (auto err = sectionHeader(b)) return std::move(*err);
      return Step::Other;
    case kInterfaceDescription:
      if (auto err = interfaceDescription(b)) return std::move(*err);
      return Step::Other;
    case kEnhancedPacket:
    case kSimplePacket:
    case kObsoletePacket:
      return packet(b, out);
    default:
      return Step::Other;  // statistics, name resolution, custom, ...
  }
}

std::optional<Diagnostic> PcapNgReader::readToFirstInterface() {
  Packet scratch;
  while (!sawInterface_) {
    auto s = step(scratch);
    if (!s) return s.takeError();
    if (*s == Step::End) return fail("file has no interface description block");
  }
  return std::nullopt;
}

Expected<bool> PcapNgReader::next(Packet& out) {
  for (;;) {
    if (error_) return *error_;
    auto s = step(out);
    if (!s) return s.takeError();
    if (*s == Step::Packet) return true;
    if (*s == Step::End) return false;
  }
}

}  // namespace

Expected<std::unique_ptr<Reader>> openPcapNg(std::unique_ptr<ByteSource> source, std::string name) {
  auto reader = std::make_unique<PcapNgReader>(std::move(source), std::move(name));
  if (auto err = reader->readToFirstInterface()) return std::move(*err);
  return std::unique_ptr<Reader>(std::move(reader));
}

}  // namespace sift::capture::detail
