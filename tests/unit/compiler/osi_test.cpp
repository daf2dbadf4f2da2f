// The LLC / OSI / DECnet family and inbound/outbound/ifindex through the
// whole pipeline (sift::compile + the VM) on hand-built frames, and the
// link-type rejections that only lowering can make: 'llc' where frames
// have no 802.2 header, 'inbound' and 'ifindex' where the header does not
// record them (unless the program is for a live Linux socket); and names
// from the ethers and hosts tables, a host with several addresses.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kEn10mb = 1, kPpp = 9, kRaw = 12, kSll = 113, kSll2 = 276;

Expected<bpf::Program> compileFor(const std::string& expr, uint32_t dlt, bool live = false) {
  static const FixedResolver names = FixedResolver::standard();
  CompileOptions o;
  o.linktype = dlt;
  o.liveLinuxSocket = live;
  o.resolver = &names;
  return compile(expr, o);
}

bool matches(const std::string& expr, uint32_t dlt, const Bytes& packet) {
  auto p = compileFor(expr, dlt);
  REQUIRE_MESSAGE(p.ok(), expr << ": " << (p.ok() ? std::string() : p.error().message));
  auto v = bpf::validate(*p, bpf::Profile::Libpcap);
  REQUIRE(v.ok());
  return vm::run(*v, packet) != 0;
}

/// An 802.3 frame: MACs, the length, then `llc` (DSAP SSAP control ...).
Bytes ieee8023(const Bytes& llc) {
  Bytes b = {0x01, 0x80, 0xc2, 0, 0, 0, 0x02, 0, 0, 0, 0, 1};
  b.push_back(uint8_t(llc.size() >> 8));
  b.push_back(uint8_t(llc.size()));
  b.insert(b.end(), llc.begin(), llc.end());
  return b;
}

/// An Ethernet II DECnet frame around a routing header that starts at the
/// flags byte (the 2-byte length comes first).
Bytes decnetFrame(const Bytes& routing) {
  Bytes b = {0xaa, 0, 4, 0, 1, 4, 0xaa, 0, 4, 0, 2, 4, 0x60, 0x03};
  b.push_back(uint8_t(routing.size()));
  b.push_back(uint8_t(routing.size() >> 8));
  b.insert(b.end(), routing.begin(), routing.end());
  return b;
}

/// The spanned text of a compile error.
std::string spanned(const std::string& expr, const Diagnostic& d) {
  return d.span ? expr.substr(d.span->begin, d.span->size()) : "(no span)";
}

}  // namespace

TEST_CASE("llc frame kinds test the control byte") {
  const Bytes ui = ieee8023({0x42, 0x42, 0x03, 0, 0, 0, 0, 0});
  const Bytes testPoll = ieee8023({0xfe, 0xfe, 0xf3, 0x81, 0, 0});  // TEST with the P bit
  const Bytes rnr = ieee8023({0xf0, 0xf0, 0x05, 0x20});
  const Bytes iFrame = ieee8023({0xe0, 0xe0, 0x22, 0x00});
  CHECK(matches("llc", kEn10mb, ui));
  CHECK(matches("llc u", kEn10mb, ui));
  CHECK(matches("llc ui", kEn10mb, ui));
  CHECK(matches("llc UI and stp", kEn10mb, ui));
  CHECK_FALSE(matches("llc s", kEn10mb, ui));
  CHECK_FALSE(matches("llc i", kEn10mb, ui));
  CHECK(matches("llc test", kEn10mb, testPoll));
  CHECK(matches("llc test and clnp", kEn10mb, testPoll));
  CHECK_FALSE(matches("llc xid", kEn10mb, testPoll));
  CHECK(matches("llc rnr", kEn10mb, rnr));
  CHECK(matches("llc rulenum and netbeui", kEn10mb, rnr));
  CHECK_FALSE(matches("llc rr", kEn10mb, rnr));
  CHECK(matches("llc i", kEn10mb, iFrame));
  CHECK_FALSE(matches("llc u", kEn10mb, iFrame));
  // Novell raw 802.3 and Ethernet II frames have no LLC header.
  CHECK_FALSE(matches("llc", kEn10mb, ieee8023({0xff, 0xff, 0, 30})));
  Bytes ipv4(34, 0);
  ipv4[12] = 0x08;
  CHECK_FALSE(matches("llc", kEn10mb, ipv4));
}

TEST_CASE("IS-IS PDU groups") {
  auto isis = [](uint8_t type) { return ieee8023({0xfe, 0xfe, 0x03, 0x83, 27, 1, 0, type, 1, 0, 0}); };
  CHECK(matches("l1 and psnp and snp", kEn10mb, isis(26)));
  CHECK_FALSE(matches("l2 or csnp or iih or lsp", kEn10mb, isis(26)));
  CHECK(matches("l1 and l2 and iih", kEn10mb, isis(17)));  // point-to-point hello
  CHECK(matches("lsp and l2", kEn10mb, isis(20)));
  CHECK(matches("isis proto 20 and isis and iso", kEn10mb, isis(20)));
  CHECK_FALSE(matches("clnp or esis", kEn10mb, isis(20)));
  CHECK(matches("iso proto \\isis", kEn10mb, isis(15)));
}

TEST_CASE("decnet host matches all four routing header layouts") {
  // 1.2 is 0x0402, little-endian in the packet.
  const Bytes shortPlain = {0x02, 0x02, 0x04, 0x05, 0x04, 0};         // dst 1.2, src 1.5
  const Bytes shortPadded = {0x81, 0x02, 0x05, 0x04, 0x02, 0x04, 0};  // dst 1.5, src 1.2
  const Bytes longPlain = {0x06, 0, 0, 0xaa, 0, 4, 0, 0x02, 0x04, 0, 0, 0xaa, 0, 4, 0, 0x07, 0x04, 0, 0, 0, 0};
  Bytes longPadded = {0x81};
  longPadded.insert(longPadded.end(), longPlain.begin(), longPlain.end());
  CHECK(matches("decnet dst 1.2", kEn10mb, decnetFrame(shortPlain)));
  CHECK_FALSE(matches("decnet src 1.2", kEn10mb, decnetFrame(shortPlain)));
  CHECK(matches("decnet src 1.2", kEn10mb, decnetFrame(shortPadded)));
  CHECK(matches("decnet host 1.5 and decnet host 1.2", kEn10mb, decnetFrame(shortPadded)));
  CHECK(matches("decnet dst 1.2 and decnet src 1.7", kEn10mb, decnetFrame(longPlain)));
  CHECK(matches("decnet dst 1.2 and decnet src 1.7", kEn10mb, decnetFrame(longPadded)));
  CHECK_FALSE(matches("decnet src and dst 1.2", kEn10mb, decnetFrame(longPadded)));
  // A control packet (low flag bit set) is not a data packet.
  Bytes control = shortPlain;
  control[0] = 0x03;
  CHECK_FALSE(matches("decnet host 1.2", kEn10mb, decnetFrame(control)));
}

TEST_CASE("llc is refused where frames have no 802.2 header") {
  for (uint32_t dlt : {kSll, kSll2, kPpp, kRaw}) {
    const std::string expr = "tcp or llc ui";
    auto p = compileFor(expr, dlt);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().message.find("'llc' is not supported on DLT_") == 0);
    CHECK(p.error().message.find("it works on DLT_EN10MB") != std::string::npos);
    CHECK(spanned(expr, p.error()) == "llc ui");
  }
}

TEST_CASE("inbound, outbound and ifindex") {
  // Linux cooked v1: the packet type first (4 = outgoing).
  Bytes sll(20, 0);
  sll[1] = 4;
  sll[15] = 0x04;  // 802.2
  CHECK(matches("outbound", kSll, sll));
  CHECK_FALSE(matches("inbound", kSll, sll));
  sll[1] = 0;
  CHECK(matches("inbound and not outbound", kSll, sll));
  // Linux cooked v2: the interface index at 4, the packet type at 10.
  Bytes sll2(24, 0);
  sll2[7] = 3;
  sll2[10] = 4;
  CHECK(matches("ifindex 3 and outbound", kSll2, sll2));
  CHECK_FALSE(matches("ifindex 2 or inbound", kSll2, sll2));

  // Elsewhere only a live Linux socket has them.
  const std::string expr = "ip and inbound";
  auto refused = compileFor(expr, kEn10mb);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("live Linux captures") != std::string::npos);
  CHECK(spanned(expr, refused.error()) == "inbound");
  auto ifx = compileFor("ifindex 2", kSll);
  REQUIRE_FALSE(ifx.ok());
  CHECK(ifx.error().message.find("DLT_LINUX_SLL2") != std::string::npos);

  auto live = compileFor("outbound", kEn10mb, true);
  REQUIRE(live.ok());
  bool pktType = false;
  for (const bpf::Insn& in : live->insns) pktType |= in.code == 0x28 && in.k == 0xfffff004;
  CHECK(pktType);
  auto liveIfindex = compileFor("ifindex 7", kSll, true);
  REQUIRE(liveIfindex.ok());
  bool ifidx = false;
  for (const bpf::Insn& in : liveIfindex->insns) ifidx |= in.code == 0x20 && in.k == 0xfffff008;
  CHECK(ifidx);
}

TEST_CASE("names: ether host from the ethers table, host names with several addresses") {
  FixedResolver names = FixedResolver::standard();
  names.ethers.push_back({"router", {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}});
  std::array<uint8_t, 16> v6{};
  v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8, v6[15] = 1;
  names.hosts.push_back({"multi", {0x0a000001, 0x0a000002}, {v6}});
  CompileOptions o;
  o.resolver = &names;
  auto run = [&](const std::string& expr, const Bytes& packet) {
    auto p = compile(expr, o);
    REQUIRE_MESSAGE(p.ok(), expr << ": " << (p.ok() ? std::string() : p.error().message));
    auto v = bpf::validate(*p, bpf::Profile::Libpcap);
    REQUIRE(v.ok());
    return vm::run(*v, packet) != 0;
  };
  auto ipv4 = [](uint8_t lastSrc, uint8_t lastDst) {
    Bytes b = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
               0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, lastSrc, 10, 0, 0, lastDst};
    return b;
  };
  CHECK(run("ether host router", ipv4(9, 9)));
  CHECK(run("ether dst router and not ether src router", ipv4(9, 9)));
  CHECK_FALSE(run("ether src router", ipv4(9, 9)));
  // Every address of the name is tried, IPv4 and IPv6.
  CHECK(run("host multi", ipv4(1, 9)));
  CHECK(run("host multi", ipv4(9, 2)));
  CHECK(run("src host multi", ipv4(2, 9)));
  CHECK_FALSE(run("dst host multi", ipv4(2, 9)));
  CHECK_FALSE(run("host multi", ipv4(3, 4)));
  Bytes ip6(54, 0);
  ip6[12] = 0x86, ip6[13] = 0xdd, ip6[14] = 0x60;
  for (int i = 0; i < 16; ++i) ip6[38 + i] = v6[i];  // destination
  CHECK(run("host multi", ip6));
  CHECK(run("ip6 dst host multi", ip6));
  CHECK_FALSE(run("ip host multi", ip6));
  auto unknown = compile("ether host nosuch", o);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("'nosuch'") != std::string::npos);
}
