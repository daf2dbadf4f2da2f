// `sift -r FILE [-w OUT] [-c COUNT] EXPRESSION`: filter a pcap or pcapng
// file. The expression is compiled once per link type met in the file
// (pcapng interfaces may differ) and run on every packet; matching packets
// are printed as one-line summaries or written with -w to a pcap file that
// appears only when the whole run succeeded.
#include <algorithm>
#include <csignal>
#include <cstring>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/engine.h"
#include "cli/exit_codes.h"
#include "cli/summary.h"
#include "sift/capture.h"
#include "sift/linktype.h"

namespace sift::cli {
namespace {

volatile std::sig_atomic_t stopSignal = 0;  // the signal that asked us to stop, or 0

extern "C" void onStopSignal(int signal) {
  stopSignal = signal;
  // A second signal ends the process at once; the -w target is still
  // untouched (only a temporary file may be left behind).
  std::signal(signal, SIG_DFL);
}

/// Catches SIGINT and SIGTERM for the duration of a run, so that reading
/// stops between packets and the -w output is not committed. A SIGINT that
/// was ignored when sift started (a background job of a script) stays
/// ignored, as is the custom for Unix tools.
class StopSignalGuard {
 public:
  StopSignalGuard() {
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, nullptr, &previousInt_);
    if (previousInt_.sa_handler != SIG_IGN) sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, &previousTerm_);
  }
  ~StopSignalGuard() {
    sigaction(SIGINT, &previousInt_, nullptr);
    sigaction(SIGTERM, &previousTerm_, nullptr);
  }

 private:
  struct sigaction previousInt_ {};
  struct sigaction previousTerm_ {};
};

/// Where -w puts the matching packets: a pcap file, or a pcapng file when
/// the name ends in ".pcapng" (which can hold several link types).
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual Status write(const capture::PacketHeader& header, std::span<const uint8_t> data) = 0;
  virtual Status commit() = 0;
};

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

std::string describeLinktype(uint32_t dlt) {
  std::string text = linktypeName(dlt);
  for (const auto& info : knownLinktypes()) {
    if (info.dlt == dlt && !info.description.empty()) {
      text += " (";
      text += info.description;
      text += ")";
      break;
    }
  }
  return text;
}

/// The compiled filter for each link type met so far.
class FilterCache {
 public:
  FilterCache(const Options& options, const std::string& expression, uint32_t snaplen)
      : options_(options), expression_(expression), snaplen_(snaplen) {}

  /// The filter for `linktype`, compiling it on first use. Null after an
  /// error, which has been printed; exitCode() says which.
  const PacketFilter* get(uint32_t linktype) {
    auto it = filters_.find(linktype);
    if (it != filters_.end()) return it->second.get();
    std::optional<bpf::ValidatedProgram> program;
    exitCode_ = compileExpression(expression_, linktype, snaplen_, options_.optimizeLevel, program);
    if (exitCode_ != ExitOk) {
      if (!filters_.empty())  // not the file's first link type: say which
        std::fprintf(stderr, "sift: note: while compiling for link type %s\n", linktypeName(linktype).c_str());
      return nullptr;
    }
    auto filter = makePacketFilter(options_.engine, std::move(*program));
    if (!filter) {
      exitCode_ = fail(ExitUsage, filter.error().message);
      return nullptr;
    }
    return filters_.emplace(linktype, std::move(filter.value())).first->second.get();
  }
  int exitCode() const { return exitCode_; }

 private:
  const Options& options_;
  const std::string& expression_;
  uint32_t snaplen_;
  std::map<uint32_t, std::unique_ptr<PacketFilter>> filters_;
  int exitCode_ = ExitOk;
};

}  // namespace

int runRead(const Options& options, const std::string& expression) {
  const std::string& path = *options.readFile;
  StopSignalGuard guard;  // before opening: opening a pipe may block
  auto opened = capture::openFile(path == "-" ? std::string("/dev/stdin") : path);
  if (!opened) return fail(ExitNoInput, opened.error().message);
  capture::Reader& reader = **opened;
  uint32_t fileSnaplen = reader.snaplen() == 0 ? kMaxSnaplen : reader.snaplen();
  std::fprintf(stderr, "reading from file %s, link-type %s, snapshot length %u\n", path.c_str(),
               describeLinktype(reader.linktype()).c_str(), reader.snaplen());

  if (options.dumpLevel > 0) {  // as tcpdump -d -r: the program for this file
    std::optional<bpf::ValidatedProgram> validated;
    bpf::Program program;
    int status = compileExpression(expression, reader.linktype(), options.snaplen.value_or(fileSnaplen),
                                   options.optimizeLevel, validated, &program);
    if (status == ExitExpression) return status;
    int printed = printListing(program, options.dumpLevel);
    return status != ExitOk ? status : printed;
  }

  // The filter's accept value is the snapshot length: a matching packet
  // keeps at most that many bytes, as a live capture would.
  uint32_t snaplen = options.snaplen.value_or(fileSnaplen);
  FilterCache filters(options, expression, snaplen);
  if (!filters.get(reader.linktype())) return filters.exitCode();

  std::unique_ptr<PacketSink> writer;
  if (options.writeFile) {
    auto created = createSink(*options.writeFile, reader.linktype(), snaplen);
    if (!created) return fail(ExitCantCreate, created.error().message);
    writer = std::move(created.value());
  }

  uint64_t seen = 0, matched = 0;
  int status = ExitOk;
  std::string readError;
  capture::Packet packet;
  std::string line;
  while (!stopSignal) {
    auto more = reader.next(packet);
    if (!more) {
      readError = more.error().message;
      status = ExitNoInput;
      break;
    }
    if (!*more) break;
    ++seen;
    const PacketFilter* filter = filters.get(packet.header.linktype);
    if (!filter) {
      status = filters.exitCode();
      break;
    }
    uint32_t keep = filter->run(packet.data, packet.header.wireLength);
    if (keep == 0) continue;
    ++matched;
    std::span<const uint8_t> kept = packet.data.first(std::min<size_t>(keep, packet.data.size()));
    if (writer) {
      capture::PacketHeader header = packet.header;
      header.captureLength = static_cast<uint32_t>(kept.size());
      if (Status written = writer->write(header, kept); !written) {
        status = fail(ExitIo, written.error().message);
        break;
      }
    } else {
      line = formatTimestamp(packet.header.seconds, packet.header.nanoseconds, options.timestamps);
      line += describePacket(packet.header.linktype, kept, packet.header.wireLength);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
        status = fail(ExitIo, std::string("cannot write standard output: ") + std::strerror(errno));
        break;
      }
    }
    if (options.count && matched >= *options.count) break;
  }
  if (std::fflush(stdout) != 0 && status == ExitOk)
    status = fail(ExitIo, std::string("cannot write standard output: ") + std::strerror(errno));

  if (stopSignal && status == ExitOk) status = 128 + stopSignal;
  if (!readError.empty()) {
    // Packets read before the damage were handled; the -w file is not
    // written, since it would silently lack the rest of the input.
    fail(status, readError);
  }
  if (writer && status == ExitOk) {
    if (Status committed = writer->commit(); !committed) status = fail(ExitIo, committed.error().message);
  }
  std::fprintf(stderr, "%llu packet%s matched of %llu\n", static_cast<unsigned long long>(matched),
               matched == 1 ? "" : "s", static_cast<unsigned long long>(seen));
  if (stopSignal && status == 128 + stopSignal)
    fail(status, writer ? "interrupted; '" + *options.writeFile + "' not written" : std::string("interrupted"));
  else if (writer && status != ExitOk)
    fail(status, "'" + *options.writeFile + "' not written");
  return status;
}

}  // namespace sift::cli
