// End-to-end verdicts: sift::compile (parse, resolve, lower, optimize,
// emit) at -O0 and -O1 against pcap_compile -O1, over the same crafted
// packets (cut at every length) and expressions as the lowering tests.
// The whole pipeline must accept what libpcap accepts and agree on every
// whole packet; on cut packets either libpcap program's verdict is fine
// (libpcap's optimizer itself changes which truncated packets pass).
#include <doctest/doctest.h>

#include <string>

#include "lower_support.h"
#include "sift/compile.h"
#include "sift/vm.h"
#include "verdict_cases.h"
#ifdef SIFT_HAVE_PACKET_GEN
#include "packet_gen.h"
#endif

using namespace sift;
using namespace sift::lowertest;

namespace {

struct Tally {
  size_t cases = 0, compiled = 0, bothRefused = 0, runs = 0, mismatches = 0, refusalMismatches = 0;
  size_t libpcapSplits = 0;
  size_t siftProvesRejectAll = 0;  // sift -O1 says "rejects all packets", libpcap compiles a program rejecting all
};

void checkCompile(uint32_t dlt, const char* expr, int level, Tally& t) {
  ++t.cases;
  const std::string exprText = expr;
  CAPTURE(dlt);
  CAPTURE(exprText);
  CAPTURE(level);
  static const FixedResolver resolver = FixedResolver::standard();
  CompileOptions o;
  o.linktype = dlt;
  o.optimizeLevel = level;
  o.resolver = &resolver;
  auto got = compile(expr, o);
  OracleResult opt = oracleCompile(expr, dlt, 262144, true, 0);
  const bool rejectsAll = !opt.ok && opt.error.find("rejects all packets") != std::string::npos;
  if (!opt.ok && !rejectsAll) {
    if (got) {
      ++t.refusalMismatches;
      FAIL_CHECK("libpcap refuses it (" << opt.error << "), sift compiles it");
    } else {
      ++t.bothRefused;
    }
    return;
  }
  if (!got) {
    // sift may report "rejects all packets" as libpcap's optimizer does.
    if (rejectsAll && got.error().message.find("rejects all packets") != std::string::npos) {
      ++t.bothRefused;
      return;
    }
    // sift's optimizer proves "rejects all packets" for some expressions
    // libpcap's cannot; then libpcap's program must reject every packet.
    if (got.error().message.find("rejects all packets") != std::string::npos && opt.ok) {
      bool allRejected = true;
      for (const Packet& p : craftedPackets(dlt))
        allRejected = allRejected && oracleRun(opt.insns, p.bytes, static_cast<uint32_t>(p.bytes.size())) == 0;
      if (allRejected) {
        ++t.siftProvesRejectAll;
        return;
      }
    }
    ++t.refusalMismatches;
    FAIL_CHECK("sift refuses it: " << got.error().message);
    return;
  }
  ++t.compiled;
  OracleResult unopt = oracleCompile(expr, dlt, 262144, false, 0);
  REQUIRE(unopt.ok);
  auto validated = bpf::validate(*got, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(validated.ok(), (validated.ok() ? std::string() : validated.error().message));
  size_t reported = 0;
  for (const Packet& p : craftedPackets(dlt)) {
    const uint32_t wire = static_cast<uint32_t>(p.bytes.size());
    for (size_t cut = 0; cut <= p.bytes.size(); ++cut) {
      std::span<const uint8_t> bytes(p.bytes.data(), cut);
      const uint32_t wantOpt = rejectsAll ? 0 : oracleRun(opt.insns, bytes, wire);
      const uint32_t wantUnopt = oracleRun(unopt.insns, bytes, wire);
      const uint32_t v = vm::run(*validated, bytes, wire);
      ++t.runs;
      const bool whole = cut == p.bytes.size();
      // Where libpcap's own programs disagree on a whole packet (its 1.10.3
      // optimizer miscompiles some expressions), either verdict is libpcap's.
      const bool split = whole && wantOpt != wantUnopt;
      if (split) ++t.libpcapSplits;
      if ((whole && !split && v != wantOpt) || (v != wantOpt && v != wantUnopt)) {
        ++t.mismatches;
        if (reported++ < 2)
          FAIL_CHECK("packet '" << p.name << "' cut at " << cut << "/" << wire << ": libpcap " << wantOpt
                                << " (unoptimized " << wantUnopt << "), sift " << v);
      }
    }
  }
}

}  // namespace

TEST_CASE("sift::compile gives libpcap's verdicts (-O0 and -O1)") {
  for (int level : {0, 1}) {
    Tally t;
    for (uint32_t dlt : kDlts)
      for (const char* expr : kExpressions) checkCompile(dlt, expr, level, t);
    MESSAGE("-O" << level << ": cases " << t.cases << ", compiled " << t.compiled << ", refused by both "
                 << t.bothRefused << ", refusal mismatches " << t.refusalMismatches << ", packet runs " << t.runs
                 << ", verdict mismatches " << t.mismatches << ", whole packets where libpcap -O0/-O1 disagree "
                 << t.libpcapSplits);
    CHECK(t.mismatches == 0);
  }
}

TEST_CASE("sift::compile agrees with libpcap on random combinations") {
  const std::vector<std::string> exprs = randomExpressions(120, 0xc0ffee);
  for (int level : {0, 1}) {
    Tally t;
    for (uint32_t dlt : kDlts)
      for (const std::string& e : exprs) checkCompile(dlt, e.c_str(), level, t);
    MESSAGE("random -O" << level << ": cases " << t.cases << ", compiled " << t.compiled << ", refused by both "
                        << t.bothRefused << ", refusal mismatches " << t.refusalMismatches << ", verdict mismatches "
                        << t.mismatches << ", libpcap -O0/-O1 splits " << t.libpcapSplits
                        << ", only sift proves 'rejects all packets' " << t.siftProvesRejectAll);
    CHECK(t.mismatches == 0);
    CHECK(t.refusalMismatches == 0);
  }
}

#ifdef SIFT_HAVE_PACKET_GEN
TEST_CASE("sift::compile agrees with libpcap on the generator's packets") {
  static const FixedResolver resolver = FixedResolver::standard();
  size_t runs = 0, mismatches = 0;
  for (uint32_t dlt : kDlts) {
    gen::GenOptions g;
    g.linktype = dlt;
    g.count = 400;
    g.seed = 7;
    const std::vector<gen::GeneratedPacket> packets = gen::generatePackets(g);
    REQUIRE(!packets.empty());
    for (const char* expr : kExpressions) {
      OracleResult opt = oracleCompile(expr, dlt, 262144, true, 0);
      if (!opt.ok) continue;
      CompileOptions o;
      o.linktype = dlt;
      o.resolver = &resolver;
      auto got = compile(expr, o);
      const std::string exprText = expr;
      CAPTURE(dlt);
      CAPTURE(exprText);
      if (!got && got.error().message.find("rejects all packets") != std::string::npos) {
        // Only sift's optimizer proved it; libpcap's program must agree.
        for (const gen::GeneratedPacket& p : packets) CHECK(oracleRun(opt.insns, p.data, p.wireLength) == 0);
        continue;
      }
      REQUIRE_MESSAGE(got.ok(), (got.ok() ? std::string() : got.error().message));
      auto validated = bpf::validate(*got, bpf::Profile::Libpcap);
      REQUIRE(validated.ok());
      size_t reported = 0;
      for (size_t i = 0; i < packets.size(); ++i) {
        const gen::GeneratedPacket& p = packets[i];
        const uint32_t want = oracleRun(opt.insns, p.data, p.wireLength);
        const uint32_t v = vm::run(*validated, p.data, p.wireLength);
        ++runs;
        if (v != want) {
          ++mismatches;
          if (reported++ < 2) FAIL_CHECK("generated packet " << i << ": libpcap " << want << ", sift " << v);
        }
      }
    }
  }
  MESSAGE("generated-packet runs " << runs << ", mismatches " << mismatches);
  CHECK(mismatches == 0);
}
#endif
