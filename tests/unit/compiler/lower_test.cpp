// Lowering at the IR level: the empty expression, the shape of a few
// programs, constant folding, and the errors (with their spans) that
// depend on the link type or on constant operands.
#include <doctest/doctest.h>

#include <string>

#include "compiler/lower_internal.h"
#include "lower_support.h"

using namespace sift;
using namespace sift::lowertest;

namespace {

/// The error text and the spanned source text of a failed lowering.
struct Failure {
  std::string message;
  std::string spanned;
};

Failure failure(const std::string& expr, uint32_t dlt = 1, uint32_t netmask = 0) {
  auto r = lowerText(expr, dlt, netmask);
  if (r) return {"(lowered fine)", ""};
  const Diagnostic& d = r.error();
  std::string spanned = d.span ? expr.substr(d.span->begin, d.span->size()) : "(no span)";
  return {d.message, spanned};
}

uint32_t verdict(const std::string& expr, uint32_t dlt, const std::vector<uint8_t>& packet) {
  auto r = lowerText(expr, dlt);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return runIr(*r, packet, static_cast<uint32_t>(packet.size()));
}

size_t insnCount(const ir::Program& p) {
  size_t n = 0;
  for (const ir::Block& b : p.blocks) n += b.stmts.size() + 1;
  return n;
}

}  // namespace

TEST_CASE("the empty expression accepts everything") {
  // (Not on a link type libpcap does not know: "unknown and unsupported
  // link types" below.)
  for (uint32_t dlt : {1u, 0u, 12u, 276u, 147u, 289u}) {
    auto r = lowerText("", dlt);
    REQUIRE(r.ok());
    CHECK(ir::verify(*r).empty());
    REQUIRE(r->blocks.size() == 1);
    CHECK(r->blocks[r->entry].termKind == ir::TermKind::Return);
    CHECK(r->blocks[r->entry].term.k == 262144);
  }
}

TEST_CASE("every lowered program verifies") {
  for (uint32_t dlt : {1u, 0u, 9u, 12u, 108u, 113u, 228u, 229u, 276u})
    for (const char* e : {"tcp port 80", "host 10.0.0.1 or ip6 net ::/0", "not (arp or ip[0] = 1)",
                          "ether proto 0xe0", "tcp[ip[0] & 0xf] + 1 > len"}) {
      auto r = lowerText(e, dlt);
      if (!r) continue;  // e.g. MAC tests on links without MACs
      CAPTURE(e);
      CHECK(ir::verify(*r) == "");
    }
}

TEST_CASE("constant operands are folded") {
  auto r = lowerText("ip[2 + 3 * 4] = 1 << 4", 1);
  REQUIRE(r.ok());
  bool sawAbsoluteLoad = false;
  for (const ir::Block& b : r->blocks)
    for (const bpf::Insn& in : b.stmts) {
      CHECK(in.code != 0x02);  // no scratch stores
      if (in.code == 0x30 && in.k == 14 + 14) sawAbsoluteLoad = true;
    }
  CHECK(sawAbsoluteLoad);
  auto c = lowerText("2 * 3 = 6", 1);
  REQUIRE(c.ok());
  CHECK(insnCount(*c) <= 4);  // a constant test and the two returns
}

TEST_CASE("verdicts of a few programs on hand-made frames") {
  // Ethernet + IPv4 TCP 10.0.0.1:1234 -> 10.0.0.2:80.
  std::vector<uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
                            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                            0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0};
  CHECK(verdict("tcp port 80", 1, f) == 262144);
  CHECK(verdict("tcp dst port 80", 1, f) == 262144);
  CHECK(verdict("tcp src port 80", 1, f) == 0);
  CHECK(verdict("udp", 1, f) == 0);
  CHECK(verdict("host 10.0.0.2", 1, f) == 262144);
  CHECK(verdict("ether src 06:07:08:09:0a:0b", 1, f) == 262144);
  CHECK(verdict("tcp[tcpflags] & tcp-syn != 0", 1, f) == 262144);
  CHECK(verdict("len = 54", 1, f) == 262144);
  // Cut inside the destination port: a source match still accepts, a
  // test that needs the destination port rejects.
  std::vector<uint8_t> cut(f.begin(), f.begin() + 36);
  CHECK(verdict("port 1234", 1, cut) == 262144);
  CHECK(verdict("not port 80", 1, cut) == 0);
}

TEST_CASE("link-layer addresses need a link that has them") {
  for (uint32_t dlt : {0u, 9u, 12u, 108u, 113u, 228u, 229u, 276u}) {
    CAPTURE(dlt);
    Failure h = failure("ether host 00:11:22:33:44:55", dlt);
    CHECK(h.message.find("is not supported on DLT_") != std::string::npos);
    CHECK(h.spanned == "ether host 00:11:22:33:44:55");
    Failure b = failure("tcp or broadcast", dlt);
    CHECK(b.message.find("'broadcast' is not supported on DLT_") != std::string::npos);
    CHECK(b.spanned == "broadcast");
    Failure m = failure("ether multicast", dlt);
    CHECK(m.message.find("'multicast' is not supported on DLT_") != std::string::npos);
    CHECK(m.spanned == "ether multicast");
  }
  CHECK(failure("ether src 00:11:22:33:44:55", 12).message ==
        "'ether src' is not supported on DLT_RAW, whose frames have no MAC addresses; it works on DLT_EN10MB, "
        "DLT_IEEE802, DLT_FDDI, DLT_IEEE802_11, DLT_PRISM_HEADER, DLT_IP_OVER_FC, DLT_IEEE802_11_RADIO, "
        "DLT_IEEE802_11_RADIO_AVS, DLT_PPI, DLT_NETANALYZER, DLT_NETANALYZER_TRANSPARENT");
  CHECK(lowerText("ether host 00:11:22:33:44:55", 1).ok());
}

TEST_CASE("qualifiers a primitive cannot take") {
  CHECK(failure("ip6 broadcast").message == "'ip6 broadcast' is not valid: 'broadcast' takes ether or ip");
  CHECK(failure("ip6 broadcast").spanned == "ip6 broadcast");
  CHECK(failure("tcp multicast").message == "'tcp multicast' is not valid: 'multicast' takes ether, ip or ip6");
  Failure w = failure("ip port 80");
  CHECK(w.message == "'ip port' is not valid: ports take tcp, udp or sctp");
  CHECK(w.spanned == "ip");
  Failure t = failure("tcp host 10.0.0.1");
  CHECK(t.message == "'tcp host' is not valid: IPv4 addresses take ip, arp or rarp");
  CHECK(t.spanned == "tcp");
  CHECK(failure("ip host ::1").message == "'ip host' is not valid: IPv6 addresses take ip6");
}

TEST_CASE("constant arithmetic errors point at the operand") {
  Failure d = failure("ip[0] / 0 = 1");
  CHECK(d.message == "division by zero");
  CHECK(d.spanned == "0");
  Failure m = failure("tcp[0] % 0 = 1");
  CHECK(m.message == "modulus by zero");
  Failure s = failure("ip[0] << 32 = 1");
  CHECK(s.message == "shift by more than 31 bits");
  CHECK(s.spanned == "32");
  CHECK(failure("ip[0] >> (30 + 2) = 1").message == "shift by more than 31 bits");
  CHECK(failure("len / (4 - 4) = 1").message == "division by zero");
  CHECK(failure("ip[0:3] = 1").message.find("data size must be 1, 2 or 4") == 0);
  CHECK(lowerText("ip[0] >> 31 = 0", 1).ok());
}

TEST_CASE("ip broadcast needs a known netmask") {
  Failure f = failure("ip broadcast", 1, 0xffffffff);
  CHECK(f.message == "'ip broadcast' needs the network mask, which is not known");
  CHECK(f.spanned == "ip broadcast");
  CHECK(lowerText("ip broadcast", 1, 0xffffff00).ok());
}

TEST_CASE("scratch cells: refused exactly where libpcap runs out of registers") {
  // Right-nested sums: libpcap holds one cell per pending operand and two
  // for a load, so 15 levels fit in its 16 cells and 16 do not.
  auto nested = [](int depth) {
    std::string e = "ip[0]";
    for (int i = 1; i < depth; ++i) e = "ip[" + std::to_string(i) + "] + (" + e + ")";
    return e + " = 0";
  };
  CHECK(lowerText(nested(8), 1).ok());
  CHECK(lowerText(nested(15), 1).ok());
  Failure f = failure(nested(16));
  CHECK(f.message == "too many registers needed to evaluate expression");
  // Left-nested chains free their cells as they go.
  std::string chain = "ip[0]";
  for (int i = 1; i < 40; ++i) chain += " + ip[" + std::to_string(i) + "]";
  CHECK(lowerText(chain + " = 0", 1).ok());
}

TEST_CASE("unknown and unsupported link types") {
  const std::string unknown2 = "unknown data link type 2: no filter compiles for it, not even the empty one "
                               "(sift --list-linktypes shows the link types libpcap knows; on DLT 104 to 289 it "
                               "allows link[...], len, less and greater)";
  Failure u = failure("ip", 4242);
  CHECK(u.message.rfind("unknown data link type 4242: no filter compiles for it", 0) == 0);
  CHECK(u.spanned == "ip");
  CHECK(lowerText("ip", 117).ok());  // PFLOG
  // libpcap refuses even the empty expression there.
  CHECK(failure("", 2).message == unknown2);
  CHECK(failure("", 290).message.rfind("unknown data link type 290:", 0) == 0);
  CHECK(lowerText("", 147).ok());  // DLT_USER0, in the matching range
  CHECK(failure("link[0] = 1", 2).message == unknown2);
  // In libpcap's matching range without a row of its own: bytes only.
  CHECK(lowerText("link[0] = 1 and len > 10", 189).ok());
  Failure b = failure("len > 10 and tcp", 189);
  CHECK(b.message == "protocol tests are not possible on DLT_USB_LINUX: libpcap reads no protocol field in its "
                     "frames; filters on it can use only link[...], len, less and greater");
  CHECK(b.spanned == "tcp");
}

TEST_CASE("ARCnet station addresses as libpcap 1.10.3 reads them") {
  // ARCNET: source at 0, destination at 1, type at 2 (0xd4: IPv4).
  const std::vector<uint8_t> frame{0xd3, 0x00, 0xd4, 0, 0, 0};
  CHECK(verdict("link src $3", 7, frame) == 262144);
  CHECK(verdict("link src $30", 7, frame) == 262144);  // only the first digit counts: 0xd0 | 3
  CHECK(verdict("link src $03", 7, frame) == 0);
  CHECK(verdict("link dst $0", 7, frame) == 0);  // that is 0xd0
  CHECK(verdict("link dst $d", 7, frame) == 0);
  CHECK(verdict("broadcast", 7, frame) == 262144);
  CHECK(verdict("ip", 7, frame) == 262144);
  CHECK(verdict("ip6", 7, frame) == 0);
  Failure e = failure("link host $01", 1);
  CHECK(e.message.find("is an ARCnet address, and DLT_EN10MB has none") != std::string::npos);
  CHECK(failure("ether host 00:11:22:33:44:55", 7).message.find("'link host $xx'") != std::string::npos);
}

TEST_CASE("SunATM tests the traffic type before the LLC header") {
  // Pseudo-header: type 2 (LLC), VPI, VCI; then SNAP with IPv4.
  std::vector<uint8_t> frame{0x02, 0, 0, 5, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  CHECK(verdict("ip", 123, frame) == 262144);
  frame[0] = 0x01;  // LANE
  CHECK(verdict("ip", 123, frame) == 0);
}

TEST_CASE("long and/or chains lower without deep recursion") {
  std::string e = "host 10.0.0.1";
  for (int i = 1; i < 3000; ++i) e += (i % 2 ? " or port " : " and not port ") + std::to_string(i);
  auto r = lowerText(e, 1);
  REQUIRE(r.ok());
  CHECK(ir::verify(*r).empty());
}

TEST_CASE("a row can bring its own link-type test") {
  // A made-up link type: one byte of protocol (4 = IPv4) at offset 3,
  // the network layer at 8.
  compiler::LinkLayer row;
  row.dlt = 147;
  row.name = "USER0";
  row.typeField = compiler::TypeField::Hook;
  row.netOffset = 8;
  row.linkTypeHook = [](compiler::detail::Lowerer& lw, uint32_t etherType) {
    if (etherType != 0x0800) return lw.always(false);
    return lw.loadTest(3, 1, 0xff, 0x15, 4);
  };
  compiler::LowerOptions options;
  compiler::detail::Lowerer lw(row, options);
  ir::Fragment f = lw.ipProto(6);
  ir::Program p = lw.builder.finish(std::move(f), 1);
  CHECK(ir::verify(p).empty());
  std::vector<uint8_t> frame(8 + 20, 0);
  frame[3] = 4;
  frame[8 + 9] = 6;
  CHECK(runIr(p, frame, static_cast<uint32_t>(frame.size())) == 1);
  frame[3] = 6;
  CHECK(runIr(p, frame, static_cast<uint32_t>(frame.size())) == 0);
}

TEST_CASE("a run-time payload offset is computed once, first, into a reserved cell") {
  // A made-up link type whose first byte is its header length; the
  // network layer (IPv4 only, by a hook) follows the header.
  compiler::LinkLayer row;
  row.dlt = 148;
  row.name = "USER1";
  row.typeField = compiler::TypeField::Hook;
  row.linkTypeHook = [](compiler::detail::Lowerer& lw, uint32_t etherType) {
    return lw.always(etherType == 0x0800);
  };
  row.payloadOffset = [](compiler::detail::Lowerer& lw, compiler::Offset, int cell) {
    namespace op = compiler::detail::op;
    return lw.straight({op::insn(op::kLdAbsB, 0), op::insn(op::kSt, static_cast<uint32_t>(cell))});
  };
  compiler::LowerOptions options;
  {
    // Nothing after the header is used: no prologue, no cell.
    compiler::detail::Lowerer lw(row, options);
    ir::Fragment f = lw.prologue(lw.linkProto(0x0800));
    CHECK(lw.reservedCells() == 0);
    ir::Program p = lw.builder.finish(std::move(f), 1);
    CHECK(runIr(p, {}, 0) == 1);
  }
  compiler::detail::Lowerer lw(row, options);
  compiler::Offset net = lw.network();
  CHECK(net.variable());
  CHECK(lw.reservedCells() == 1);
  CHECK(lw.arithmeticCellLimit() == bpf::kMemWords - 1);
  CHECK(lw.network() == net);  // the same cell every time
  // ip src 10.0.0.1 behind a 6-byte header.
  ir::Fragment f = lw.prologue(lw.loadTest(net.plus(12), 4, 0xffffffff, 0x15, 0x0a000001));
  ir::Program p = lw.builder.finish(std::move(f), 1);
  CHECK(ir::verify(p).empty());
  std::vector<uint8_t> frame(6 + 20, 0);
  frame[0] = 6;
  frame[6 + 12] = 10;
  frame[6 + 15] = 1;
  CHECK(runIr(p, frame, static_cast<uint32_t>(frame.size())) == 1);
  frame[0] = 5;  // the address is looked for one byte early
  CHECK(runIr(p, frame, static_cast<uint32_t>(frame.size())) == 0);
  // The prologue's load runs first: an empty packet rejects, even under
  // an always-true test of the header.
  compiler::detail::Lowerer always(row, options);
  (void)always.network();
  ir::Fragment t = always.prologue(always.always(true));
  ir::Program q = always.builder.finish(std::move(t), 1);
  CHECK(runIr(q, {}, 0) == 0);
  CHECK(runIr(q, frame, static_cast<uint32_t>(frame.size())) == 1);
}

TEST_CASE("encapsulations libpcap refuses, with what is allowed") {
  for (uint32_t dlt : {0u, 6u, 9u, 10u, 12u, 104u, 108u, 113u, 123u, 228u, 229u, 276u}) {
    CAPTURE(dlt);
    Failure v = failure("ip and vlan 10", dlt);
    CHECK(v.message.find("'vlan' is not supported on DLT_") == 0);
    CHECK(v.message.find("it works on DLT_EN10MB") != std::string::npos);
    CHECK(v.spanned == "vlan");
  }
  for (uint32_t dlt : {0u, 6u, 10u, 12u, 108u, 113u, 123u, 228u, 229u, 276u}) {
    CAPTURE(dlt);
    Failure m = failure("mpls 5", dlt);
    CHECK(m.message.find("it works on DLT_EN10MB, DLT_PPP") != std::string::npos);
    CHECK(m.spanned == "mpls");
  }
  CHECK(lowerText("mpls and ip", 9).ok());
  CHECK(lowerText("mpls 5 and ip", 104).ok());  // C_HDLC
  CHECK(lowerText("vlan 3 and mpls and ip", 240).ok());  // NETANALYZER
  Failure after = failure("mpls and vlan 1");
  CHECK(after.message.find("'vlan' cannot follow 'mpls'") == 0);
  CHECK(after.spanned == "vlan");
  Failure arp = failure("mpls and (ip or arp)");
  CHECK(arp.message.find("only IPv4 and IPv6 can be tested after 'mpls'") == 0);
  CHECK(arp.spanned == "arp");
  CHECK(failure("mpls and ether proto 100").spanned == "ether proto 100");
  // After pppoes the link is PPP: no MACs, no VLAN tags.
  CHECK(failure("pppoes and ether host 00:11:22:33:44:55").message.find("not supported on DLT_PPP") !=
        std::string::npos);
  CHECK(failure("pppoes and vlan").message.find("'vlan' is not supported on DLT_PPP") == 0);
  // libpcap accepts pppoes on raw IP: there it matches nothing.
  CHECK(lowerText("pppoes and ip", 12).ok());
  CHECK(verdict("pppoes", 12, {0x45, 0, 0, 20}) == 0);
  // Each geneve takes three scratch cells for its offsets.
  const std::string five = "geneve and geneve and geneve and geneve and geneve";
  CHECK(lowerText(five, 1).ok());
  CHECK(failure(five + " and geneve").message.find("too many registers") == 0);
  CHECK(failure(five + " and geneve").spanned == "geneve");
  // So does each vxlan (libpcap master's); a mix counts them together.
  const std::string fiveV = "vxlan and geneve and vxlan and vxlan and vxlan";
  CHECK(lowerText(fiveV, 1).ok());
  Failure sixth = failure(fiveV + " and vxlan");
  CHECK(sixth.message == "too many registers needed to evaluate expression (each 'vxlan' takes 3 of the 16)");
  CHECK(sixth.spanned == "vxlan");
  // vxlan needs the IPv4/IPv6 type test, which libpcap cannot make on the
  // link types without a protocol field: refused, on the keyword.
  for (uint32_t dlt : {140u, 144u, 187u, 189u, 239u}) {  // MTP2, LINUX_IRDA, BLUETOOTH_HCI_H4, USB_LINUX, NFLOG
    CAPTURE(dlt);
    Failure v = failure("vxlan 7 and ip", dlt);
    CHECK(v.message.find("protocol tests are not possible on DLT_") == 0);
    CHECK(v.spanned == "vxlan 7");
  }
  // and it is accepted where IP is, as libpcap master accepts it.
  for (uint32_t dlt : {0u, 9u, 12u, 104u, 105u, 113u, 117u, 123u, 127u, 228u, 229u, 276u}) {
    CAPTURE(dlt);
    CHECK(lowerText("vxlan 7 and ip", dlt).ok());
  }
  CHECK(failure("vxlan and protochain 6").message.find("inside 'vxlan'") != std::string::npos);
  CHECK(failure("geneve and protochain 6").message.find("inside 'geneve'") != std::string::npos);
}

TEST_CASE("an encapsulation moves the offsets of everything after it, across or and not") {
  // ip after vlan reads the type at 16, also on the other side of 'or'.
  std::vector<uint8_t> tagged(60, 0), plain(60, 0);
  tagged[12] = 0x81, tagged[14] = 0x00, tagged[15] = 100, tagged[16] = 0x08, tagged[17] = 0x00;
  plain[12] = 0x08, plain[13] = 0x00;
  CHECK(verdict("vlan and ip", 1, tagged) != 0);
  CHECK(verdict("vlan 100 and ip", 1, tagged) != 0);
  CHECK(verdict("vlan 101 and ip", 1, tagged) == 0);
  CHECK(verdict("vlan or ip", 1, plain) == 0);  // ip is tested at 16 here, as libpcap does
  CHECK(verdict("ip or vlan", 1, plain) != 0);
  CHECK(verdict("not vlan and ip", 1, plain) == 0);
  // MPLS: IPv4 after one label with the bottom-of-stack bit.
  std::vector<uint8_t> mpls(60, 0);
  mpls[12] = 0x88, mpls[13] = 0x47, mpls[14] = 0x00, mpls[15] = 0x06, mpls[16] = 0x41, mpls[18] = 0x45;
  CHECK(verdict("mpls 100 and ip", 1, mpls) != 0);
  CHECK(verdict("mpls 101 and ip", 1, mpls) == 0);
  CHECK(verdict("mpls and ip6", 1, mpls) == 0);
  CHECK(verdict("mpls and mpls", 1, mpls) == 0);
}
