// Geneve inside Geneve over IPv6: the inner Geneve header is found from
// the run-time offset of the IPv6 header that the outer Geneve left in a
// cell, plus 40 (libpcap's gen_geneve6 adds that run-time part). Crafted
// frames, since the generator nests no Geneve; sift's verdicts at -O0 and
// -O1 against libpcap's, on the whole frames and on every cut of them.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compile_at.h"
#include "lower_support.h"
#include "sift/compile.h"
#include "sift/vm.h"
#include "tunnel_frames.h"

using namespace sift;
using namespace sift::lowertest;
using namespace sift::tunnelframes;

namespace {

Bytes geneve(uint32_t vni) {
  Bytes b = {0x00, 0x00, 0x65, 0x58};
  b.push_back(static_cast<uint8_t>(vni >> 16));
  b.push_back(static_cast<uint8_t>(vni >> 8));
  b.push_back(static_cast<uint8_t>(vni));
  b.push_back(0);
  return b;
}

std::vector<bpf::Insn> zeroedFirst(const std::vector<bpf::Insn>& program) {
  std::vector<bpf::Insn> out{bpf::Insn{0x00, 0, 0, 0}};
  for (uint32_t k = 0; k < bpf::kMemWords; ++k) out.push_back(bpf::Insn{0x02, 0, 0, k});
  out.insert(out.end(), program.begin(), program.end());
  return out;
}

}  // namespace

TEST_CASE("Geneve in Geneve over IPv6 finds the inner header as libpcap does") {
  const Bytes tcp = {0x12, 0x34, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0};
  const Bytes inner = cat({ethernet(0x0800), ipv4(6), tcp});
  const std::vector<Bytes> frames = {
      // Ethernet / IPv4 / Geneve / Ethernet / IPv6 / Geneve / Ethernet / IPv4 / TCP
      cat({ethernet(0x0800), ipv4(17), udp(6081), geneve(5), ethernet(0x86dd), ipv6(17), udp(6081), geneve(7),
           inner}),
      // the same with the outer Geneve over IPv6
      cat({ethernet(0x86dd), ipv6(17), udp(6081), geneve(5), ethernet(0x86dd), ipv6(17), udp(6081), geneve(7),
           inner}),
      // the inner IPv6 UDP is not to Geneve's port
      cat({ethernet(0x0800), ipv4(17), udp(6081), geneve(5), ethernet(0x86dd), ipv6(17), udp(53), geneve(7),
           inner}),
  };
  size_t accepted = 0;
  for (const char* text : {"geneve and geneve and tcp", "geneve and geneve 7 and tcp port 80",
                           "geneve 5 and geneve 7", "geneve and geneve and ip host 10.0.0.2"}) {
    const std::string expr = text;
    CAPTURE(expr);
    OracleResult pcap = oracleCompile(expr, 1, 262144, true, 0);
    REQUIRE_MESSAGE(pcap.ok, pcap.error);
    const std::vector<bpf::Insn> want = zeroedFirst(pcap.insns);
    for (int level : {0, 1}) {
      CAPTURE(level);
      auto got = compileAt(expr, 1, level);
      REQUIRE(got.ok());
      auto v = bpf::validate(*got, bpf::Profile::Kernel);
      REQUIRE(v.ok());
      for (size_t f = 0; f < frames.size(); ++f) {
        CAPTURE(f);
        for (size_t cut = frames[f].size(); cut > 0; --cut) {
          CAPTURE(cut);
          std::span<const uint8_t> data(frames[f].data(), cut);
          const uint32_t expected = oracleRun(want, data, static_cast<uint32_t>(frames[f].size()));
          CHECK(vm::run(*v, data, static_cast<uint32_t>(frames[f].size())) == expected);
          if (cut == frames[f].size()) accepted += expected != 0;
        }
      }
    }
  }
  CHECK(accepted == 16);  // both nestings match each expression, at both levels
}
