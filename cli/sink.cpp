// The -w output files: PcapSink and PcapNgSink over capture's atomic
// writers (see sink.h).
#include "cli/sink.h"

#include <map>

#include "sift/linktype.h"

namespace sift::cli {
namespace {

class PcapSink final : public PacketSink {
 public:
  PcapSink(std::unique_ptr<capture::PcapWriter> writer, std::string path, uint32_t linktype)
      : writer_(std::move(writer)), path_(std::move(path)), linktype_(linktype) {}
  Status write(const capture::PacketHeader& header, std::span<const uint8_t> data) override {
    if (header.linktype != linktype_)
      return Diagnostic::error("cannot write a packet of link type " + linktypeName(header.linktype) + " to '" +
                               path_ + "', a pcap file of link type " + linktypeName(linktype_) +
                               " (name the output '.pcapng' to keep several link types)");
    return writer_->write(header, data);
  }
  Status commit() override { return writer_->commit(); }

 private:
  std::unique_ptr<capture::PcapWriter> writer_;
  std::string path_;
  uint32_t linktype_;
};

class PcapNgSink final : public PacketSink {
 public:
  PcapNgSink(std::unique_ptr<capture::PcapNgWriter> writer, uint32_t linktype, uint32_t snaplen)
      : writer_(std::move(writer)), snaplen_(snaplen) {
    interfaces_[linktype] = 0;
  }
  Status write(const capture::PacketHeader& header, std::span<const uint8_t> data) override {
    auto it = interfaces_.find(header.linktype);
    if (it == interfaces_.end()) {
      auto added = writer_->addInterface(header.linktype, snaplen_);
      if (!added) return added.takeError();
      it = interfaces_.emplace(header.linktype, *added).first;
    }
    capture::PacketHeader out = header;
    out.interfaceId = it->second;
    return writer_->write(out, data);
  }
  Status commit() override { return writer_->commit(); }

 private:
  std::unique_ptr<capture::PcapNgWriter> writer_;
  uint32_t snaplen_;
  std::map<uint32_t, uint32_t> interfaces_;  // link type -> output interface id
};

}  // namespace

Expected<std::unique_ptr<PacketSink>> createSink(const std::string& path, uint32_t linktype, uint32_t snaplen) {
  if (path.ends_with(".pcapng")) {
    auto writer = capture::PcapNgWriter::create(path, linktype, snaplen);
    if (!writer) return writer.takeError();
    return std::unique_ptr<PacketSink>(new PcapNgSink(std::move(writer.value()), linktype, snaplen));
  }
  auto writer = capture::PcapWriter::create(path, linktype, snaplen);
  if (!writer) return writer.takeError();
  return std::unique_ptr<PacketSink>(new PcapSink(std::move(writer.value()), path, linktype));
}

}  // namespace sift::cli
