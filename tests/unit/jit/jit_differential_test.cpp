// Differential tests: the JIT against the interpreter (vm::run) and, when
// libpcap is installed, against libpcap's own bpf_filter, over random
// valid programs (random_program.h) on random and truncated packets.
//
// The default run is a few thousand programs. SIFT_JIT_STRESS=N runs N
// programs instead (the CTest test unit_jit_stress sets 100000), and
// SIFT_JIT_SEED=S changes the seed; a failure prints both, the program's
// listing and the packet, so it can be replayed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "random_program.h"
#include "sift/jit.h"
#include "sift/vm.h"

#if SIFT_HAVE_LIBPCAP
#include "pcap_oracle.h"
#endif

using namespace sift;

namespace {

uint64_t envNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  return std::strtoull(text, nullptr, 10);
}

std::string hexBytes(const std::vector<uint8_t>& bytes, size_t length) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    s += buf;
  }
  return s;
}

struct Totals {
  uint64_t programs = 0;
  uint64_t libpcapPrograms = 0;
  uint64_t runs = 0;
  uint64_t accepted = 0;  // runs that returned non-zero
  uint64_t mismatches = 0;
  std::chrono::nanoseconds compileTime{0};
};

constexpr int kPacketsPerProgram = 12;

// Compiles and runs one program; returns false (after reporting) on the
// first disagreement.
bool checkProgram(const bpf::Program& raw, jittest::Rng& rng, bool withLibpcap, uint64_t index,
                  uint64_t seed, Totals& totals) {
  auto program = bpf::validate(raw, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(program.ok(), "generator made an invalid program: "
                                    << (program.ok() ? std::string() : program.error().message) << "\n"
                                    << bpf::listing(raw, bpf::ListingFormat::Image));
  jit::CompileOptions options;
  options.optLevel = static_cast<jit::OptLevel>(index % 3);
  auto filter = jit::compile(*program, options);
  REQUIRE_MESSAGE(filter.ok(), (filter.ok() ? "" : filter.error().message));
  totals.compileTime += (*filter)->stats().total();
  ++totals.programs;
#if SIFT_HAVE_LIBPCAP
  if (withLibpcap) {
    REQUIRE_MESSAGE(jittest::pcapValidate(raw.insns), "libpcap's bpf_validate refuses\n"
                                                          << bpf::listing(raw, bpf::ListingFormat::Image));
    ++totals.libpcapPrograms;
  }
#else
  withLibpcap = false;
#endif

  for (int i = 0; i < kPacketsPerProgram; ++i) {
    jittest::RandomPacket packet = jittest::randomPacket(rng);
    // Every packet once whole and once cut short at a random point.
    for (int cut = 0; cut < 2; ++cut) {
      size_t captured = packet.bytes.size();
      if (cut == 1) {
        if (captured == 0) break;
        captured = std::uniform_int_distribution<size_t>(0, captured - 1)(rng);
      }
      std::span<const uint8_t> bytes(packet.bytes.data(), captured);
      const uint32_t expected = vm::run(*program, bytes, packet.wireLength);
      const uint32_t got = (*filter)->run(bytes, packet.wireLength);
      uint32_t pcap = expected;
#if SIFT_HAVE_LIBPCAP
      if (withLibpcap) {
        pcap = jittest::pcapFilter(raw.insns, packet.bytes.data(), static_cast<uint32_t>(captured),
                                   packet.wireLength);
      }
#endif
      ++totals.runs;
      if (expected) ++totals.accepted;
      if (got != expected || pcap != expected) {
        ++totals.mismatches;
        FAIL_CHECK("engines disagree (seed " << seed << ", program " << index << ", opt level "
                                             << index % 3 << "): vm " << expected << ", jit " << got
                                             << ", libpcap " << pcap << "\npacket (" << captured
                                             << " of " << packet.wireLength << " bytes) "
                                             << hexBytes(packet.bytes, captured) << "\n"
                                             << bpf::listing(raw, bpf::ListingFormat::Image));
        return false;
      }
    }
  }
  return true;
}

}  // namespace

TEST_CASE("jit: random programs agree with the interpreter and libpcap") {
  if (!jit::available()) return;
  const uint64_t count = envNumber("SIFT_JIT_STRESS", 2000);
  const uint64_t seed = envNumber("SIFT_JIT_SEED", 20240601);
  jittest::Rng rng(seed);
  Totals totals;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < count && totals.mismatches < 5; ++i) {
    // Three of four programs stay inside what libpcap runs with defined
    // results and go to all three engines; the rest use everything sift
    // allows (ret x, shifts by 32 or more, reads of unwritten scratch)
    // and compare the JIT with the interpreter only.
    jittest::RandomProgramOptions options;
    options.libpcapSafe = i % 4 != 3;
    options.maxLength = i % 50 == 0 ? 200 : 40;
    bpf::Program raw = jittest::randomProgram(rng, options);
    checkProgram(raw, rng, options.libpcapSafe, i, seed, totals);
    if (count >= 10000 && (i + 1) % 5000 == 0) {
      std::fprintf(stderr, "%llu programs checked, %llu disagreements\n",
                   static_cast<unsigned long long>(i + 1),
                   static_cast<unsigned long long>(totals.mismatches));
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE(totals.programs << " random programs (" << totals.libpcapPrograms
                          << " also run by libpcap), " << totals.runs << " packet runs (" << totals.accepted << " accepted), "
                          << totals.mismatches << " disagreements; mean compile "
                          << (totals.programs ? totals.compileTime.count() / 1e6 / totals.programs : 0)
                          << " ms; " << seconds << " s");
  CHECK(totals.mismatches == 0);
  CHECK(totals.programs == count);
}

namespace {

// A forward-only program of packet loads at small offsets, tests of A
// against constants (half of them taken from `packet`, so both branches
// happen; some wider than the load) and returns of 0, of a constant and
// of A in between: the shapes whose bounds checks the JIT merges (a test
// of the captured length that covers the loads after it) and whose
// compares it makes on the loaded bytes.
bpf::Program loadHeavyProgram(jittest::Rng& rng, const std::vector<uint8_t>& packet) {
  auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  const size_t length = 3 + pick(30);
  bpf::Program p;
  for (size_t pc = 0; pc + 1 < length; ++pc) {
    const uint32_t room = static_cast<uint32_t>(length - 2 - pc);  // largest jt/jf
    const uint32_t r = pick(12);
    if (r < 4) {
      static const uint16_t loads[] = {0x30, 0x28, 0x20};  // ldb, ldh, ld [k]
      p.insns.push_back({loads[pick(3)], 0, 0, pick(64)});
    } else if (r == 4) {
      p.insns.push_back({0xb1, 0, 0, pick(40)});  // ldxb 4*([k]&0xf)
    } else if (r == 5) {
      static const uint16_t loads[] = {0x50, 0x48, 0x40};  // ldb, ldh, ld [x + k]
      p.insns.push_back({loads[pick(3)], 0, 0, pick(30)});
    } else if (r < 10) {
      static const uint16_t jumps[] = {0x15, 0x15, 0x45, 0x25, 0x35};  // jeq, jeq, jset, jgt, jge
      uint32_t k = rng();
      if (pick(2)) {
        const size_t at = pick(packet.size() - 4);
        const uint32_t sizes[] = {1, 2, 4};
        const uint32_t size = sizes[pick(3)];
        k = 0;
        for (uint32_t i = 0; i < size; ++i) k = (k << 8) | packet[at + i];
        if (pick(4) == 0) k |= 0x10000u << pick(8);
      }
      p.insns.push_back({jumps[pick(5)], static_cast<uint8_t>(pick(room + 1)),
                         static_cast<uint8_t>(pick(room + 1)), k});
    } else if (r == 10 && room > 0) {
      p.insns.push_back({0x05, 0, 0, pick(room + 1)});  // ja
    } else {
      const uint32_t k = pick(3) == 0 ? 0 : 1 + pick(0xffff);
      p.insns.push_back(pick(4) == 0 ? bpf::Insn{0x16, 0, 0, 0} : bpf::Insn{0x06, 0, 0, k});
    }
  }
  p.insns.push_back(pick(2) ? bpf::Insn{0x16, 0, 0, 0} : bpf::Insn{0x06, 0, 0, 0x40000});
  return p;
}

}  // namespace

TEST_CASE("jit: merged bounds checks give the same verdict at every captured length") {
  if (!jit::available()) return;
  const uint64_t count = std::max<uint64_t>(600, envNumber("SIFT_JIT_STRESS", 0) / 20);
  const uint64_t seed = envNumber("SIFT_JIT_SEED", 20261202);
  jittest::Rng rng(seed);
  uint64_t runs = 0, accepted = 0, mismatches = 0;
  for (uint64_t i = 0; i < count && mismatches < 5; ++i) {
    std::vector<uint8_t> packet(72);
    for (auto& byte : packet) byte = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 4 : rng());
    const bpf::Program raw = loadHeavyProgram(rng, packet);
    auto program = bpf::validate(raw, bpf::Profile::Libpcap);
    REQUIRE_MESSAGE(program.ok(), "generator made an invalid program:\n"
                                      << bpf::listing(raw, bpf::ListingFormat::Image));
    jit::CompileOptions options;
    options.optLevel = static_cast<jit::OptLevel>(i % 3);
    auto filter = jit::compile(*program, options);
    REQUIRE_MESSAGE(filter.ok(), (filter.ok() ? "" : filter.error().message));
    for (size_t captured = 0; captured <= packet.size(); ++captured) {
      std::span<const uint8_t> bytes(packet.data(), captured);
      const uint32_t wire = static_cast<uint32_t>(packet.size());
      const uint32_t expected = vm::run(*program, bytes, wire);
      const uint32_t got = (*filter)->run(bytes, wire);
      uint32_t pcap = expected;
#if SIFT_HAVE_LIBPCAP
      pcap = jittest::pcapFilter(raw.insns, packet.data(), static_cast<uint32_t>(captured), wire);
#endif
      ++runs;
      if (expected) ++accepted;
      if (got != expected || pcap != expected) {
        ++mismatches;
        FAIL_CHECK("engines disagree (seed " << seed << ", program " << i << ", opt level " << i % 3
                                             << "): vm " << expected << ", jit " << got << ", libpcap "
                                             << pcap << "\npacket (" << captured << " of " << wire
                                             << " bytes) " << hexBytes(packet, captured) << "\n"
                                             << bpf::listing(raw, bpf::ListingFormat::Image));
        break;
      }
    }
  }
  MESSAGE(count << " load-heavy programs, " << runs << " runs (" << accepted << " accepted), "
                << mismatches << " disagreements");
  CHECK(mismatches == 0);
  CHECK(accepted > runs / 20);
}
