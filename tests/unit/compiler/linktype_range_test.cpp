// Which link types take a filter at all, against libpcap: for every DLT
// from 0 to 1023 and a few larger values, sift compiles the empty
// expression, `link[0] = 1` and `len > 10` exactly where libpcap 1.10.3
// does. Outside the link types libpcap knows and its "matching" range
// (104 to 289) both refuse every expression, the empty one too, and sift
// says so with the link type's number.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compile_at.h"
#include "lower_support.h"

using namespace sift;
using namespace sift::lowertest;

TEST_CASE("filters compile on exactly the link types libpcap compiles them for") {
  std::vector<uint32_t> dlts;
  for (uint32_t dlt = 0; dlt < 1024; ++dlt) dlts.push_back(dlt);
  for (uint32_t dlt : {4242u, 65535u, 65536u, 0x7fffffffu}) dlts.push_back(dlt);
  size_t refused = 0, compiled = 0;
  for (uint32_t dlt : dlts) {
    // LINKTYPE_RAW in pcap files: sift reads it as DLT_RAW (12), libpcap's
    // pcap_open_dead takes only DLT values (docs/linklayers.md).
    if (dlt == 101) continue;
    for (const char* text : {"", "link[0] = 1", "len > 10"}) {
      const std::string expr = text;
      CAPTURE(dlt);
      CAPTURE(expr);
      OracleResult pcap = oracleCompile(expr, dlt, 262144, true, 0);
      auto got = compileAt(expr, dlt, 1);
      CHECK(got.ok() == pcap.ok);
      if (got.ok() || pcap.ok) {
        ++compiled;
        continue;
      }
      ++refused;
      CHECK(pcap.error.find("unknown data link type") != std::string::npos);
      const std::string want = "unknown data link type " + std::to_string(dlt) + ": ";
      CHECK(got.error().message.substr(0, want.size()) == want);
      REQUIRE(got.error().span.has_value());
      CHECK(got.error().span->begin == 0);
      CHECK(got.error().span->end == expr.size());
    }
  }
  CHECK(refused > 0);
  CHECK(compiled > 0);
}
