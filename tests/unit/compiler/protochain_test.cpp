// protochain end to end: the program is libpcap's, instruction for
// instruction (a loop with backward ja), the optimizer leaves it alone, the
// validator's libpcap profile accepts it and the kernel's refuses it, and
// on packets with chains of IPv6 extension headers and AH, whole and cut at
// every length, sift's VM returns what libpcap's bpf_filter returns. A
// packet whose walk comes back to where it was is rejected (libpcap's
// interpreter loops forever on it, so it is not asked).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "compiler/lower_internal.h"
#include "ir/ir.h"
#include "compile_at.h"
#include "lower_support.h"
#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes ethernet(uint16_t type, const Bytes& payload) {
  Bytes b = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
             uint8_t(type >> 8), uint8_t(type)};
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
  Bytes b((length + 2u) * 4, 0x5a);
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

std::vector<Bytes> chainPackets() {
  return {
      // hop-by-hop, destination options (16 bytes), routing, fragment, TCP
      ethernet(0x86dd, ipv6(0, cat({extension(60, 0), extension(43, 1), extension(44, 0), extension(6, 0), kTcp}))),
      // destination options, then no next header
      ethernet(0x86dd, ipv6(60, cat({extension(59, 2)}))),
      // AH on IPv6: libpcap 1.10.3 continues (4 + 2) * 4 bytes into the IPv6 header
      ethernet(0x86dd, ipv6(51, cat({ah(17, 4), kUdp}))),
      ethernet(0x86dd, ipv6(51, cat({ah(60, 1), extension(6, 0), kTcp}))),
      // AH on IPv4, then UDP; AH in AH
      ethernet(0x0800, ipv4(51, cat({ah(17, 4), kUdp}))),
      ethernet(0x0800, ipv4(51, cat({ah(51, 4), ah(6, 4), kTcp}))),
      // plain TCP and UDP, and a frame that is neither IPv4 nor IPv6
      ethernet(0x86dd, ipv6(6, kTcp)),
      ethernet(0x0800, ipv4(17, kUdp)),
      ethernet(0x0806, Bytes(28, 0)),
  };
}

}  // namespace

TEST_CASE("protochain compiles to libpcap's program, loop and all") {
  for (uint32_t dlt : {1u, 0u, 9u, 12u, 108u, 113u, 228u, 229u, 276u}) {
    for (const char* e : {"ip6 protochain 6", "ip protochain 17", "ip6 protochain 0 and tcp"}) {
      CAPTURE(dlt);
      CAPTURE(std::string(e));
      OracleResult pcap = oracleCompile(e, dlt, 262144, true, 0);
      auto got = compileAt(e, dlt, 1);
      REQUIRE(pcap.ok == got.ok());
      if (!pcap.ok) continue;
      CHECK(got->insns == pcap.insns);
    }
  }
}

TEST_CASE("the optimizer leaves a program with a protochain loop as lowered") {
  for (const char* e : {"protochain 6", "protochain 6 and tcp and tcp", "ip6 protochain 17 or host 10.0.0.1"}) {
    CAPTURE(std::string(e));
    auto o0 = compileAt(e, 1, 0), o1 = compileAt(e, 1, 1), o2 = compileAt(e, 1, 2);
    REQUIRE(o0.ok());
    REQUIRE(o1.ok());
    REQUIRE(o2.ok());
    CHECK(o0->insns == o1->insns);
    CHECK(o0->insns == o2->insns);
  }
  // libpcap never reports "rejects all packets" with protochain; neither does sift.
  CHECK(compileAt("protochain 6 and 0 = 1", 1, 1).ok());
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
  const std::vector<Bytes> packets = chainPackets();
  size_t accepted = 0, runs = 0;
  for (const char* e : {"protochain 6", "protochain 17", "ip6 protochain 6", "ip6 protochain 17", "ip protochain 17",
                        "ip protochain 6", "ip6 protochain 44", "ip6 protochain 59", "ip6 protochain 0",
                        "protochain 51", "not protochain 6", "protochain 6 and ip6 net ::/0"}) {
    CAPTURE(std::string(e));
    OracleResult pcap = oracleCompile(e, 1, 262144, true, 0);
    REQUIRE(pcap.ok);
    for (int level : {0, 1}) {
      auto got = compileAt(e, 1, level);
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
  CHECK(accepted > 20);
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
                                  insn(op::kAluK | op::kAdd, 1),
                                  bpf::Insn{op::kJa, 0, 0, 0xfffffffdu}};
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
