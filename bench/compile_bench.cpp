// Compile-time benchmarks: sift::compile against libpcap's pcap_compile
// (optimizer on) on the same expressions, and the scaling of host and port
// lists.
//
//   cmake -S . -B build -DSIFT_BUILD_BENCH=ON && cmake --build build --target bench_compile
//   build/bench/bench_compile --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/emit.h"
#include "compiler/lower.h"
#include "compiler/resolve.h"
#include "grammar/parse.h"
#include "optimizer/pipeline.h"
#include "sift/compile.h"

namespace {

const std::vector<std::string>& expressions() {
  static const std::vector<std::string> list = {
      "tcp port 80",
      "host 192.168.1.1",
      "ip6 and tcp",
      "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
      "not arp and not ip6",
      "portrange 1000-2000",
      "net 10.0.0.0/8 and not port 22",
      "icmp[icmptype] == icmp-echo",
      "ip[2:2] > 576",
      "ether host 00:11:22:33:44:55",
      "udp dst port 53 or tcp dst port 53",
      "host 2001:db8::1",
      "ip[6:2] & 0x3fff != 0",
      "tcp and greater 1000",
      "(tcp port 80 or tcp port 443) and not net 10.0.0.0/8 and (host 192.168.1.1 or host 192.168.1.2) "
      "and greater 100 and not icmp and ip[8] > 1",
  };
  return list;
}

std::string hostList(int n) {
  std::string e;
  for (int i = 0; i < n; ++i) {
    if (i) e += " or ";
    e += "host 10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
         std::to_string(i & 255);
  }
  return e;
}

// The same list with addresses spread over the unicast space (a fixed
// linear congruential sequence), so set membership cannot merge them into
// ranges: the hard case, one comparison per address and direction.
std::string scatteredHostList(int n) {
  std::string e;
  uint32_t x = 12345;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    if (i) e += " or ";
    e += "host " + std::to_string(1 + (x >> 24) % 223) + "." + std::to_string((x >> 16) & 255) + "." +
         std::to_string((x >> 8) & 255) + "." + std::to_string(1 + (x & 255) % 254);
  }
  return e;
}

std::string portList(int n) {
  std::string e;
  for (int i = 0; i < n; ++i) {
    if (i) e += " or ";
    e += "port " + std::to_string(1000 + 2 * i);  // no runs of consecutive ports
  }
  return e;
}

void siftCompile(benchmark::State& state, const std::string& expr) {
  sift::FixedResolver resolver = sift::FixedResolver::standard();
  sift::CompileOptions opts;
  opts.resolver = &resolver;
  size_t insns = 0;
  for (auto _ : state) {
    auto p = sift::compile(expr, opts);
    if (!p) {
      state.SkipWithError(p.error().message.c_str());
      return;
    }
    insns = p->insns.size();
    benchmark::DoNotOptimize(insns);
  }
  state.counters["insns"] = static_cast<double>(insns);
}

void pcapCompile(benchmark::State& state, const std::string& expr) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
  size_t insns = 0;
  for (auto _ : state) {
    bpf_program prog;
    if (pcap_compile(dead, &prog, expr.c_str(), 1, 0) != 0) {
      state.SkipWithError(pcap_geterr(dead));
      break;
    }
    insns = prog.bf_len;
    pcap_freecode(&prog);
  }
  pcap_close(dead);
  state.counters["insns"] = static_cast<double>(insns);
}

// One stage of sift::compile at a time, the earlier stages run once
// outside the timed loop: where the time of a small compile goes.
enum class Stage { Parse, Resolve, Lower, Optimize, Emit, Validate };

void siftStage(benchmark::State& state, const std::string& expr, Stage stage) {
  sift::FixedResolver resolver = sift::FixedResolver::standard();
  sift::compiler::ResolveOptions ro;
  ro.resolver = &resolver;
  sift::compiler::LowerOptions lo;
  sift::optimizer::Options oo;
  auto fail = [&](const sift::Diagnostic& d) { state.SkipWithError(d.message.c_str()); };
  if (stage == Stage::Parse) {
    for (auto _ : state) benchmark::DoNotOptimize(sift::grammar::parse(expr));
    return;
  }
  auto tree = sift::grammar::parse(expr);
  if (!tree) return fail(tree.error());
  if (stage == Stage::Resolve) {
    for (auto _ : state) {
      auto t = sift::grammar::parse(expr);
      benchmark::DoNotOptimize(sift::compiler::resolve(*t, ro));
    }
    return;
  }
  if (sift::Status s = sift::compiler::resolve(*tree, ro); !s) return fail(s.error());
  if (stage == Stage::Lower) {
    for (auto _ : state) benchmark::DoNotOptimize(sift::compiler::lower(*tree, lo));
    return;
  }
  auto ir = sift::compiler::lower(*tree, lo);
  if (!ir) return fail(ir.error());
  if (stage == Stage::Optimize) {
    for (auto _ : state) {
      sift::ir::Program copy = *ir;
      benchmark::DoNotOptimize(sift::optimizer::optimize(copy, oo));
    }
    return;
  }
  if (sift::Status s = sift::optimizer::optimize(*ir, oo); !s) return fail(s.error());
  if (stage == Stage::Emit) {
    for (auto _ : state) benchmark::DoNotOptimize(sift::compiler::emit(*ir));
    return;
  }
  auto program = sift::compiler::emit(*ir);
  if (!program) return fail(program.error());
  for (auto _ : state) benchmark::DoNotOptimize(sift::bpf::validate(*program, sift::bpf::Profile::Libpcap, nullptr));
}

void registerAll() {
  const auto& list = expressions();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string& e = list[i];
    benchmark::RegisterBenchmark(("compile/sift/" + std::to_string(i)).c_str(),
                                 [e](benchmark::State& s) { siftCompile(s, e); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("compile/libpcap/" + std::to_string(i)).c_str(),
                                 [e](benchmark::State& s) { pcapCompile(s, e); })
        ->Unit(benchmark::kMicrosecond);
  }
  // Stages of the first two expressions; "resolve" includes a parse.
  const std::pair<const char*, Stage> stages[] = {{"parse", Stage::Parse},       {"resolve", Stage::Resolve},
                                                  {"lower", Stage::Lower},       {"optimize", Stage::Optimize},
                                                  {"emit", Stage::Emit},         {"validate", Stage::Validate}};
  for (size_t i = 0; i < 2; ++i) {
    for (const auto& [name, stage] : stages) {
      const std::string e = list[i];
      const Stage st = stage;
      benchmark::RegisterBenchmark(("stage/" + std::string(name) + "/" + std::to_string(i)).c_str(),
                                   [e, st](benchmark::State& s) { siftStage(s, e, st); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (int n : {100, 250, 500, 1000, 2000, 4000, 8000, 10000}) {
    std::string e = hostList(n);
    benchmark::RegisterBenchmark(("hosts/sift/" + std::to_string(n)).c_str(),
                                 [e](benchmark::State& s) { siftCompile(s, e); })
        ->Unit(benchmark::kMillisecond);
  }
  for (int n : {1000, 10000}) {
    std::string e = scatteredHostList(n);
    benchmark::RegisterBenchmark(("hosts_scattered/sift/" + std::to_string(n)).c_str(),
                                 [e](benchmark::State& s) { siftCompile(s, e); })
        ->Unit(benchmark::kMillisecond);
  }
  // Port lists alternate between the fields of tcp and udp (and IPv4 and
  // IPv6), which jump threading still walks once per edge.
  for (int n : {100, 300, 1000}) {
    std::string e = portList(n);
    benchmark::RegisterBenchmark(("ports/sift/" + std::to_string(n)).c_str(),
                                 [e](benchmark::State& s) { siftCompile(s, e); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(n >= 1000 ? 1 : 3);
  }
  // libpcap's optimizer needs seconds beyond a few hundred hosts.
  for (int n : {100, 250}) {
    std::string e = hostList(n);
    benchmark::RegisterBenchmark(("hosts/libpcap/" + std::to_string(n)).c_str(),
                                 [e](benchmark::State& s) { pcapCompile(s, e); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  }
  {
    std::string e = portList(100);
    benchmark::RegisterBenchmark("ports/libpcap/100", [e](benchmark::State& s) { pcapCompile(s, e); })
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
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
