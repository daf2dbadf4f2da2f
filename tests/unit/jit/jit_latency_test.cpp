// Reports (does not assert) how long the JIT takes to compile a typical
// 20-instruction filter, `tcp port 80` as tcpdump compiles it for
// Ethernet, at each optimization level: the median of several compiles,
// split into IR building, optimization and code generation, and the
// compiling thread's CPU time, which a loaded machine distorts less.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <time.h>

#include "sift/jit.h"

using namespace sift;

namespace {

double threadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

}  // namespace

TEST_CASE("jit: compile latency of a 20-instruction filter") {
  if (!jit::available()) return;
  // tcpdump -dd 'tcp port 80' (libpcap 1.10.3, EN10MB).
  const bpf::Program tcpPort80{{
      {0x28, 0, 0, 0x0000000c}, {0x15, 0, 6, 0x000086dd}, {0x30, 0, 0, 0x00000014},
      {0x15, 0, 15, 0x00000006}, {0x28, 0, 0, 0x00000036}, {0x15, 12, 0, 0x00000050},
      {0x28, 0, 0, 0x00000038}, {0x15, 10, 11, 0x00000050}, {0x15, 0, 10, 0x00000800},
      {0x30, 0, 0, 0x00000017}, {0x15, 0, 8, 0x00000006}, {0x28, 0, 0, 0x00000014},
      {0x45, 6, 0, 0x00001fff}, {0xb1, 0, 0, 0x0000000e}, {0x48, 0, 0, 0x0000000e},
      {0x15, 2, 0, 0x00000050}, {0x48, 0, 0, 0x00000010}, {0x15, 0, 1, 0x00000050},
      {0x06, 0, 0, 0x00040000}, {0x06, 0, 0, 0x00000000},
  }};
  auto program = bpf::validate(tcpPort80, bpf::Profile::Libpcap);
  REQUIRE(program.ok());
  const std::string names[] = {"O0", "O1", "O2"};
  for (int level = 0; level < 3; ++level) {
    std::vector<jit::CompileStats> samples;
    std::vector<double> cpu;
    for (int i = 0; i < 15; ++i) {
      jit::CompileOptions options;
      options.optLevel = static_cast<jit::OptLevel>(level);
      const double before = threadCpuMs();
      auto filter = jit::compile(*program, options);
      cpu.push_back(threadCpuMs() - before);
      REQUIRE(filter.ok());
      samples.push_back((*filter)->stats());
    }
    std::sort(cpu.begin(), cpu.end());
    std::sort(samples.begin(), samples.end(),
              [](const auto& a, const auto& b) { return a.total() < b.total(); });
    const jit::CompileStats& median = samples[samples.size() / 2];
    MESSAGE("tcp port 80 (20 insns) at " << names[level] << ": median " << median.total().count() / 1e6
                                         << " ms (IR " << median.buildIr.count() / 1e6 << ", optimize "
                                         << median.optimize.count() / 1e6 << ", codegen "
                                         << median.codegen.count() / 1e6 << "), fastest "
                                         << samples.front().total().count() / 1e6 << " ms; CPU median "
                                         << cpu[cpu.size() / 2] << " ms");
  }
}
