// `sift -i IFACE ...`: live capture through sift::live, and `sift -D`.
//
// The filter is compiled for the interface's link type and runs in the
// kernel (or, when the kernel refuses it, in userspace: a warning says
// so). Each packet gets a one-line summary on stdout, or goes to the -w
// pcap file, which is written atomically and committed when the capture
// ends cleanly: after COUNT packets, or on SIGINT / SIGTERM. The counts
// follow on stderr as tcpdump prints them.
#include "cli/live_cmd.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "sift/capture.h"
#include "sift/linktype.h"
#include "sift/live.h"

namespace sift::cli {
namespace {

constexpr int kExitNoPermission = 77;  // EX_NOPERM: capturing needs privileges

// The source a signal stops. stop() only sets a flag and writes to an
// eventfd, both async-signal-safe.
std::atomic<live::Source*> activeSource{nullptr};
volatile std::sig_atomic_t stopSignal = 0;

extern "C" void onLiveStop(int signal) {
  stopSignal = signal;
  if (live::Source* s = activeSource.load()) s->stop();
  // A second signal ends the process at once.
  std::signal(signal, SIG_DFL);
}

class LiveSignalGuard {
 public:
  explicit LiveSignalGuard(live::Source* source) {
    activeSource.store(source);
    struct sigaction action {};
    action.sa_handler = onLiveStop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, nullptr, &previousInt_);
    if (previousInt_.sa_handler != SIG_IGN) sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, &previousTerm_);
  }
  ~LiveSignalGuard() {
    sigaction(SIGINT, &previousInt_, nullptr);
    sigaction(SIGTERM, &previousTerm_, nullptr);
    activeSource.store(nullptr);
  }

 private:
  struct sigaction previousInt_ {};
  struct sigaction previousTerm_ {};
};

std::string describeLinktype(uint32_t dlt) {
  std::string text = linktypeName(dlt);
  for (const auto& info : knownLinktypes()) {
    if (info.dlt == dlt && !info.description.empty()) {
      text += " (" + std::string(info.description) + ")";
      break;
    }
  }
  return text;
}

int exitCodeFor(const Diagnostic& d) {
  if (d.span) return ExitExpression;
  if (d.message.starts_with("live capture needs root")) return kExitNoPermission;
  return ExitNoInput;
}

Expected<std::optional<live::BackendChoice>> parseBackend(const std::optional<std::string>& text) {
  if (!text) return std::optional<live::BackendChoice>{};
  auto c = live::BackendChoice::parse(*text);
  if (!c) return c.takeError();
  return std::optional<live::BackendChoice>(*c);
}

void printCounts(uint64_t captured, const Expected<live::Stats>& stats) {
  auto plural = [](uint64_t n) { return n == 1 ? "" : "s"; };
  std::fprintf(stderr, "%llu packet%s captured\n", static_cast<unsigned long long>(captured), plural(captured));
  if (stats) {
    std::fprintf(stderr, "%llu packet%s received by filter\n", static_cast<unsigned long long>(stats->received),
                 plural(stats->received));
    std::fprintf(stderr, "%llu packet%s dropped by kernel\n", static_cast<unsigned long long>(stats->dropped),
                 plural(stats->dropped));
    if (stats->ifDropped)
      std::fprintf(stderr, "%llu packet%s dropped by interface\n", static_cast<unsigned long long>(stats->ifDropped),
                   plural(stats->ifDropped));
  } else {
    warn(stats.error().message);
  }
}

}  // namespace

int runLive(const LiveCommand& command) {
  auto backend = parseBackend(command.backend);
  if (!backend) return fail(ExitUsage, backend.error().message);
  live::OpenOptions o;
  o.interface = command.interface;
  o.snaplen = command.snaplen;
  o.promiscuous = command.promiscuous;
  o.filter = command.expression;
  o.optimizeLevel = command.optimizeLevel;
  o.allowJit = command.allowJit;
  o.backend = *backend;
  auto opened = live::open(o);
  if (!opened) {
    const Diagnostic& d = opened.error();
    if (d.span) {
      std::fprintf(stderr, "sift: %s", render(d, command.expression).c_str());
      return ExitExpression;
    }
    return fail(exitCodeFor(d), d.message);
  }
  live::Source& source = **opened;
  for (const auto& w : source.warnings()) warn(w);

  std::unique_ptr<capture::PcapWriter> writer;
  if (command.writeFile) {
    auto created = capture::PcapWriter::create(*command.writeFile, source.linktype(), source.snaplen());
    if (!created) return fail(ExitCantCreate, created.error().message);
    writer = std::move(created.value());
  }
  std::fprintf(stderr, "listening on %s, link-type %s, snapshot length %u bytes\n", command.interface.c_str(),
               describeLinktype(source.linktype()).c_str(), source.snaplen());
  std::fflush(stderr);

  LiveSignalGuard guard(&source);
  stopSignal = 0;
  uint64_t captured = 0;
  int status = ExitOk;
  live::LivePacket packet;
  std::string line;
  while (!command.count || captured < *command.count) {
    auto r = source.next(packet, -1);
    if (!r) {
      status = fail(ExitIo, r.error().message);
      break;
    }
    if (*r == live::NextStatus::Stopped) break;
    if (*r != live::NextStatus::Packet) continue;
    ++captured;
    if (writer) {
      if (Status written = writer->write(packet.header, packet.data); !written) {
        status = fail(ExitIo, written.error().message);
        break;
      }
      continue;
    }
    line = formatTimestamp(packet.header.seconds, packet.header.nanoseconds, command.timestamps);
    line += describePacket(packet.header.linktype, packet.data, packet.header.wireLength);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
      status = fail(ExitIo, std::string("cannot write standard output: ") + std::strerror(errno));
      break;
    }
    std::fflush(stdout);  // a live capture is read as it happens
  }
  // A clean stop (COUNT reached, SIGINT, SIGTERM) keeps what was captured.
  if (writer && status == ExitOk) {
    if (Status committed = writer->commit(); !committed) status = fail(ExitIo, committed.error().message);
  }
  auto stats = source.stats();
  if (stopSignal) std::fputc('\n', stderr);  // after the ^C the terminal echoed
  printCounts(captured, stats);
  if (writer && status != ExitOk) fail(status, "'" + *command.writeFile + "' not written");
  return status;
}

int runListInterfaces(const std::optional<std::string>& backendText) {
  auto backend = parseBackend(backendText);
  if (!backend) return fail(ExitUsage, backend.error().message);
  auto list = live::listInterfaces(*backend);
  if (!list) return fail(exitCodeFor(list.error()), list.error().message);
  int n = 0;
  for (const auto& i : *list) {
    std::string flags;
    auto add = [&](const char* f) { flags += flags.empty() ? f : std::string(", ") + f; };
    if (i.loopback) add("Loopback");
    if (i.up) add("Up");
    if (i.running) add("Running");
    std::printf("%d.%s", ++n, i.name.c_str());
    if (!i.description.empty()) std::printf(" (%s)", i.description.c_str());
    if (!flags.empty()) std::printf(" [%s]", flags.c_str());
    std::printf("\n");
  }
  return ExitOk;
}

}  // namespace sift::cli
