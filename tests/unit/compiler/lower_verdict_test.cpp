// Verdict tests against libpcap: every expression below is compiled by sift
// (parse, stand-in resolve, lower; then also emit and the interpreter) and
// by pcap_compile (optimize 1, netmask 0) for each of the nine link types,
// and both programs run over crafted packets cut at every length from 0 to
// the whole packet. The verdicts must be equal everywhere; where libpcap
// refuses an expression sift must refuse it too (or, for "expression
// rejects all packets", reject every packet).
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "compiler/emit.h"
#include "lower_support.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

constexpr uint32_t kSnaplen = 262144;

const uint32_t kDlts[] = {1, 0, 108, 12, 228, 229, 113, 276, 9};

const char* const kExpressions[] = {
    // protocol abbreviations
    "ip", "ip6", "arp", "rarp", "tcp", "udp", "sctp", "icmp", "icmp6", "igmp", "igrp", "pim", "ah", "esp",
    "vrrp", "carp", "not ip", "ip or ip6", "tcp or udp", "not tcp and not udp",
    // proto
    "ip proto 6", "ip proto 17", "ip6 proto 6", "ip6 proto 58", "proto 6", "proto 17", "ip proto \\tcp",
    "ether proto 0x800", "ether proto 0x86dd", "ether proto 0x806", "ether proto 0x8035", "ether proto 0x1234",
    "ether proto 0x8137", "ether proto 0x6003", "ether proto 100", "ether proto 0x42", "ether proto 0xe0",
    "ether proto 0xfe", "ether proto 0xf0", "ether proto 1500", "ether proto 1501", "ether proto \\ip",
    "not ether proto 0xe0",
    // hosts and nets
    "host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.1", "src or dst host 10.0.0.2",
    "src and dst host 10.0.0.1", "ip host 10.0.0.2", "ip src host 10.0.0.2", "arp host 10.0.0.1",
    "rarp host 10.0.0.2", "arp dst host 10.0.0.2", "host 192.168.1.1", "not host 10.0.0.1",
    "net 10.0.0.0/8", "src net 10.0.0.0/24", "dst net 224.0.0.0/4", "net 192.168.0.0 mask 255.255.0.0",
    "ip net 10.0.0.0/31", "net 0.0.0.0/0", "arp net 10.0.0.0/8", "net 10", "net 10.0",
    "host 2001:db8::1", "ip6 host ::1", "src host 2001:db8::2", "dst host ff02::1", "ip6 src or dst host fe80::1",
    "src and dst host ::1", "net 2001:db8::/32", "ip6 net ff00::/8", "dst net fe80::/10", "net ::/0",
    "not ip6 net 2001:db8::/64",
    // MAC addresses
    "ether host 00:11:22:33:44:55", "ether src 00:aa:bb:cc:dd:ee", "ether dst ff:ff:ff:ff:ff:ff",
    "ether src and dst 00:11:22:33:44:55", "not ether host 00:aa:bb:cc:dd:ee",
    // broadcast and multicast
    "broadcast", "ether broadcast", "multicast", "ether multicast", "ip broadcast", "ip multicast",
    "ip6 multicast", "not ip multicast", "not broadcast",
    // ports
    "port 80", "tcp port 80", "udp port 53", "sctp port 80", "src port 80", "dst port 80", "tcp src port 1234",
    "udp dst port 25", "src and dst port 53", "port 53 or port 443", "not port 80", "tcp port http",
    "portrange 10-100", "tcp portrange 1-1024", "udp dst portrange 20-30", "src portrange 80-80",
    "sctp src or dst portrange 9-80", "not portrange 1-100", "tcp src portrange 1000-2000",
    // lengths
    "less 60", "greater 60", "len > 100", "len <= 64", "len = 74", "len != 60", "not less 40",
    // packet access and arithmetic
    "ether[0] = 0", "ether[12:2] = 0x800", "ether[0] & 1 != 0", "link[1:4] > 5", "ip[0] = 0x45", "ip[0] & 0xf > 5",
    "ip[9] = 6", "ip[6:2] & 0x1fff = 0", "ip[16:4] = 0x0a000002", "ip6[6] = 6", "ip6[0] & 0xf0 = 0x60",
    "ip6[40:2] = 1234", "arp[6:2] = 1", "rarp[7] = 3", "tcp[0:2] = 80", "tcp[2:2] = 80", "tcp[13] & 2 != 0",
    "tcp[tcpflags] & tcp-syn != 0", "udp[0:2] = 53", "udp[2:2] = 25", "sctp[0:2] = 80", "icmp[0] = 8",
    "icmp[icmptype] = icmp-echoreply", "icmp6[0] = 128", "icmp6[icmp6type] = icmp6-echo", "igmp[0] = 0x11",
    "pim[0] = 0", "vrrp[0] >= 0", "igrp[0] = 0", "carp[1] = 0", "tcp[0:4] = 0x04d20050",
    "ip[0] + 1 = 0x46", "ip[2:2] - 20 = 20", "ip[0] * 2 = 0x8a", "ip[0] / 5 = 13", "ip[0] % 16 = 5",
    "ip[0] | 1 = 0x45", "ip[0] ^ 0x40 = 5", "ip[0] << 2 = 0x114", "ip[0] >> 4 = 4", "-ip[0] = 0xffffffbb",
    "ip[ip[0] & 0xf] = 0", "tcp[ip[0] & 0xf] > 0", "ether[ether[0]] = 0", "ip[len - 60] = 0",
    "ip[0] = ip[0]", "tcp[0:2] = tcp[2:2]", "tcp[0:2] > udp[0:2]", "ip[0] / ip[1] = 0", "ip[1] % ip[1] = 0",
    "ip[0] & 0xf0 = ip6[0] & 0xf0", "len - 14 = ip[2:2]", "14 + ip[2:2] = len", "1 = 1", "1 = 2", "2 > 1",
    "ip[0] < 0x50", "ip[0] <= 0x45", "ip[0] >= 0x45", "ip[0] != 0x45", "ip[65535] = 0", "ether[4294967295] = 0",
    "ip[4294967200 + 100] = 0", "tcp[4294967290] = 1", "link[0:4] = 0xffffffff",
    // combinations
    "tcp and port 80", "ip and not tcp", "host 10.0.0.1 and (port 80 or port 53)",
    "(tcp or udp) and not host 192.168.1.1", "not (arp or rarp)", "ip6 and tcp", "ip and ip6",
    "icmp or icmp6 or igmp", "ether broadcast or ip multicast", "tcp[13] & 2 != 0 and not src net 10.0.0.0/8",
    "not (tcp[0] = 1)", "not ip[100] = 0", "not tcp port 80 and not udp port 53",
};

struct Stats {
  size_t expressions = 0, compiled = 0, bothRejected = 0, runs = 0, mismatches = 0;
  size_t optimizerOnly = 0;  // cut packets where only libpcap's optimized program differs
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
      if ((viaIr != expect && viaIr != optimized) || viaVm != viaIr || (whole && viaIr != optimized)) {
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
                                       << ", differing from libpcap -O1 only on cut packets " << stats.optimizerOnly);
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
