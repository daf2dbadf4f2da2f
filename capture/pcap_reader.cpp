// Reader for classic pcap files: both byte orders, micro- and nanosecond
// time stamps, and the "modified" format with 24-byte record headers.
// Decisions about damaged input follow libpcap's savefile reader: a
// captured length above the snapshot length but within the link type's sane
// maximum is cut to the snapshot length; anything above the maximum, and any
// record that runs past the end of the file, stops the read with an error.
#include <optional>

#include "capture/capture_internal.h"

namespace sift::capture::detail {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kMagicModified = 0xa1b2cd34;
constexpr size_t kFileHeaderSize = 24;
constexpr uint32_t kDltEthernet = 1;

// Very old files stored the captured and wire lengths the other way round;
// version 2.3 files may have either order.
enum class LengthOrder : uint8_t { Normal, MaybeSwapped, Swapped };

class PcapReader final : public Reader {
 public:
  PcapReader(std::unique_ptr<ByteSource> source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {}

  std::optional<Diagnostic> parseHeader();

  FileFormat format() const override { return FileFormat::Pcap; }
  uint32_t linktype() const override { return dlt_; }
  uint32_t snaplen() const override { return snaplen_; }
  Expected<bool> next(Packet& out) override;

 private:
  Diagnostic fail(std::string message) {
    error_ = fileError(name_, std::move(message));
    return *error_;
  }

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  bool bigEndian_ = false;
  bool nanosecond_ = false;
  size_t recordHeaderSize_ = 16;
  LengthOrder lengthOrder_ = LengthOrder::Normal;
  uint32_t dlt_ = 0;
  uint32_t snaplen_ = 0;
  size_t offset_ = kFileHeaderSize;
  uint64_t packets_ = 0;  // records read so far (to name the next in messages)
  std::optional<Diagnostic> error_;
};

std::optional<Diagnostic> PcapReader::parseHeader() {
  const uint8_t* p = nullptr;
  auto got = source_->fetch(0, kFileHeaderSize, p);
  if (!got) return got.takeError();
  if (*got < kFileHeaderSize) {
    return fileError(name_, "truncated pcap file header: " + std::to_string(kFileHeaderSize) +
                                " bytes needed, " + std::to_string(*got) + " present");
  }
  uint32_t magic = load32(p, false);
  if (magic != kMagicMicro && magic != kMagicNano && magic != kMagicModified) {
    bigEndian_ = true;
    magic = load32(p, true);
  }
  nanosecond_ = magic == kMagicNano;
  if (magic == kMagicModified) recordHeaderSize_ = 24;

  uint16_t major = load16(p + 4, bigEndian_);
  uint16_t minor = load16(p + 6, bigEndian_);
  bool supported = (major == 2 && minor <= 4) || (major == 543 && minor == 0);
  if (!supported) {
    return fileError(name_, "unsupported pcap version '" + std::to_string(major) + "." +
                                std::to_string(minor) + "' at offset 4");
  }
  if (major == 543 || minor < 3) {
    lengthOrder_ = LengthOrder::Swapped;
  } else if (minor == 3) {
    lengthOrder_ = LengthOrder::MaybeSwapped;
  }

  uint32_t snaplenField = load32(p + 16, bigEndian_);
  uint32_t linktypeField = load32(p + 20, bigEndian_);
  // The upper bits of the link type field carry the FCS length (bits 28-31,
  // valid when bit 26 is set) and reserved bits; the type is the low 26 bits.
  dlt_ = linktypeToDlt(linktypeField & 0x03ffffffu);
  snaplen_ = effectiveSnaplen(dlt_, snaplenField);
  // The modified format counted the Ethernet header outside the snapshot.
  if (magic == kMagicModified && dlt_ == kDltEthernet) snaplen_ += 14;
  return std::nullopt;
}

Expected<bool> PcapReader::next(Packet& out) {
  if (error_) return *error_;
  source_->release(offset_);  // the previous packet's bytes
  const uint8_t* p = nullptr;
  auto got = source_->fetch(offset_, recordHeaderSize_, p);
  if (!got) {
    error_ = got.error();
    return *error_;
  }
  if (*got == 0) return false;

  auto at = [this] {  // only for messages
    return " at offset " + std::to_string(offset_) + " (packet " + std::to_string(packets_ + 1) + ")";
  };
  if (*got < recordHeaderSize_) {
    return fail("truncated packet record header" + at() + ": " + std::to_string(recordHeaderSize_) +
                " bytes needed, " + std::to_string(*got) + " remain");
  }
  uint32_t seconds = load32(p, bigEndian_);
  uint32_t fraction = load32(p + 4, bigEndian_);
  uint32_t captureLength = load32(p + 8, bigEndian_);
  uint32_t wireLength = load32(p + 12, bigEndian_);
  if (lengthOrder_ == LengthOrder::Swapped ||
      (lengthOrder_ == LengthOrder::MaybeSwapped && captureLength > wireLength)) {
    std::swap(captureLength, wireLength);
  }

  uint32_t maximum = maxSnaplenForDlt(dlt_);
  if (captureLength > maximum) {
    if (captureLength > snaplen_) {
      return fail("packet record" + at() + ": captured length " + std::to_string(captureLength) +
                  " exceeds the snapshot length " + std::to_string(snaplen_));
    }
    return fail("packet record" + at() + ": captured length " + std::to_string(captureLength) +
                " exceeds the maximum of " + std::to_string(maximum) + " for link type " +
                std::to_string(dlt_));
  }
  // The length is bounded now, so fetching the record allocates at most
  // the link type's maximum.
  got = source_->fetch(offset_, recordHeaderSize_ + captureLength, p);
  if (!got) {
    error_ = got.error();
    return *error_;
  }
  size_t dataRemaining = *got - recordHeaderSize_;
  if (captureLength > dataRemaining) {
    return fail("truncated packet record" + at() + ": header says " + std::to_string(captureLength) +
                " bytes, " + std::to_string(dataRemaining) + " remain");
  }

  // Like libpcap, hand out at most the snapshot length of a packet whose
  // record holds more (old writers got the header's snaplen wrong).
  uint32_t delivered = captureLength > snaplen_ ? snaplen_ : captureLength;
  uint64_t nanoseconds = nanosecond_ ? uint64_t(fraction) : uint64_t(fraction) * 1000;
  out.header.seconds = int64_t(seconds) + int64_t(nanoseconds / 1000000000u);
  out.header.nanoseconds = uint32_t(nanoseconds % 1000000000u);
  out.header.captureLength = delivered;
  out.header.wireLength = wireLength;
  out.header.linktype = dlt_;
  out.header.interfaceId = 0;
  out.data = std::span<const uint8_t>(p + recordHeaderSize_, delivered);
  offset_ += recordHeaderSize_ + captureLength;
  ++packets_;
  return true;
}

}  // namespace

Expected<std::unique_ptr<Reader>> openPcap(std::unique_ptr<ByteSource> source, std::string name) {
  auto reader = std::make_unique<PcapReader>(std::move(source), std::move(name));
  if (auto err = reader->parseHeader()) return std::move(*err);
  return std::unique_ptr<Reader>(std::move(reader));
}

}  // namespace sift::capture::detail
