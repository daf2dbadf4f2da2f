// Reports (does not assert) how long the JIT takes to compile a typical
// 20-instruction filter, `tcp port 80` as tcpdump compiles it for
// Ethernet, at each optimization level: the median of several compiles,
// split into IR building, optimization and code generation.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sift/jit.h"

using namespace sift;

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
    for (int i = 0; i < 15; ++i) {
      jit::CompileOptions options;
      options.optLevel = static_cast<jit::OptLevel>(level);
      auto filter = jit::compile(*program, options);
      REQUIRE(filter.ok());
      samples.push_back((*filter)->stats());
    }
    std::sort(samples.begin(), samples.end(),
              [](const auto& a, const auto& b) { return a.total() < b.total(); });
    const jit::CompileStats& median = samples[samples.size() / 2];
    MESSAGE("tcp port 80 (20 insns) at " << names[level] << ": median " << median.total().count() / 1e6
                                         << " ms (IR " << median.buildIr.count() / 1e6 << ", optimize "
                                         << median.optimize.count() / 1e6 << ", codegen "
                                         << median.codegen.count() / 1e6 << "), fastest "
                                         << samples.front().total().count() / 1e6 << " ms");
  }
}
