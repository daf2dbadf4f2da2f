// `sift -r FILE [-w OUT] [-c COUNT] EXPRESSION`: filter a pcap or pcapng
// file. The expression is compiled once per link type met in the file
// (pcapng interfaces may differ) and run on every packet; matching packets
// are printed as one-line summaries or written with -w to a pcap file that
// appears only when the whole run succeeded.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/engine.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/sink.h"
#include "cli/summary.h"
#include "sift/capture.h"
#include "sift/linktype.h"

namespace sift::cli {

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

namespace {

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
    // Without --engine: the JIT where this build has one, and the
    // interpreter for a program the JIT cannot take (the same verdicts).
    const bool chosen = options_.engineGiven;
    const Engine engine = chosen ? options_.engine : engineAvailable(Engine::Jit) ? Engine::Jit : Engine::Vm;
    auto filter = makePacketFilter(engine, *program);
    if (!filter && !chosen && engine == Engine::Jit) filter = makePacketFilter(Engine::Vm, std::move(*program));
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
    std::optional<CompileTrace> trace;
    if (int status = makeTrace(options, trace); status != ExitOk) return status;
    std::optional<bpf::ValidatedProgram> validated;
    bpf::Program program;
    int status = compileExpression(expression, reader.linktype(), options.snaplen.value_or(fileSnaplen),
                                   options.optimizeLevel, validated, &program, trace ? &*trace : nullptr);
    if (status == ExitExpression) return status;
    if (trace && options.stats) printStats(*trace, program.insns.size());
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
  while (!stopSignal()) {
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

  if (stopSignal() && status == ExitOk) status = 128 + stopSignal();
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
  if (stopSignal() && status == 128 + stopSignal())
    fail(status, writer ? "interrupted; '" + *options.writeFile + "' not written" : std::string("interrupted"));
  else if (writer && status != ExitOk)
    fail(status, "'" + *options.writeFile + "' not written");
  return status;
}

}  // namespace sift::cli
