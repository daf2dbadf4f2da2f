// `sift -i IFACE [-w OUT] [-c COUNT] [-p] EXPRESSION`: capture from a
// network interface through sift::live, with the filter attached in the
// kernel (or run in userspace when the kernel refuses it), and print or
// write the packets as `sift -r` does. Ctrl-C ends a capture normally: the
// -w file is committed and the counts printed, as tcpdump does. Also
// `sift -D`, the list of interfaces.
#include <cstring>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/sink.h"
#include "cli/summary.h"
#include "sift/jit.h"
#include "sift/live.h"

namespace sift::cli {
namespace {

void stopSource(void* source) { static_cast<live::Source*>(source)->stop(); }

}  // namespace

int runLive(const Options& options, const std::string& expression) {
  live::OpenOptions open;
  open.interface = *options.interface;
  open.snaplen = options.snaplen.value_or(kMaxSnaplen);
  open.promiscuous = options.promiscuous;
  open.filter = expression;
  open.optimizeLevel = options.optimizeLevel;
  open.allowJit = !(options.engineGiven && options.engine == Engine::Vm);
  if (options.engineGiven && options.engine == Engine::Jit && !jit::available())
    return fail(ExitUsage, "the 'jit' engine is not available in this build (use '--engine vm')");

  auto source = live::open(open);
  if (!source) {
    const Diagnostic& d = source.error();
    if (d.span) {  // the expression was rejected
      std::fflush(stdout);
      std::fprintf(stderr, "sift: %s", render(d, expression).c_str());
      return ExitExpression;
    }
    return fail(ExitNoInput, d.message);
  }
  live::Source& src = **source;
  for (const auto& warning : src.warnings()) warn(warning);
  if (options.dumpLevel > 0) return printListing(src.program(), options.dumpLevel);

  std::unique_ptr<PacketSink> writer;
  if (options.writeFile) {
    auto created = createSink(*options.writeFile, src.linktype(), src.snaplen());
    if (!created) return fail(ExitCantCreate, created.error().message);
    writer = std::move(created.value());
  }
  std::fprintf(stderr, "listening on %s, link-type %s, snapshot length %u bytes\n", open.interface.c_str(),
               describeLinktype(src.linktype()).c_str(), src.snaplen());

  StopSignalGuard guard(stopSource, &src);
  uint64_t captured = 0;
  int status = ExitOk;
  live::LivePacket packet;
  std::string line;
  while (!stopSignal()) {
    auto next = src.next(packet, -1);
    if (!next) {
      status = fail(ExitIo, next.error().message);
      break;
    }
    if (*next == live::NextStatus::Stopped) break;
    if (*next != live::NextStatus::Packet) continue;
    ++captured;
    if (writer) {
      if (Status written = writer->write(packet.header, packet.data); !written) {
        status = fail(ExitIo, written.error().message);
        break;
      }
    } else {
      line = formatTimestamp(packet.header.seconds, packet.header.nanoseconds, options.timestamps);
      line += describePacket(packet.header.linktype, packet.data, packet.header.wireLength);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fflush(stdout);  // a live capture is read as it happens
      if (std::ferror(stdout)) {
        status = fail(ExitIo, std::string("cannot write standard output: ") + std::strerror(errno));
        break;
      }
    }
    if (options.count && captured >= *options.count) break;
  }
  if (writer && status == ExitOk) {
    if (Status committed = writer->commit(); !committed) status = fail(ExitIo, committed.error().message);
  } else if (writer) {
    fail(status, "'" + *options.writeFile + "' not written");
  }
  auto stats = src.stats();
  std::fprintf(stderr, "\n%llu packet%s captured\n", static_cast<unsigned long long>(captured),
               captured == 1 ? "" : "s");
  if (stats) {
    std::fprintf(stderr, "%llu packet%s received by filter\n", static_cast<unsigned long long>(stats->received),
                 stats->received == 1 ? "" : "s");
    std::fprintf(stderr, "%llu packet%s dropped by kernel\n", static_cast<unsigned long long>(stats->dropped),
                 stats->dropped == 1 ? "" : "s");
  }
  return status;
}

int printInterfaces() {
  auto interfaces = live::listInterfaces();
  if (!interfaces) return fail(ExitNoInput, interfaces.error().message);
  int number = 1;
  for (const auto& info : *interfaces) {
    std::string flags;
    auto add = [&](bool on, const char* name) {
      if (!on) return;
      if (!flags.empty()) flags += ", ";
      flags += name;
    };
    add(info.up, "Up");
    add(info.running, "Running");
    add(info.loopback, "Loopback");
    std::printf("%d.%s", number++, info.name.c_str());
    if (!info.description.empty()) std::printf(" (%s)", info.description.c_str());
    if (!flags.empty()) std::printf(" [%s]", flags.c_str());
    std::printf("\n");
  }
  return ExitOk;
}

}  // namespace sift::cli
