// PcapWriter: writes classic pcap files (little endian, micro- or
// nanosecond time stamps) through an AtomicFile.
#include "capture/capture_internal.h"

namespace sift::capture {

using detail::put16;
using detail::put32;

struct PcapWriter::State {
  std::unique_ptr<detail::AtomicFile> file;
  uint32_t snaplen = 0;
  bool nanosecond = false;
  std::vector<uint8_t> record;
};

Expected<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path, uint32_t linktype,
                                                         uint32_t snaplen, bool nanosecond) {
  if (linktype > 0x03ffffffu) {
    return Diagnostic::error("cannot write '" + path + "': link type '" + std::to_string(linktype) +
                             "' does not fit a pcap header");
  }
  auto file = detail::AtomicFile::create(path);
  if (!file) return file.takeError();
  auto writer = std::unique_ptr<PcapWriter>(new PcapWriter());
  writer->state_ = std::make_unique<State>();
  State& s = *writer->state_;
  s.file = std::move(*file);
  s.snaplen = snaplen == 0 ? detail::maxSnaplenForDlt(linktype) : snaplen;
  s.nanosecond = nanosecond;

  std::vector<uint8_t> header;
  put32(header, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);
  put16(header, 2);
  put16(header, 4);
  put32(header, 0);  // thiszone
  put32(header, 0);  // sigfigs
  put32(header, s.snaplen);
  put32(header, detail::dltToLinktype(linktype));
  if (auto st = s.file->append(header); !st) return st.takeError();
  return writer;
}

PcapWriter::~PcapWriter() = default;

Status PcapWriter::write(const PacketHeader& header, std::span<const uint8_t> data) {
  State& s = *state_;
  uint64_t seconds = uint64_t(header.seconds) + header.nanoseconds / 1000000000u;
  uint32_t nanoseconds = header.nanoseconds % 1000000000u;
  if (header.seconds < 0 || seconds > 0xffffffffu) {
    return Diagnostic::error("cannot write '" + s.file->path() + "': time stamp '" +
                             std::to_string(header.seconds) + "' seconds does not fit a pcap record");
  }
  uint32_t captureLength = data.size() > s.snaplen ? s.snaplen : uint32_t(data.size());
  uint32_t wireLength = header.wireLength != 0 ? header.wireLength : uint32_t(data.size());
  s.record.clear();
  put32(s.record, uint32_t(seconds));
  put32(s.record, s.nanosecond ? nanoseconds : nanoseconds / 1000);
  put32(s.record, captureLength);
  put32(s.record, wireLength);
  s.record.insert(s.record.end(), data.begin(), data.begin() + captureLength);
  return s.file->append(s.record);
}

Status PcapWriter::commit() { return state_->file->commit(); }

}  // namespace sift::capture
