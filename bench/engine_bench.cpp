// Engine benchmarks: libpcap's bpf_filter, sift's interpreter and sift's
// JIT (at its default O1, at O2, and tiered: O1 first, then the O2 code it
// switches to) run the same compiled program over the same in-memory capture.
//
// The capture is sift's own: ~10,000 EN10MB packets from the packet
// generator (IPv4/IPv6 TCP/UDP/ICMP, ARP, fragments, truncated packets),
// a share of them re-framed with 802.1Q, QinQ (802.1ad + 802.1Q) and MPLS
// headers. The same seed gives the same capture on every host.
//
//   cmake -S . -B build -DSIFT_BUILD_BENCH=ON && cmake --build build --target bench_engines
//   build/bench/bench_engines --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Each benchmark reports ns per packet (the time of one pass over the
// capture divided by its packet count) and the number of packets accepted,
// which must be the same for the three engines.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/jit.h"
#include "sift/vm.h"

namespace {

struct Capture {
  std::vector<std::vector<uint8_t>> data;
  std::vector<uint32_t> wire;
};

/// Inserts `tag` (4 bytes) after the two MAC addresses.
std::vector<uint8_t> withTag(const std::vector<uint8_t>& frame, uint16_t tpid, uint16_t tci) {
  if (frame.size() < 14) return frame;
  std::vector<uint8_t> out(frame.begin(), frame.begin() + 12);
  out.push_back(uint8_t(tpid >> 8));
  out.push_back(uint8_t(tpid));
  out.push_back(uint8_t(tci >> 8));
  out.push_back(uint8_t(tci));
  out.insert(out.end(), frame.begin() + 12, frame.end());
  return out;
}

/// Replaces an IPv4 EtherType with MPLS and one label (bottom of stack).
std::vector<uint8_t> withMpls(const std::vector<uint8_t>& frame, uint32_t label) {
  if (frame.size() < 14 || frame[12] != 0x08 || frame[13] != 0x00) return frame;
  std::vector<uint8_t> out(frame.begin(), frame.begin() + 12);
  out.push_back(0x88);
  out.push_back(0x47);
  uint32_t entry = (label << 12) | 0x100 | 64;
  for (int i = 3; i >= 0; --i) out.push_back(uint8_t(entry >> (8 * i)));
  out.insert(out.end(), frame.begin() + 14, frame.end());
  return out;
}

const Capture& capture() {
  static const Capture c = [] {
    Capture c;
    sift::gen::GenOptions o;
    o.linktype = 1;
    o.count = 10000;
    o.seed = 2026;
    std::mt19937 rng(12);
    for (auto& p : sift::gen::generatePackets(o)) {
      std::vector<uint8_t> data = std::move(p.data);
      uint32_t extra = 0;
      switch (rng() % 10) {
        case 0: data = withTag(data, 0x8100, uint16_t(rng() % 2 ? 100 : rng() % 4096)); extra = 4; break;
        case 1: data = withTag(withTag(data, 0x8100, 100), 0x88a8, 200); extra = 8; break;
        case 2: {
          size_t before = data.size();
          data = withMpls(data, rng() % 1000);
          extra = uint32_t(data.size() - before);
          break;
        }
        default: break;
      }
      c.wire.push_back(p.wireLength + extra);
      c.data.push_back(std::move(data));
    }
    return c;
  }();
  return c;
}

std::string hostList(int n) {
  std::string e;
  std::mt19937 rng(n);
  for (int i = 0; i < n; ++i) {
    if (i) e += " or ";
    e += "host 10." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
         std::to_string(rng() % 256);
  }
  return e;
}

const std::vector<std::pair<std::string, std::string>>& expressions() {
  static const std::vector<std::pair<std::string, std::string>> list = {
      {"tcp_port_80", "tcp port 80"},
      {"host", "host 192.168.1.1"},
      {"ip6_tcp", "ip6 and tcp"},
      {"tcp_flags", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0"},
      {"vlan_udp", "vlan 100 and udp"},
      {"not_arp_ip6", "not arp and not ip6"},
      {"portrange", "portrange 1000-2000"},
      {"net_not_port", "net 10.0.0.0/8 and not port 22"},
      {"icmp_echo", "icmp[icmptype] == icmp-echo"},
      {"ip_len", "ip[2:2] > 576"},
      {"ether_host", "ether host 00:11:22:33:44:55"},
      {"mpls_ip", "mpls and ip"},
      {"dns", "udp dst port 53 or tcp dst port 53"},
      {"host6", "host 2001:db8::1"},
      {"fragments", "ip[6:2] & 0x3fff != 0"},
      {"vlan_vlan_ip", "vlan and vlan and ip"},
      {"tcp_greater", "tcp and greater 1000"},
      {"mixed10",
       "(tcp port 80 or tcp port 443 or udp port 53) and not net 172.16.0.0/12 and (src net 10.0.0.0/8 "
       "or dst net 192.168.0.0/16) and greater 60 and not icmp and ip[8] > 1 and not ether broadcast"},
      {"hosts100", hostList(100)},
      {"hosts1000", hostList(1000)},
  };
  return list;
}

struct Compiled {
  std::string error;
  std::unique_ptr<sift::bpf::ValidatedProgram> program;
  bpf_program pcap{};
};

Compiled compileFor(const std::string& expr) {
  Compiled c;
  sift::CompileOptions o;
  auto p = sift::compile(expr, o);
  if (!p) {
    c.error = "sift cannot compile it: " + p.error().message;
    return c;
  }
  auto v = sift::bpf::validate(*p, sift::bpf::Profile::Libpcap);
  if (!v) {
    c.error = v.error().message;
    return c;
  }
  c.program = std::make_unique<sift::bpf::ValidatedProgram>(std::move(*v));
  // libpcap runs sift's program, so all three engines execute the same code.
  c.pcap.bf_len = static_cast<u_int>(c.program->size());
  c.pcap.bf_insns = reinterpret_cast<bpf_insn*>(const_cast<sift::bpf::Insn*>(c.program->insns().data()));
  return c;
}

template <class Run>
void passes(benchmark::State& state, Run run) {
  const Capture& cap = capture();
  size_t accepted = 0;
  for (auto _ : state) {
    accepted = 0;
    for (size_t i = 0; i < cap.data.size(); ++i) accepted += run(cap.data[i], cap.wire[i]) != 0;
    benchmark::DoNotOptimize(accepted);
  }
  state.counters["ns/packet"] = benchmark::Counter(static_cast<double>(state.iterations() * cap.data.size()),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["accepted"] = static_cast<double>(accepted);
}

void registerAll() {
  for (const auto& [name, expr] : expressions()) {
    auto compiled = std::make_shared<Compiled>(compileFor(expr));
    auto skip = [compiled](benchmark::State& s) {
      s.SkipWithError(compiled->error.c_str());
      for (auto _ : s) {
      }
    };
    if (!compiled->program) {
      benchmark::RegisterBenchmark(("engine/libpcap/" + name).c_str(), skip);
      continue;
    }
    benchmark::RegisterBenchmark(("engine/libpcap/" + name).c_str(), [compiled](benchmark::State& s) {
      passes(s, [&](const std::vector<uint8_t>& d, uint32_t wire) {
        return bpf_filter(compiled->pcap.bf_insns, d.data(), wire, static_cast<u_int>(d.size()));
      });
    });
    benchmark::RegisterBenchmark(("engine/vm/" + name).c_str(), [compiled](benchmark::State& s) {
      const sift::vm::Prepared prepared(*compiled->program);
      passes(s, [&](const std::vector<uint8_t>& d, uint32_t wire) { return prepared.run(d, wire); });
    });
    if (sift::jit::available()) {
      // The default level (O1), O2 (whose code generator is slower), and
      // tiering: compiled at O1 with tierUp, timed once it has switched to
      // its O2 code (what a long capture runs after its first milliseconds).
      struct Variant {
        const char* label;
        sift::jit::OptLevel level;
        bool tierUp;
      };
      const Variant variants[] = {{"jit", sift::jit::OptLevel::O1, false},
                                  {"jit_o2", sift::jit::OptLevel::O2, false},
                                  {"jit_tiered", sift::jit::OptLevel::O1, true}};
      for (const auto& [label, level, tierUp] : variants) {
        sift::jit::CompileOptions options;
        options.optLevel = level;
        options.tierUp = tierUp;
        auto fn = sift::jit::compile(*compiled->program, options);
        if (!fn) continue;
        std::shared_ptr<sift::jit::CompiledFilter> jit(std::move(*fn));
        benchmark::RegisterBenchmark(("engine/" + std::string(label) + "/" + name).c_str(),
                                     [jit](benchmark::State& s) {
                                       const sift::jit::OptLevel running = jit->waitForTierUp();
                                       passes(s, [&](const std::vector<uint8_t>& d, uint32_t wire) {
                                         return jit->run(d, wire);
                                       });
                                       s.counters["level"] = static_cast<double>(running);
                                     });
      }
    }
  }
  // JIT compile latency for a ~20-instruction filter (tcp port 80 is 20),
  // at each optimization level (O1 is the default). "tiered" is compile()
  // with tierUp: the time until the O1 code runs; the O2 recompile then
  // runs on the filter's own thread, outside the timing (the filter is
  // destroyed, waiting for it, with the timer paused).
  if (sift::jit::available()) {
    auto compiled = std::make_shared<Compiled>(compileFor("tcp port 80"));
    struct Level {
      const char* label;
      sift::jit::OptLevel level;
      bool tierUp;
    };
    const Level levels[] = {{"O0", sift::jit::OptLevel::O0, false},
                            {"O1", sift::jit::OptLevel::O1, false},
                            {"O2", sift::jit::OptLevel::O2, false},
                            {"tiered", sift::jit::OptLevel::O1, true}};
    if (compiled->program)
      for (const auto& [label, level, tierUp] : levels)
        benchmark::RegisterBenchmark((std::string("jit_compile/tcp_port_80/") + label).c_str(),
                                     [compiled, level, tierUp](benchmark::State& s) {
                                       sift::jit::CompileOptions options;
                                       options.optLevel = level;
                                       options.tierUp = tierUp;
                                       for (auto _ : s) {
                                         {
                                           auto fn = sift::jit::compile(*compiled->program, options);
                                           benchmark::DoNotOptimize(fn);
                                           s.PauseTiming();
                                         }  // destroyed (joining a tier-up) untimed
                                         s.ResumeTiming();
                                       }
                                       s.counters["insns"] = static_cast<double>(compiled->program->size());
                                     })
            ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerAll();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
