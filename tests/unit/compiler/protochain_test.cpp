// protochain end to end: the program is a loop with a backward ja, as
// libpcap's, and shorter than libpcap's; the optimizer leaves it alone, the
// validator's libpcap profile accepts it and the kernel's refuses it, and
// on packets with chains of IPv6 extension headers and AH, whole and cut at
// every length, sift's VM returns what libpcap's bpf_filter returns. A
// packet whose walk comes back to where it was is rejected (libpcap's
// interpreter loops forever on it, so it is not asked).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "compile_at.h"
#include "compiler/lower_internal.h"
#include "ir/ir.h"
#include "lower_support.h"
#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes ethernet(uint16_t type, const Bytes& payload) {
  Bytes b = {
      0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, uint8_t(type >> 8), uint8_t(type)};
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

/// An IPv6 header with `next`, then `rest`.
Bytes ipv6(uint8_t next, const Bytes& rest) {
  Bytes b(40, 0);
  b[0] = 0x60;
  b[4] = uint8_t(rest.size() >> 8), b[5] = uint8_t(rest.size());
  b[6] = next;
  b[7] = 64;
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

/// An IPv4 header (no options) with `proto`, then `rest`.
Bytes ipv4(uint8_t proto, const Bytes& rest) {
  Bytes b(20, 0);
  b[0] = 0x45;
  b[3] = uint8_t(20 + rest.size());
  b[8] = 64;
  b[9] = proto;
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

/// An extension header with `next` and length byte `units`: (units + 1) * 8 bytes.
Bytes extension(uint8_t next, uint8_t units) {
  Bytes b((units + 1u) * 8, 0);
  b[0] = next;
  b[1] = units;
  return b;
}

/// An AH header with `next` and length byte `length`: (length + 2) * 4 bytes.
Bytes ah(uint8_t next, uint8_t length) {
  Bytes b((length + 2u) * 4);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t((i * 0x9d) ^ (i >> 2) ^ 0x5a);  // bytes unlike TCP's
  b[0] = next;
  b[1] = length;
  b[2] = b[3] = 0;
  return b;
}

Bytes cat(std::vector<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kTcp(20, 0), kUdp(8, 0);
const Bytes kSyn80 = {0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
const Bytes kDns = {0xd4, 0x31, 0, 53, 0, 8, 0, 0};

std::vector<Bytes> chainPackets() {
  return {
      // hop-by-hop, destination options (16 bytes), routing, fragment, TCP
      ethernet(0x86dd,
               ipv6(0, cat({extension(60, 0), extension(43, 1), extension(44, 0), extension(6, 0), kTcp}))),
      // destination options, then no next header
      ethernet(0x86dd, ipv6(60, cat({extension(59, 2)}))),
      // AH on IPv6: libpcap 1.10.3 continues (4 + 2) * 4 bytes into the IPv6 header
      ethernet(0x86dd, ipv6(51, cat({ah(17, 4), kUdp}))),
      ethernet(0x86dd, ipv6(51, cat({ah(60, 1), extension(6, 0), kTcp}))),
      // AH on IPv4, then UDP; AH in AH
      ethernet(0x0800, ipv4(51, cat({ah(17, 4), kUdp}))),
      ethernet(0x0800, ipv4(51, cat({ah(51, 4), ah(6, 4), kTcp}))),
      // AH on IPv4 before a SYN to port 80, and on IPv6 before UDP to port 53
      ethernet(0x0800, ipv4(51, cat({ah(6, 4), kSyn80}))),
      ethernet(0x86dd, ipv6(51, cat({ah(17, 2), kDns}))),
      // plain TCP and UDP, and a frame that is neither IPv4 nor IPv6
      ethernet(0x86dd, ipv6(6, kTcp)),
      ethernet(0x0800, ipv4(17, kUdp)),
      ethernet(0x0806, Bytes(28, 0)),
  };
}

}  // namespace

TEST_CASE("protochain's loop is shorter than libpcap's, with the same loads in the same order") {
  // libpcap's AH step moves X through A twice and adds 1 to X before its
  // second load; sift loads at X + 1 directly. Its `add #0` no-ops go, and
  // so does a test of a value the walk has already left on.
  for (uint32_t dlt : {1u, 0u, 9u, 12u, 108u, 113u, 228u, 229u, 276u}) {
    for (const char* e :
         {"ip6 protochain 6", "ip protochain 17", "ip6 protochain 0 and tcp", "protochain 51"}) {
      CAPTURE(dlt);
      CAPTURE(std::string(e));
      OracleResult pcap = oracleCompile(e, dlt, 262144, true, 0);
      auto got = compileAt(e, dlt, 1);
      REQUIRE(pcap.ok == got.ok());
      if (!pcap.ok) continue;
      CHECK(got->insns.size() < pcap.insns.size());
    }
  }
  auto p = compileAt("ip protochain 17", 1, 0);
  REQUIRE(p.ok());
  CHECK(bpf::listing(*p, bpf::ListingFormat::Image) ==
        "(000) ldh      [12]\n"
        "(001) jeq      #0x800           jt 2\tjf 17\n"
        "(002) ldb      [23]\n"
        "(003) ldxb     4*([14]&0xf)\n"
        "(004) jeq      #0x11            jt 15\tjf 5\n"
        "(005) jeq      #0x3b            jt 15\tjf 6\n"
        "(006) jeq      #0x33            jt 7\tjf 15\n"
        "(007) ldb      [x + 14]\n"
        "(008) st       M[0]\n"
        "(009) ldb      [x + 15]\n"
        "(010) add      #2\n"
        "(011) mul      #4\n"
        "(012) tax      \n"
        "(013) ld       M[0]\n"
        "(014) ja       4\n"
        "(015) jeq      #0x11            jt 16\tjf 17\n"
        "(016) ret      #262144\n"
        "(017) ret      #0\n");
  // On IPv4, AH is the last header the walk steps over: `ip protochain 51`
  // needs no loop at all.
  auto ah = compileAt("ip protochain 51", 1, 0);
  REQUIRE(ah.ok());
  for (const bpf::Insn& in : ah->insns) CHECK(in.code != 0x05);  // no ja
}

TEST_CASE("the optimizer works around a protochain loop and keeps the loop as it is") {
  // The loop of `ip6 protochain 17` at -O0: from its first test to its last ja.
  auto alone = compileAt("ip6 protochain 17", 1, 0);
  REQUIRE(alone.ok());
  size_t start = 0, end = 0;
  for (size_t i = 0; i < alone->insns.size(); ++i) {
    if (alone->insns[i].code == 0x01 && alone->insns[i].k == 40) start = i + 1;  // ldx #40
    if (alone->insns[i].code == 0x05) end = i + 1;                               // ja
  }
  std::vector<bpf::Insn> loop(alone->insns.begin() + static_cast<ptrdiff_t>(start),
                              alone->insns.begin() + static_cast<ptrdiff_t>(end));
  REQUIRE(loop.size() > 10);
  auto contains = [&](const bpf::Program& p) {
    return std::search(p.insns.begin(), p.insns.end(), loop.begin(), loop.end()) != p.insns.end();
  };
  for (const char* e : {"ip6 protochain 17", "ip6 protochain 17 and tcp and tcp",
                        "ip6 protochain 17 or host 10.0.0.1", "ip6 protochain 17 and udp port 53"}) {
    CAPTURE(std::string(e));
    OracleResult pcap = oracleCompile(e, 1, 262144, true, 0);
    auto o0 = compileAt(e, 1, 0), o1 = compileAt(e, 1, 1), o2 = compileAt(e, 1, 2);
    REQUIRE(pcap.ok);
    REQUIRE(o0.ok());
    REQUIRE(o1.ok());
    REQUIRE(o2.ok());
    CHECK(o1->insns.size() <= o0->insns.size());
    CHECK(o1->insns.size() < pcap.insns.size());
    CHECK(contains(*o0));
    CHECK(contains(*o1));
    CHECK(contains(*o2));
  }
  // Around the loop the optimizer does its usual work: the IPv6 test of
  // `protochain 17` does not reload the EtherType.
  auto both = compileAt("protochain 17", 1, 1);
  REQUIRE(both.ok());
  size_t etherTypeLoads = 0;
  for (const bpf::Insn& in : both->insns) etherTypeLoads += in.code == 0x28 && in.k == 12;
  CHECK(etherTypeLoads == 1);
  auto combined = compileAt("ip6 protochain 17 and tcp and tcp", 1, 1);
  auto unoptimized = compileAt("ip6 protochain 17 and tcp and tcp", 1, 0);
  REQUIRE(combined.ok());
  REQUIRE(unoptimized.ok());
  CHECK(combined->insns.size() < unoptimized->insns.size());
  // libpcap never reports "rejects all packets" with protochain; neither
  // does sift, which compiles it to a program that rejects every packet.
  auto none = compileAt("protochain 6 and 0 = 1", 1, 1);
  REQUIRE(none.ok());
  CHECK(none->insns.size() == 1);
}

TEST_CASE("a protochain program passes the libpcap profile, not the kernel's") {
  auto p = compileAt("ip6 protochain 6", 1, 1);
  REQUIRE(p.ok());
  CHECK(bpf::validate(*p, bpf::Profile::Libpcap).ok());
  bpf::ValidationError why;
  CHECK_FALSE(bpf::validate(*p, bpf::Profile::Kernel, &why));
  CHECK(why.message.find("jumps backward") != std::string::npos);
}

TEST_CASE("protochain verdicts match libpcap on header chains, whole and cut short") {
  // On Ethernet and on raw IP (the same packets without their Ethernet
  // header), so that the walk's offsets start from two places.
  size_t accepted = 0, runs = 0;
  for (uint32_t dlt : {1u, 12u}) {
    std::vector<Bytes> packets = chainPackets();
    if (dlt == 12)
      for (Bytes& b : packets) b.erase(b.begin(), b.begin() + 14);
    for (const char* e : {"protochain 6",
                          "protochain 17",
                          "ip6 protochain 6",
                          "ip6 protochain 17",
                          "ip protochain 17",
                          "ip protochain 6",
                          "ip6 protochain 44",
                          "ip6 protochain 59",
                          "ip6 protochain 0",
                          "protochain 51",
                          "ip protochain 51",
                          "ip6 protochain 51",
                          "protochain 59",
                          "ip6 protochain 60",
                          "not protochain 6",
                          "protochain 6 and ip6 net ::/0",
                          "protochain 6 and tcp",
                          "ip6 protochain 17 or host 10.0.0.1",
                          "protochain 6 and protochain 51",
                          "protochain 17 and not udp",
                          "ip protochain 17 and ip[9] = 51",
                          "(ip6 protochain 6 or ip protochain 6) and not (tcp[13] & 2 != 0)",
                          "protochain 6 and tcp port 80",
                          "ip6 protochain 17 and udp port 53"}) {
      CAPTURE(dlt);
      CAPTURE(std::string(e));
      OracleResult pcap = oracleCompile(e, dlt, 262144, true, 0);
      REQUIRE(pcap.ok);
      for (int level : {0, 1, 2}) {
        auto got = compileAt(e, dlt, level);
        REQUIRE(got.ok());
        auto v = bpf::validate(*got, bpf::Profile::Libpcap);
        REQUIRE(v.ok());
        for (size_t i = 0; i < packets.size(); ++i) {
          for (size_t cut = 0; cut <= packets[i].size(); ++cut) {
            CAPTURE(i);
            CAPTURE(cut);
            std::span<const uint8_t> data(packets[i].data(), cut);
            const uint32_t wire = static_cast<uint32_t>(packets[i].size());
            const uint32_t want = oracleRun(pcap.insns, data, wire);
            CHECK(vm::run(*v, data, wire) == want);
            ++runs;
            if (cut == packets[i].size() && want != 0) ++accepted;
          }
        }
      }
    }
  }
  CHECK(accepted > 40);
  MESSAGE(runs << " verdicts compared");
}

TEST_CASE("a walk that comes back to an AH header it has read rejects the packet") {
  // IPv4 with AH whose next header is AH and whose length sends the walk
  // back to itself: libpcap's interpreter would loop forever.
  Bytes loop = ethernet(0x0800, ipv4(51, cat({ah(51, 3), kUdp})));
  auto p = compileAt("ip protochain 17", 1, 1);
  REQUIRE(p.ok());
  auto v = bpf::validate(*p, bpf::Profile::Libpcap);
  REQUIRE(v.ok());
  CHECK(vm::run(*v, loop, static_cast<uint32_t>(loop.size())) == 0);
}

TEST_CASE("protochain is refused where the network layer has no fixed offset") {
  auto g = compileAt("geneve and protochain 6", 1, 1);
  REQUIRE_FALSE(g.ok());
  CHECK(g.error().message.find("inside 'geneve'") != std::string::npos);
  REQUIRE(g.error().span.has_value());
  CHECK(g.error().span->begin == 11);
  CHECK(compileAt("vlan and protochain 6", 1, 1).ok());
  CHECK(compileAt("mpls and ip protochain 6", 1, 1).ok());
}

TEST_CASE("the IR verifier keeps a block's inner jumps inside the block") {
  ir::Builder b;
  namespace op = compiler::detail::op;
  using op::insn;
  std::vector<bpf::Insn> stmts = {insn(op::kLdImm, 1), bpf::Insn{op::kJeq, 0, 1, 1},
                                  insn(op::kAluK | op::kAdd, 1), bpf::Insn{op::kJa, 0, 0, 0xfffffffdu}};
  ir::Fragment f = b.test(stmts, op::kJeq, 2);
  ir::Program ok = b.finish(f, 1);
  CHECK(ir::verify(ok).empty());
  CHECK(ir::hasInnerJumps(ok));
  ir::Program out = ok;
  out.blocks[out.entry].stmts[1].jf = 5;  // lands past the terminator
  CHECK(ir::verify(out).find("jumps out of its block") != std::string::npos);
  out = ok;
  out.blocks[out.entry].stmts[3].k = 0xfffffff0u;  // before the first statement
  CHECK(ir::verify(out).find("jumps out of its block") != std::string::npos);
}
