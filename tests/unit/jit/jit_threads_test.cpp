// The JIT and threads: one compiled filter run from four threads at once,
// several JITs alive in one process, compiles on several threads at once,
// and filters that outlive each other in any order.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "bpf/opcodes.h"
#include "random_program.h"
#include "sift/jit.h"
#include "sift/vm.h"

using namespace sift;
using bpf::Op;

namespace {

bpf::Insn I(Op op, uint32_t k = 0, uint8_t jt = 0, uint8_t jf = 0) {
  return bpf::Insn{static_cast<uint16_t>(op), jt, jf, k};
}

bpf::ValidatedProgram validated(bpf::Program p) {
  auto v = bpf::validate(p, bpf::Profile::Libpcap);
  REQUIRE(v.ok());
  return std::move(v).value();
}

// A program that uses scratch memory, X and packet loads, so concurrent
// runs would trip over each other if any of that state were shared:
// M[0] = ldh [x + 12] for x = 4*([0]&0xf); return M[0] + [x + 14] + #pktlen.
bpf::Program stateful() {
  return bpf::Program{{I(Op::LdxMsh, 0), I(Op::LdIndH, 12), I(Op::St, 0), I(Op::LdIndB, 14),
                       I(Op::Tax), I(Op::LdMem, 0), I(Op::AddX), I(Op::Tax), I(Op::LdLen),
                       I(Op::AddX), I(Op::RetA)}};
}

}  // namespace

TEST_CASE("jit: one compiled filter runs on four threads at once") {
  if (!jit::available()) return;
  auto program = validated(stateful());
  auto filter = jit::compile(program);
  REQUIRE(filter.ok());
  const jit::CompiledFilter& shared = **filter;

  jittest::Rng rng(7);
  std::vector<jittest::RandomPacket> packets;
  std::vector<uint32_t> expected;
  for (int i = 0; i < 2000; ++i) {
    packets.push_back(jittest::randomPacket(rng, 80));
    expected.push_back(vm::run(program, packets.back().bytes, packets.back().wireLength));
  }
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint64_t> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < packets.size(); ++i) {
          // Each thread walks the packets in its own order.
          size_t j = (i * (2 * t + 1) + round) % packets.size();
          uint32_t got = shared.run(packets[j].bytes, packets[j].wireLength);
          if (got != expected[j]) ++wrong;
          if (got) ++accepted;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(accepted > 0);  // the packets exercise more than the reject path
}

TEST_CASE("jit: two JITs in one process, destroyed in either order") {
  if (!jit::available()) return;
  auto p1 = validated(bpf::Program{{I(Op::LdAbsB, 0), I(Op::RetA)}});
  auto p2 = validated(bpf::Program{{I(Op::LdAbsB, 1), I(Op::AddK, 1000), I(Op::RetA)}});
  const std::vector<uint8_t> packet = {5, 6};
  for (int order = 0; order < 2; ++order) {
    auto f1 = jit::compile(p1);
    auto f2 = jit::compile(p2);
    REQUIRE(f1.ok());
    REQUIRE(f2.ok());
    std::unique_ptr<jit::CompiledFilter> a = std::move(f1).value();
    std::unique_ptr<jit::CompiledFilter> b = std::move(f2).value();
    CHECK((a->function() != b->function()));
    CHECK(a->run(packet) == 5);
    CHECK(b->run(packet) == 1006);
    if (order == 0) a.reset(); else b.reset();
    if (a) CHECK(a->run(packet) == 5);
    if (b) CHECK(b->run(packet) == 1006);
    // A third one compiled after the first is gone.
    auto f3 = jit::compile(p1);
    REQUIRE(f3.ok());
    CHECK((*f3)->run(packet) == 5);
    if (b) CHECK(b->run(packet) == 1006);
  }
}

TEST_CASE("jit: compiles on four threads at once") {
  if (!jit::available()) return;
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint64_t> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      jittest::Rng rng(100 + t);
      for (int i = 0; i < 25; ++i) {
        auto program = bpf::validate(jittest::randomProgram(rng), bpf::Profile::Libpcap);
        if (!program.ok()) {
          ++failed;
          continue;
        }
        auto filter = jit::compile(*program);
        if (!filter.ok()) {
          ++failed;
          continue;
        }
        for (int j = 0; j < 20; ++j) {
          auto packet = jittest::randomPacket(rng);
          if ((*filter)->run(packet.bytes, packet.wireLength) !=
              vm::run(*program, packet.bytes, packet.wireLength))
            ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failed == 0);
  CHECK(wrong == 0);
}

TEST_CASE("jit: tier-up switches to O2 code while four threads run the filter") {
  if (!jit::available()) return;
  auto program = validated(stateful());
  jit::CompileOptions options;
  options.tierUp = true;
  auto compiled = jit::compile(program, options);
  REQUIRE(compiled.ok());
  std::unique_ptr<jit::CompiledFilter> filter = std::move(compiled).value();
  const jit::CompiledFilter::Function first = filter->function();

  jittest::Rng rng(11);
  std::vector<jittest::RandomPacket> packets;
  std::vector<uint32_t> expected;
  for (int i = 0; i < 500; ++i) {
    packets.push_back(jittest::randomPacket(rng, 80));
    expected.push_back(vm::run(program, packets.back().bytes, packets.back().wireLength));
  }
  // The threads run until they have seen the O2 code for a while (or,
  // should the recompile fail, until the owner has waited for it).
  std::atomic<bool> settled{false};
  std::atomic<uint64_t> wrong{0};
  std::atomic<uint64_t> runsOnO2{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!settled.load()) {
        for (size_t i = 0; i < packets.size(); ++i) {
          const bool o2 = filter->level() == jit::OptLevel::O2;
          if (filter->run(packets[i].bytes, packets[i].wireLength) != expected[i]) ++wrong;
          if (o2) ++runsOnO2;
        }
      }
    });
  }
  const jit::OptLevel level = filter->waitForTierUp();
  while (level == jit::OptLevel::O2 && runsOnO2.load() < 4 * packets.size()) std::this_thread::yield();
  settled = true;
  for (auto& th : threads) th.join();
  CHECK(filter->tierUpError() == "");
  CHECK(level == jit::OptLevel::O2);
  CHECK((filter->function() != first));
  CHECK(filter->tierUpStats().total().count() > 0);
  CHECK(wrong == 0);
  for (size_t i = 0; i < packets.size(); ++i) CHECK(filter->run(packets[i].bytes, packets[i].wireLength) == expected[i]);
}

TEST_CASE("jit: a filter destroyed while its tier-up runs, and tier-up at O2 or without the option") {
  if (!jit::available()) return;
  jittest::Rng rng(12);
  jit::CompileOptions options;
  options.tierUp = true;
  for (int i = 0; i < 20; ++i) {
    auto program = bpf::validate(jittest::randomProgram(rng), bpf::Profile::Libpcap);
    REQUIRE(program.ok());
    auto filter = jit::compile(*program, options);
    REQUIRE(filter.ok());
    auto packet = jittest::randomPacket(rng);
    CHECK((*filter)->run(packet.bytes, packet.wireLength) == vm::run(*program, packet.bytes, packet.wireLength));
    // Destroyed at once: the destructor cancels or waits for the worker.
  }
  auto program = validated(stateful());
  options.optLevel = jit::OptLevel::O2;  // already at the top level: nothing to do
  auto top = jit::compile(program, options);
  REQUIRE(top.ok());
  CHECK((*top)->waitForTierUp() == jit::OptLevel::O2);
  auto plain = jit::compile(program);  // no tier-up asked for
  REQUIRE(plain.ok());
  CHECK((*plain)->waitForTierUp() == jit::OptLevel::O1);
  CHECK((*plain)->level() == jit::OptLevel::O1);
}
