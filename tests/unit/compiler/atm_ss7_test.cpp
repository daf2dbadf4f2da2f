// SunATM and SS7 keywords end to end: on the link types that have them,
// sift::compile at -O0 and -O1 returns libpcap's verdict on every
// generated packet, whole and cut short (lane's LE control frames, MTP2
// high-speed-link units, routing labels among them); elsewhere they are
// refused, naming the link types that have them, as libpcap refuses them.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compile_at.h"
#include "lower_support.h"
#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

constexpr uint32_t kSunatm = 123, kMtp2 = 140, kMtp2Phdr = 139, kMtp3 = 141, kErf = 197;

void agree(uint32_t dlt, const std::vector<std::string>& expressions) {
  const auto packets = gen::generatePackets({dlt, 1500, 3});
  size_t accepted = 0, rejected = 0;
  for (const std::string& e : expressions) {
    CAPTURE(dlt);
    CAPTURE(e);
    OracleResult pcap = oracleCompile(e, dlt, 262144, true, 0);
    OracleResult unopt = oracleCompile(e, dlt, 262144, false, 0);
    REQUIRE_MESSAGE(pcap.ok, pcap.error);
    for (int level : {0, 1}) {
      auto got = compileAt(e, dlt, level);
      REQUIRE_MESSAGE(got.ok(), (got.ok() ? std::string() : got.error().message));
      auto v = bpf::validate(*got, bpf::Profile::Libpcap);
      REQUIRE(v.ok());
      for (const auto& p : packets) {
        for (size_t cut : {p.data.size(), p.data.size() / 2, size_t{5}}) {
          std::span<const uint8_t> data(p.data.data(), std::min(cut, p.data.size()));
          const uint32_t want = oracleRun(pcap.insns, data, p.wireLength);
          const uint32_t want0 = oracleRun(unopt.insns, data, p.wireLength);
          const uint32_t got1 = vm::run(*v, data, p.wireLength);
          // On cut packets libpcap's optimizer may change the verdict; either is libpcap's.
          CHECK((got1 == want || got1 == want0));
          if (cut == p.data.size()) (want ? accepted : rejected)++;
        }
      }
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}

}  // namespace

TEST_CASE("SunATM fields, cell types and lane agree with libpcap") {
  agree(kSunatm, {"vpi 0", "vci 5", "vpi > 3", "vpi < 5", "vpi <= 1", "vci != 5", "vpi (0 or 1 or 5)", "metac",
                  "bcc", "sc", "ilmic", "oamf4sc", "oamf4ec", "oam", "oamf4", "connectmsg", "metaconnect", "lane",
                  "lane and ip", "lane and ether host 00:11:22:33:44:55", "lane and broadcast", "lane and vlan",
                  "lane and llc", "lane or ip", "lane and lane and ip", "lane and vpi 0", "ip", "llc"});
}

TEST_CASE("SS7 frame types and MTP3 fields agree with libpcap") {
  for (uint32_t dlt : {kMtp2, kMtp2Phdr, kErf})
    agree(dlt, {"fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio 3", "sio > 100", "hsio 3", "dpc 100",
                "dpc <= 5", "opc 100", "opc < 100", "hopc 1000", "sls 5", "sls > 4", "hsls 0", "opc (1 or 2)",
                "dpc != 100", "msu and sio 3 and dpc 100"});
}

TEST_CASE("ATM and SS7 keywords elsewhere: refused, naming where they work") {
  struct Case {
    const char* expr;
    uint32_t dlt;
    const char* says;
    const char* spanned;
  };
  const Case cases[] = {
      {"vpi 1", 1, "it works on DLT_SUNATM", "vpi"},
      {"ip and lane", 1, "'lane' is not supported on DLT_EN10MB", "lane"},
      {"oam", kMtp2, "it works on DLT_SUNATM", "oam"},
      {"fisu", kSunatm, "it works on DLT_MTP2_WITH_PHDR, DLT_MTP2, DLT_ERF", "fisu"},
      {"sio 3", kMtp3, "not supported on DLT_MTP3", "sio"},
      {"hdpc 5", 12, "which has no MTP2 header", "hdpc"},
      {"opc 16384", kMtp2, "'opc' takes a number from 0 to 16383, not 16384", "16384"},
      {"sls < 16", kErf, "'sls' takes a number from 0 to 15", "16"},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.expr));
    CHECK_FALSE(oracleCompile(c.expr, c.dlt, 262144, true, 0).ok);
    auto got = compileAt(c.expr, c.dlt, 1);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().message.find(c.says) != std::string::npos);
    REQUIRE(got.error().span.has_value());
    const std::string e = c.expr;
    CHECK(e.substr(got.error().span->begin, got.error().span->size()) == c.spanned);
  }
}
