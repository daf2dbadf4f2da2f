// `sift bench [--engine vm|jit|libpcap|all] [-y LINKTYPE] [-O...] -r FILE
// EXPRESSION`: how fast each engine runs one compiled filter. The whole
// capture is read into memory first, the expression is compiled once, and
// each engine then runs the program over every packet, pass after pass,
// until both --min-time seconds and 20 passes are done. Every engine must
// accept the same packets; a disagreement is reported and fails the run.
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "cli/commands.h"
#include "cli/engine.h"
#include "cli/exit_codes.h"
#include "sift/capture.h"
#include "sift/linktype.h"

namespace sift::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMinPasses = 20;

struct StoredPacket {
  std::vector<uint8_t> data;
  uint32_t wireLength = 0;
};

struct Timing {
  double nsPerPacket = 0;
  uint64_t accepted = 0;  // in one pass
};

/// Runs `filter` over `packets` until the time and the pass count are both
/// reached. The accepted count is the first pass's; later passes must agree.
Timing timeFilter(const PacketFilter& filter, const std::vector<StoredPacket>& packets, double minSeconds,
                  bool& consistent) {
  Timing timing;
  consistent = true;
  if (packets.empty()) return timing;
  auto minTime = std::chrono::duration<double>(minSeconds);
  uint64_t passes = 0;
  auto start = Clock::now();
  Clock::duration elapsed{};
  do {
    uint64_t accepted = 0;
    for (const auto& packet : packets)
      if (filter.run(packet.data, packet.wireLength) != 0) ++accepted;
    if (passes == 0) timing.accepted = accepted;
    else if (accepted != timing.accepted) consistent = false;
    ++passes;
    elapsed = Clock::now() - start;
  } while (passes < kMinPasses || elapsed < minTime);
  double ns = std::chrono::duration<double, std::nano>(elapsed).count();
  timing.nsPerPacket = ns / (static_cast<double>(passes) * static_cast<double>(packets.size()));
  return timing;
}

}  // namespace

int runBench(const Options& options, const std::string& expression) {
  const std::string& path = *options.readFile;
  auto opened = capture::openFile(path == "-" ? std::string("/dev/stdin") : path);
  if (!opened) return fail(ExitNoInput, opened.error().message);
  capture::Reader& reader = **opened;

  uint32_t linktype = reader.linktype();
  if (options.linktype) {
    auto parsed = parseLinktype(*options.linktype);
    if (!parsed)
      return fail(ExitUsage, "unknown link type '" + *options.linktype + "' (see 'sift --list-linktypes')");
    linktype = *parsed;
  }
  std::fprintf(stderr, "reading from file %s, link-type %s, snapshot length %u\n", path.c_str(),
               describeLinktype(reader.linktype()).c_str(), reader.snaplen());

  std::vector<StoredPacket> packets;
  capture::Packet packet;
  while (true) {
    auto more = reader.next(packet);
    if (!more) return fail(ExitNoInput, more.error().message);
    if (!*more) break;
    packets.push_back({std::vector<uint8_t>(packet.data.begin(), packet.data.end()), packet.header.wireLength});
  }

  std::optional<CompileTrace> trace;
  if (int status = makeTrace(options, trace); status != ExitOk) return status;
  uint32_t fileSnaplen = reader.snaplen() == 0 ? kMaxSnaplen : reader.snaplen();
  std::optional<bpf::ValidatedProgram> program;
  bpf::Program raw;
  if (int status = compileExpression(expression, linktype, options.snaplen.value_or(fileSnaplen),
                                     options.optimizeLevel, program, &raw, trace ? &*trace : nullptr);
      status != ExitOk)
    return status;
  if (trace && options.stats) printStats(*trace, raw.insns.size());
  if (linktype != reader.linktype())
    warn("compiled for link type " + linktypeName(linktype) + ", the file's is " + linktypeName(reader.linktype()));

  std::vector<Engine> engines;
  if (options.engine == Engine::All) engines = {Engine::Vm, Engine::Jit, Engine::Libpcap};
  else engines = {options.engine};

  struct Verdict {
    Engine engine;
    uint64_t accepted;
  };
  std::vector<Verdict> verdicts;
  int status = ExitOk;
  for (Engine engine : engines) {
    const char* name = engineName(engine);
    if (!engineAvailable(engine)) {
      std::printf("%s: not available in this build\n", name);
      std::fflush(stdout);
      continue;
    }
    auto compileStart = Clock::now();
    auto filter = makePacketFilter(engine, *program);
    double compileMs = std::chrono::duration<double, std::milli>(Clock::now() - compileStart).count();
    if (!filter) {
      status = fail(ExitInternal, std::string("engine '") + name + "': " + filter.error().message);
      continue;
    }
    bool consistent = true;
    Timing timing = timeFilter(**filter, packets, options.minTime, consistent);
    std::printf("%s: %.2f ns/packet (%zu packet%s, %llu accepted)\n", name, timing.nsPerPacket, packets.size(),
                packets.size() == 1 ? "" : "s", static_cast<unsigned long long>(timing.accepted));
    if (engine == Engine::Jit) std::printf("jit compile: %.2f ms\n", compileMs);
    std::fflush(stdout);
    if (!consistent)
      status = fail(ExitInternal, std::string("engine '") + name + "' accepted a different number of packets on a later pass");
    verdicts.push_back({engine, timing.accepted});
  }
  for (const auto& verdict : verdicts) {
    if (verdict.accepted == verdicts.front().accepted) continue;
    std::string counts;
    for (const auto& v : verdicts)
      counts += (counts.empty() ? "" : ", ") + std::string(engineName(v.engine)) + " " + std::to_string(v.accepted);
    return fail(ExitInternal, "the engines accept different numbers of packets (" + counts + ")");
  }
  if (std::ferror(stdout)) return fail(ExitIo, std::string("cannot write standard output: ") + std::strerror(errno));
  return status;
}

}  // namespace sift::cli
