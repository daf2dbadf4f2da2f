// PcapNgWriter: writes pcapng files (little endian) with one section, one
// interface description block per interface (if_tsresol = nanoseconds) and
// enhanced packet blocks, through an AtomicFile.
#include <string_view>

#include "capture/capture_internal.h"

namespace sift::capture {

using detail::put16;
using detail::put32;
using detail::put64;

namespace {

void padTo4(std::vector<uint8_t>& out) {
  while (out.size() % 4 != 0) out.push_back(0);
}

void putOption(std::vector<uint8_t>& out, uint16_t code, std::span<const uint8_t> value) {
  put16(out, code);
  put16(out, uint16_t(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  padTo4(out);
}

// Wraps a block body (already a multiple of 4 bytes) in its type and lengths.
void putBlock(std::vector<uint8_t>& out, uint32_t type, const std::vector<uint8_t>& body) {
  uint32_t length = uint32_t(body.size() + 12);
  put32(out, type);
  put32(out, length);
  out.insert(out.end(), body.begin(), body.end());
  put32(out, length);
}

}  // namespace

struct PcapNgWriter::State {
  std::unique_ptr<detail::AtomicFile> file;
  std::vector<uint32_t> snaplens;  // per interface
  std::vector<uint8_t> body;
  std::vector<uint8_t> block;
};

Expected<std::unique_ptr<PcapNgWriter>> PcapNgWriter::create(const std::string& path, uint32_t linktype,
                                                             uint32_t snaplen) {
  if (detail::dltToLinktype(linktype) > 0xffffu) {
    return Diagnostic::error("cannot write '" + path + "': link type '" + std::to_string(linktype) +
                             "' does not fit a pcapng interface description block");
  }
  auto file = detail::AtomicFile::create(path);
  if (!file) return file.takeError();
  auto writer = std::unique_ptr<PcapNgWriter>(new PcapNgWriter());
  writer->state_ = std::make_unique<State>();
  State& s = *writer->state_;
  s.file = std::move(*file);

  std::vector<uint8_t> body;
  put32(body, 0x1a2b3c4d);
  put16(body, 1);
  put16(body, 0);
  put64(body, ~uint64_t(0));  // section length not given
  constexpr std::string_view kApplication = "sift";
  putOption(body, 4, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kApplication.data()),
                                              kApplication.size()));  // shb_userappl
  putOption(body, 0, {});
  std::vector<uint8_t> block;
  putBlock(block, 0x0a0d0d0a, body);
  if (auto st = s.file->append(block); !st) return st.takeError();
  if (auto id = writer->addInterface(linktype, snaplen); !id) return id.takeError();
  return writer;
}

PcapNgWriter::~PcapNgWriter() = default;

Expected<uint32_t> PcapNgWriter::addInterface(uint32_t linktype, uint32_t snaplen) {
  State& s = *state_;
  uint32_t stored = detail::dltToLinktype(linktype);
  if (stored > 0xffffu) {
    return Diagnostic::error("cannot write '" + s.file->path() + "': link type '" +
                             std::to_string(linktype) + "' does not fit a pcapng interface description block");
  }
  s.body.clear();
  put16(s.body, uint16_t(stored));
  put16(s.body, 0);
  put32(s.body, snaplen);
  const uint8_t nanoseconds = 9;
  putOption(s.body, 9, std::span<const uint8_t>(&nanoseconds, 1));  // if_tsresol
  putOption(s.body, 0, {});
  s.block.clear();
  putBlock(s.block, 1, s.body);
  if (auto st = s.file->append(s.block); !st) return st.takeError();
  s.snaplens.push_back(snaplen == 0 ? detail::maxSnaplenForDlt(linktype) : snaplen);
  return uint32_t(s.snaplens.size() - 1);
}

Status PcapNgWriter::write(const PacketHeader& header, std::span<const uint8_t> data) {
  State& s = *state_;
  if (header.interfaceId >= s.snaplens.size()) {
    return Diagnostic::error("cannot write '" + s.file->path() + "': interface '" +
                             std::to_string(header.interfaceId) + "' was not added");
  }
  constexpr uint64_t kMaxSeconds = ~uint64_t(0) / 1000000000u - 1;
  if (header.seconds < 0 || uint64_t(header.seconds) > kMaxSeconds) {
    return Diagnostic::error("cannot write '" + s.file->path() + "': time stamp '" +
                             std::to_string(header.seconds) + "' seconds is out of range");
  }
  uint64_t ticks = uint64_t(header.seconds) * 1000000000u + header.nanoseconds;
  uint32_t snaplen = s.snaplens[header.interfaceId];
  uint32_t captureLength = data.size() > snaplen ? snaplen : uint32_t(data.size());
  uint32_t wireLength = header.wireLength != 0 ? header.wireLength : uint32_t(data.size());
  s.body.clear();
  put32(s.body, header.interfaceId);
  put32(s.body, uint32_t(ticks >> 32));
  put32(s.body, uint32_t(ticks));
  put32(s.body, captureLength);
  put32(s.body, wireLength);
  s.body.insert(s.body.end(), data.begin(), data.begin() + captureLength);
  padTo4(s.body);
  s.block.clear();
  putBlock(s.block, 6, s.body);
  return s.file->append(s.block);
}

Status PcapNgWriter::commit() { return state_->file->commit(); }

}  // namespace sift::capture
