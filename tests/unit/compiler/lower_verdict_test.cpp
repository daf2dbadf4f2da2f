// Verdict tests against libpcap: every expression below is compiled by sift
// (parse, stand-in resolve, lower; then also emit and the interpreter) and
// by pcap_compile (optimize 1, netmask 0) for each of the nine link types,
// and both programs run over crafted packets cut at every length from 0 to
// the whole packet. The verdicts must be equal everywhere; where libpcap
// refuses an expression sift must refuse it too (or, for "expression
// rejects all packets", reject every packet).
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "compiler/emit.h"
#include "lower_support.h"
#include "verdict_cases.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

constexpr uint32_t kSnaplen = 262144;

struct Stats {
  size_t expressions = 0, compiled = 0, bothRejected = 0, runs = 0, mismatches = 0;
  size_t optimizerOnly = 0;  // cut packets where only libpcap's optimized program differs
  size_t libpcapOptimizerBugs = 0;  // whole packets where libpcap -O1 and -O0 disagree
};

void checkOne(uint32_t dlt, const char* expr, Stats& stats, uint32_t netmask = 0) {
  ++stats.expressions;
  const uint32_t pcapDlt = dlt == 101 ? 12 : dlt;
  OracleResult want = oracleCompile(expr, pcapDlt, kSnaplen, true, netmask);
  auto got = lowerText(expr, dlt, netmask);
  CAPTURE(dlt);
  const std::string exprText = expr;
  CAPTURE(exprText);
  const bool rejectsAll = !want.ok && want.error.find("rejects all packets") != std::string::npos;
  if (!want.ok && !rejectsAll) {
    if (got) {
      FAIL_CHECK("libpcap refuses it (" << want.error << ") but sift lowers it");
      ++stats.mismatches;
    } else {
      ++stats.bothRejected;
    }
    return;
  }
  if (!got) {
    FAIL_CHECK("sift refuses it: " << got.error().message);
    ++stats.mismatches;
    return;
  }
  ++stats.compiled;
  const std::string why = ir::verify(*got);
  REQUIRE_MESSAGE(why.empty(), why);
  auto emitted = compiler::emit(*got);
  REQUIRE_MESSAGE(emitted.ok(), (emitted.ok() ? std::string() : emitted.error().message));
  auto validated = bpf::validate(*emitted, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(validated.ok(), (validated.ok() ? std::string() : validated.error().message));

  // The references are libpcap's optimized and unoptimized programs: on
  // whole packets sift must give the optimized verdict; on cut packets
  // (where libpcap's optimizer, by dropping and reordering loads, can
  // change which truncated packets are rejected) the verdict of one of the
  // two. Cut packets where sift differs from the optimized one are counted.
  OracleResult unopt = oracleCompile(expr, pcapDlt, kSnaplen, false, netmask);
  REQUIRE_MESSAGE(unopt.ok, unopt.error);
  size_t reported = 0;
  for (const Packet& p : craftedPackets(dlt)) {
    const uint32_t wire = static_cast<uint32_t>(p.bytes.size());
    for (size_t cut = 0; cut <= p.bytes.size(); ++cut) {
      std::span<const uint8_t> bytes(p.bytes.data(), cut);
      const uint32_t expect = oracleRun(unopt.insns, bytes, wire);
      const uint32_t optimized = rejectsAll ? 0 : oracleRun(want.insns, bytes, wire);
      const uint32_t viaIr = runIr(*got, bytes, wire);
      const uint32_t viaVm = vm::run(*validated, bytes, wire);
      ++stats.runs;
      const bool whole = cut == p.bytes.size();
      // On a cut packet sift may follow either libpcap program (it drops
      // the loads of always-true tests as libpcap's optimizer does).
      // When libpcap's two programs disagree on a whole packet, its
      // optimizer changed the meaning (1.10.3 predates the optimizer fixes
      // of 1.10.5; huge constant indexes fold differently): either verdict
      // is libpcap's, and those packets are counted.
      const bool libpcapSplit = whole && expect != optimized;
      if (libpcapSplit) ++stats.libpcapOptimizerBugs;
      if ((viaIr != expect && viaIr != optimized) || viaVm != viaIr ||
          (whole && !libpcapSplit && viaIr != optimized)) {
        ++stats.mismatches;
        if (reported++ < 3)
          FAIL_CHECK("packet '" << p.name << "' cut at " << cut << "/" << wire << ": libpcap " << expect
                                << " (optimized " << optimized << "), sift IR " << viaIr << ", sift VM "
                                << viaVm);
      } else if (viaIr != optimized) {
        ++stats.optimizerOnly;
      }
    }
  }
}

}  // namespace

TEST_CASE("lowered programs give libpcap's verdicts on every link type") {
  Stats stats;
  for (uint32_t dlt : kDlts)
    for (const char* expr : kExpressions) checkOne(dlt, expr, stats);
  MESSAGE("expressions x link types: " << stats.expressions << ", compiled " << stats.compiled
                                       << ", refused by both " << stats.bothRejected << ", packet runs "
                                       << stats.runs << ", mismatches " << stats.mismatches
                                       << ", differing from libpcap -O1 only on cut packets " << stats.optimizerOnly
                                       << ", whole packets where libpcap -O0 and -O1 disagree "
                                       << stats.libpcapOptimizerBugs);
  CHECK(stats.mismatches == 0);
}

TEST_CASE("LINKTYPE_RAW 101 lowers like DLT_RAW") {
  Stats stats;
  for (const char* expr : {"ip", "ip6", "tcp port 80", "host 10.0.0.1", "ip6 host ::1", "arp"})
    checkOne(101, expr, stats);
  CHECK(stats.mismatches == 0);
}

TEST_CASE("ip broadcast follows the netmask") {
  Stats stats;
  for (uint32_t dlt : kDlts)
    for (uint32_t mask : {0u, 0xffffff00u, 0xff000000u, 0xfffffffeu})
      for (const char* expr : {"ip broadcast", "not ip broadcast", "ip broadcast or arp"}) checkOne(dlt, expr, stats, mask);
  CHECK(stats.mismatches == 0);
}

TEST_CASE("register-hungry expressions: refused exactly when libpcap refuses them") {
  std::vector<std::string> exprs;
  for (int depth = 10; depth <= 18; ++depth) {
    std::string loads = "ip[0]", consts = "1", index = "0", rel = "len";
    for (int i = 1; i < depth; ++i) {
      loads = "ip[" + std::to_string(i) + "] + (" + loads + ")";
      consts = std::to_string(i) + " * (" + consts + ")";
      index = "ip[" + index + "] & 3";
      rel = "len - (" + rel + ")";
    }
    exprs.push_back(loads + " = 0");
    exprs.push_back(consts + " = 0");
    exprs.push_back("ether[" + index + "] = 0");
    exprs.push_back("0 = " + rel);
    exprs.push_back("tcp[0] + (" + loads + ") > 1");
  }
  Stats stats;
  for (uint32_t dlt : {1u, 12u})
    for (const std::string& e : exprs) checkOne(dlt, e.c_str(), stats);
  MESSAGE("compiled " << stats.compiled << ", refused by both " << stats.bothRejected);
  CHECK(stats.bothRejected > 0);
  CHECK(stats.mismatches == 0);
}

TEST_CASE("random combinations of primitives agree with libpcap") {
  const std::vector<std::string> exprs = randomExpressions(120, 0x5eed);
  Stats stats;
  for (uint32_t dlt : kDlts)
    for (const std::string& e : exprs) checkOne(dlt, e.c_str(), stats);
  MESSAGE("random: " << stats.expressions << " expressions, compiled " << stats.compiled << ", refused by both "
                     << stats.bothRejected << ", packet runs " << stats.runs << ", mismatches " << stats.mismatches
                     << ", whole packets where libpcap's optimizer changed the verdict " << stats.libpcapOptimizerBugs);
  CHECK(stats.mismatches == 0);
}
