// Scratch cells read before any write. libpcap 1.10.3 compiles some
// expressions (`geneve or ip`, Geneve and pppoes behind a run-time
// payload offset, PFLOG) to programs that read a cell no path has written
// yet; its bpf_filter then reads uninitialised stack, and Linux refuses
// the program. sift's programs, at -O0 and -O1, store 0 into exactly
// those cells first: the kernel profile accepts them, and their verdicts
// are libpcap's with zeroed memory on every generated packet, whole and
// cut short. The oracle side starts libpcap's program with zeroing stores
// of its own, so what is compared is defined and not the stack's.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compile_at.h"
#include "compiler/emit.h"
#include "lower_support.h"
#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

constexpr uint32_t kEn10mb = 1, kRaw = 12, kPflog = 117, kLinuxSll = 113, kRadiotap = 127, kPpi = 192;
constexpr uint16_t kLdImm = 0x00, kSt = 0x02, kLdMem = 0x60, kLdxMem = 0x61, kRetK = 0x06, kJeqK = 0x15;

/// libpcap's program with `ld #0; st M[0..15]` in front: bpf_filter with
/// zeroed memory (relative jumps are unchanged by code put before them).
std::vector<bpf::Insn> zeroedFirst(const std::vector<bpf::Insn>& program) {
  std::vector<bpf::Insn> out{bpf::Insn{kLdImm, 0, 0, 0}};
  for (uint32_t k = 0; k < bpf::kMemWords; ++k) out.push_back(bpf::Insn{kSt, 0, 0, k});
  out.insert(out.end(), program.begin(), program.end());
  return out;
}

struct Case {
  const char* expr;
  uint32_t dlt;
};

void agreeZeroed(const std::vector<Case>& cases) {
  // (Some cases accept no packet: on PFLOG the tests after Geneve or pppoes
  // read from offset 0 of the frame, as libpcap's program with zeroed
  // memory does.)
  size_t accepted = 0, rejected = 0;
  for (const Case& c : cases) {
    const std::string expr = c.expr;
    CAPTURE(expr);
    CAPTURE(c.dlt);
    const auto packets = gen::generatePackets({c.dlt, 800, 5});
    REQUIRE(!packets.empty());
    OracleResult pcap = oracleCompile(c.expr, c.dlt, 262144, true, 0);
    OracleResult unopt = oracleCompile(c.expr, c.dlt, 262144, false, 0);
    REQUIRE_MESSAGE(pcap.ok, pcap.error);
    REQUIRE(unopt.ok);
    // The case is one this file is about: libpcap's program reads a cell
    // before writing it.
    CHECK(bpf::unwrittenScratchReads(bpf::Program{pcap.insns}) != 0);
    const std::vector<bpf::Insn> want1 = zeroedFirst(pcap.insns), want0 = zeroedFirst(unopt.insns);
    for (int level : {0, 1}) {
      CAPTURE(level);
      auto got = compileAt(c.expr, c.dlt, level);
      REQUIRE_MESSAGE(got.ok(), (got.ok() ? std::string() : got.error().message));
      bpf::ValidationError why;
      CHECK_MESSAGE(bpf::validate(*got, bpf::Profile::Kernel, &why), why.message);
      auto v = bpf::validate(*got, bpf::Profile::Libpcap);
      REQUIRE(v.ok());
      for (const auto& p : packets) {
        for (size_t cut : {p.data.size(), p.data.size() / 2, size_t{30}}) {
          std::span<const uint8_t> data(p.data.data(), std::min(cut, p.data.size()));
          const uint32_t got1 = vm::run(*v, data, p.wireLength);
          // On cut packets libpcap's optimizer may change the verdict; either is libpcap's.
          const uint32_t a = oracleRun(want1, data, p.wireLength), b = oracleRun(want0, data, p.wireLength);
          CHECK((got1 == a || got1 == b));
          if (cut == p.data.size()) (a != 0 ? accepted : rejected)++;
        }
      }
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}

}  // namespace

TEST_CASE("expressions whose libpcap program reads unwritten scratch: kernel-valid, libpcap's zeroed verdicts") {
  agreeZeroed({
      {"geneve or ip", kEn10mb},
      {"geneve or ip[9] = 17", kEn10mb},
      {"udp or geneve and ip", kEn10mb},
      {"host 10.0.0.1 or geneve and host 10.0.0.2", kEn10mb},
      {"(geneve or len > 100) and ip[0] = 0x45", kEn10mb},
      {"geneve 5 or vlan 100", kEn10mb},
      {"vlan and (geneve or ip)", kEn10mb},
      {"(geneve or vlan) and ip", kEn10mb},
      {"geneve or ip", kRaw},
      {"geneve or ip6", kLinuxSll},
      {"geneve", kPflog},
      {"geneve and ip", kPflog},
      {"on em0 and (geneve or udp port 53)", kPflog},
      {"pppoes or ip", kPflog},
      {"rnr 1 and (pppoes or ip)", kPflog},
      {"pppoes or udp port 53", kPflog},
      {"pppoes and ip", kRadiotap},
      {"pppoes or ip", kRadiotap},
  });
}

TEST_CASE("the kernel's linear check: a read after a return in the layout gets its cell zeroed") {
  // Linux carries the state before a `ret` into the next instruction, so
  // M[1], written on the only path to pc 5, still counts as maybe unwritten
  // there: pc 0's false edge reaches the return at 4 before the store.
  bpf::Program p{{
      bpf::Insn{kLdImm, 0, 0, 1},
      bpf::Insn{kJeqK, 0, 2, 1},   // 1: true -> 2, false -> 4
      bpf::Insn{kSt, 0, 0, 1},     // 2
      bpf::Insn{0x05, 0, 0, 1},    // 3: ja 5
      bpf::Insn{kRetK, 0, 0, 0},   // 4
      bpf::Insn{kLdxMem, 0, 0, 1}, // 5
      bpf::Insn{kLdMem, 0, 0, 3},  // 6: M[3] is never written
      bpf::Insn{kRetK, 0, 0, 1},
  }};
  CHECK(bpf::unwrittenScratchReads(p) == ((1u << 1) | (1u << 3)));
  bpf::Program zeroed = p;
  compiler::zeroUnwrittenScratch(zeroed);
  REQUIRE(zeroed.insns.size() == p.insns.size() + 3);
  CHECK(zeroed.insns[0].code == kLdImm);
  CHECK(zeroed.insns[0].k == 0);
  CHECK(zeroed.insns[1].code == kSt);
  CHECK(zeroed.insns[1].k == 1);
  CHECK(zeroed.insns[2].code == kSt);
  CHECK(zeroed.insns[2].k == 3);
  CHECK(bpf::validate(zeroed, bpf::Profile::Kernel).ok());
  // A program that writes before every read is left alone.
  bpf::Program clean{{bpf::Insn{kSt, 0, 0, 2}, bpf::Insn{kLdMem, 0, 0, 2}, bpf::Insn{kRetK, 0, 0, 1}}};
  CHECK(bpf::unwrittenScratchReads(clean) == 0);
  compiler::zeroUnwrittenScratch(clean);
  CHECK(clean.insns.size() == 3);
}

TEST_CASE("a program without unwritten reads compiles as before: no zeroing in front") {
  for (const Case& c : {Case{"tcp port 80", kEn10mb}, Case{"geneve and ip", kEn10mb}, Case{"ip", kPflog},
                        Case{"udp port 53", kPpi}}) {
    const std::string expr = c.expr;
    CAPTURE(expr);
    auto got = compileAt(c.expr, c.dlt, 1);
    REQUIRE(got.ok());
    CHECK(bpf::validate(*got, bpf::Profile::Kernel).ok());
    CHECK_FALSE((got->insns[0].code == kLdImm && got->insns[0].k == 0 && got->insns.size() > 1 &&
                 got->insns[1].code == kSt));
  }
}
