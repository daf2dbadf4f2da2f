// `vxlan [VNI]` follows libpcap master, which the installed libpcap 1.10.3
// does not know (it refuses the keyword as a syntax error). So the oracle
// here is libpcap 1.10.3 compiling, for each vxlan expression, a
// hand-written equivalent in byte tests (`udp[...]`, `ip6[...]`) that
// spells out master's semantics: UDP to port 4789 over IPv4 (not a
// fragment) or IPv6 (no extension headers), the flags byte exactly 0x08,
// the VNI in the upper 3 bytes of the word at UDP + 12, and everything
// after it reading the Ethernet frame at UDP + 16. sift's program (-O0 and
// -O1) must return libpcap's verdict on every generated packet, whole and
// cut short, and each expression must accept some packets and reject others.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "compile_at.h"
#include "lower_support.h"
#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/vm.h"
#include "tunnel_frames.h"

using namespace sift;
using namespace sift::lowertest;
using namespace sift::tunnelframes;

namespace {

constexpr uint32_t kNull = 0, kEn10mb = 1, kRaw = 12, kLinuxSll = 113;

/// One outer IP version: how to read a field at an offset from the start
/// of the outer UDP header, and the test that the packet is UDP over it.
struct Outer {
  std::string udp;                                           // UDP, not a later fragment
  std::function<std::string(const std::string&, int)> at;  // the field at UDP + offset
};

const Outer kV4{"ip proto 17 and ip[6:2] & 0x1fff = 0",
                [](const std::string& off, int size) { return "udp[" + off + ":" + std::to_string(size) + "]"; }};
const Outer kV6{"ip6 and ip6[6] = 17", [](const std::string& off, int size) {
                  return "ip6[40 + " + off + ":" + std::to_string(size) + "]";
                }};

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

/// The VXLAN test over one outer version, and the inner tests after it
/// (built from `at`), as one libpcap 1.10.3 expression.
using Inner = std::function<std::string(const Outer&)>;
std::string tunnel(const Outer& o, const std::string& vni, const Inner& inner) {
  std::string e = "(" + o.udp + " and " + o.at("2", 2) + " = 4789 and " + o.at("8", 1) + " = 8";
  if (!vni.empty()) e += " and " + o.at("12", 4) + " & 0xffffff00 = " + vni;
  if (inner) e += " and (" + inner(o) + ")";
  return e + ")";
}
std::string equivalent(const std::string& vni, const Inner& inner) {
  return "(" + tunnel(kV4, vni, inner) + " or " + tunnel(kV6, vni, inner) + ")";
}

// The inner Ethernet frame starts at UDP + 16: destination at 16, source
// at 22, type field at 28, payload at 30.
std::string innerType(const Outer& o, uint32_t type) { return o.at("28", 2) + " = " + hex(type); }
std::string innerV4(const Outer& o) { return innerType(o, 0x0800); }
std::string innerV6(const Outer& o) { return innerType(o, 0x86dd); }
std::string innerIpHost(const Outer& o, uint32_t a) {
  return innerV4(o) + " and (" + o.at("42", 4) + " = " + hex(a) + " or " + o.at("46", 4) + " = " + hex(a) + ")";
}
std::string innerArpHost(const Outer& o, uint32_t type, uint32_t a) {
  return innerType(o, type) + " and (" + o.at("44", 4) + " = " + hex(a) + " or " + o.at("54", 4) + " = " + hex(a) +
         ")";
}
// TCP or UDP port P over the inner IPv6 (no extension headers) or IPv4 (not
// a later fragment, its header length read from the packet).
std::string innerPort(const Outer& o, uint32_t proto, uint32_t port) {
  const std::string p = std::to_string(port);
  const std::string v6 = innerV6(o) + " and " + o.at("36", 1) + " = " + std::to_string(proto) + " and (" +
                         o.at("70", 2) + " = " + p + " or " + o.at("72", 2) + " = " + p + ")";
  const std::string th = "30 + 4 * (" + o.at("30", 1) + " & 0xf)";
  const std::string v4 = innerV4(o) + " and " + o.at("39", 1) + " = " + std::to_string(proto) + " and " +
                         o.at("36", 2) + " & 0x1fff = 0 and (" + o.at(th, 2) + " = " + p + " or " +
                         o.at(th + " + 2", 2) + " = " + p + ")";
  return "(" + v6 + ") or (" + v4 + ")";
}
std::string innerTag(const Outer& o) {
  return "(" + o.at("28", 2) + " = 0x8100 or " + o.at("28", 2) + " = 0x88a8 or " + o.at("28", 2) + " = 0x9100)";
}
std::string innerMac(const Outer& o, const std::string& at, uint32_t head, uint32_t tail) {
  const int off = std::stoi(at);
  return "(" + o.at(std::to_string(off + 2), 4) + " = " + hex(tail) + " and " + o.at(at, 2) + " = " + hex(head) + ")";
}

struct Case {
  std::string vxlan, libpcap;
};

std::vector<Case> cases() {
  const uint32_t h = 0x0a000001;  // 10.0.0.1
  return {
      {"vxlan", equivalent("", nullptr)},
      {"vxlan 100", equivalent("0x6400", nullptr)},
      {"vxlan 0", equivalent("0", nullptr)},
      {"vxlan 16777215", equivalent("0xffffff00", nullptr)},
      {"not vxlan", "not " + equivalent("", nullptr)},
      {"vxlan and ip", equivalent("", innerV4)},
      {"vxlan 100 and ip", equivalent("0x6400", innerV4)},
      {"vxlan and ip6", equivalent("", innerV6)},
      {"vxlan 5 and ip6", equivalent("0x500", innerV6)},
      {"vxlan and arp", equivalent("", [](const Outer& o) { return innerType(o, 0x0806); })},
      {"vxlan and not ip", equivalent("", [](const Outer& o) { return "not " + innerV4(o); })},
      {"vxlan and ip host 10.0.0.1", equivalent("", [&](const Outer& o) { return innerIpHost(o, h); })},
      {"vxlan and host 10.0.0.1", equivalent("", [&](const Outer& o) {
         return "(" + innerIpHost(o, h) + ") or (" + innerArpHost(o, 0x0806, h) + ") or (" +
                innerArpHost(o, 0x8035, h) + ")";
       })},
      {"vxlan and tcp port 80", equivalent("", [](const Outer& o) { return innerPort(o, 6, 80); })},
      {"vxlan and udp port 53", equivalent("", [](const Outer& o) { return innerPort(o, 17, 53); })},
      {"vxlan and vlan", equivalent("", innerTag)},
      {"vxlan and vlan 100", equivalent("", [](const Outer& o) {
         return innerTag(o) + " and " + o.at("30", 2) + " & 0xfff = 100";
       })},
      {"vxlan and vlan and ip", equivalent("", [](const Outer& o) {
         return innerTag(o) + " and " + o.at("32", 2) + " = 0x800";
       })},
      {"vxlan and ether host 00:11:22:33:44:55", equivalent("", [](const Outer& o) {
         return innerMac(o, "22", 0x0011, 0x22334455) + " or " + innerMac(o, "16", 0x0011, 0x22334455);
       })},
      {"vxlan and ether broadcast",
       equivalent("", [](const Outer& o) { return innerMac(o, "16", 0xffff, 0xffffffff); })},
      {"vxlan and ether[12:2] = 0x0806", equivalent("", [](const Outer& o) { return innerType(o, 0x0806); })},
      {"vxlan and ip[9] = 6", equivalent("", [](const Outer& o) { return innerV4(o) + " and " + o.at("39", 1) + " = 6"; })},
      {"vxlan and len > 200", equivalent("", [](const Outer&) { return std::string("len > 200"); })},
  };
}

}  // namespace

TEST_CASE("vxlan returns libpcap's verdicts for master's semantics spelled out in byte tests") {
  std::vector<std::pair<uint32_t, std::vector<gen::GeneratedPacket>>> sets;
  for (uint32_t dlt : {kEn10mb, kLinuxSll, kRaw, kNull}) sets.emplace_back(dlt, gen::generatePackets({dlt, 12000, 7}));
  for (const Case& c : cases()) {
    CAPTURE(c.vxlan);
    CAPTURE(c.libpcap);
    size_t accepted = 0, rejected = 0;
    for (const auto& [dlt, packets] : sets) {
      CAPTURE(dlt);
      OracleResult opt = oracleCompile(c.libpcap, dlt, 262144, true, 0);
      OracleResult unopt = oracleCompile(c.libpcap, dlt, 262144, false, 0);
      REQUIRE_MESSAGE(opt.ok, opt.error);
      REQUIRE_MESSAGE(unopt.ok, unopt.error);
      for (int level : {0, 1}) {
        CAPTURE(level);
        auto got = compileAt(c.vxlan, dlt, level);
        REQUIRE_MESSAGE(got.ok(), (got.ok() ? std::string() : got.error().message));
        auto v = bpf::validate(*got, bpf::Profile::Kernel);
        REQUIRE_MESSAGE(v.ok(), (v.ok() ? std::string() : v.error().message));
        for (size_t i = 0; i < packets.size(); ++i) {
          const auto& p = packets[i];
          const size_t cuts[] = {p.data.size(), p.data.size() - std::min<size_t>(p.data.size(), 3), size_t{60}};
          for (size_t k = 0; k < 3; ++k) {
            const size_t cut = cuts[k];
            std::span<const uint8_t> data(p.data.data(), std::min(cut, p.data.size()));
            const uint32_t want = oracleRun(opt.insns, data, p.wireLength);
            const uint32_t want0 = oracleRun(unopt.insns, data, p.wireLength);
            const uint32_t mine = vm::run(*v, data, p.wireLength);
            // libpcap's optimizer may change the verdict on a cut packet; either is libpcap's.
            if (mine != want && mine != want0) {
              CAPTURE(i);
              CAPTURE(cut);
              CHECK(mine == want);
            }
            if (k == 0 && level == 0) (want ? accepted : rejected)++;
          }
        }
      }
    }
    CHECK(accepted > 0);
    CHECK(rejected > 0);
  }
}

namespace {

Bytes vxlanHeader(uint32_t vni, uint8_t flags = 0x08) {
  return {flags, 0, 0, 0, static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8), static_cast<uint8_t>(vni),
          0x5a};  // (the reserved byte is not part of the VNI)
}

}  // namespace

TEST_CASE("vxlan in vxlan finds the inner header from the run-time offsets") {
  // The inner VXLAN over IPv6 is found from the cell the outer one left
  // plus 40, over IPv4 (with options) from its header length; -O0 and -O1
  // agree on every cut of every frame, and the whole frames give the
  // verdicts below.
  const Bytes tcp = {0x12, 0x34, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0};
  const Bytes inner = cat({ethernet(0x0800), ipv4(6), tcp});
  const std::vector<Bytes> frames = {
      cat({ethernet(0x0800), ipv4(17), udp(4789), vxlanHeader(5), ethernet(0x86dd), ipv6(17), udp(4789),
           vxlanHeader(7), inner}),
      cat({ethernet(0x86dd), ipv6(17), udp(4789), vxlanHeader(5), ethernet(0x0800), ipv4(17, 7), udp(4789),
           vxlanHeader(7), inner}),
      cat({ethernet(0x0800), ipv4(17), udp(4789), vxlanHeader(5), ethernet(0x86dd), ipv6(17), udp(4789),
           vxlanHeader(7, 0x88), inner}),  // the inner VXLAN's flags are not 0x08
      cat({ethernet(0x0800), ipv4(17), udp(4789), vxlanHeader(5), ethernet(0x86dd), ipv6(17), udp(6081),
           Bytes{0, 0, 0x65, 0x58, 0, 0, 7, 0}, inner}),  // Geneve inside
  };
  struct Want {
    const char* expr;
    std::vector<uint32_t> verdicts;  // per frame, whole
  };
  const std::vector<Want> wants = {
      {"vxlan and vxlan and tcp", {1, 1, 0, 0}},
      {"vxlan 5 and vxlan 7 and tcp port 80", {1, 1, 0, 0}},
      {"vxlan 5 and vxlan 8", {0, 0, 0, 0}},
      {"vxlan and vxlan and ip host 10.0.0.2", {1, 1, 0, 0}},
      {"vxlan and ip6 and vxlan", {1, 0, 0, 0}},
      {"vxlan and geneve 7 and tcp", {0, 0, 0, 1}},
      {"vxlan and not vxlan", {0, 0, 1, 1}},
  };
  for (const Want& w : wants) {
    CAPTURE(w.expr);
    auto o0 = compileAt(w.expr, kEn10mb, 0), o1 = compileAt(w.expr, kEn10mb, 1);
    REQUIRE(o0.ok());
    REQUIRE(o1.ok());
    auto v0 = bpf::validate(*o0, bpf::Profile::Kernel), v1 = bpf::validate(*o1, bpf::Profile::Kernel);
    REQUIRE(v0.ok());
    REQUIRE(v1.ok());
    for (size_t f = 0; f < frames.size(); ++f) {
      CAPTURE(f);
      const auto wire = static_cast<uint32_t>(frames[f].size());
      CHECK((vm::run(*v1, frames[f], wire) != 0) == (w.verdicts[f] != 0));
      for (size_t cut = frames[f].size(); cut > 0; --cut) {
        CAPTURE(cut);
        std::span<const uint8_t> data(frames[f].data(), cut);
        CHECK(vm::run(*v0, data, wire) == vm::run(*v1, data, wire));
      }
    }
  }
}

TEST_CASE("libpcap 1.10.3 does not know vxlan") {
  // The divergence sift-difftest counts as libpcap-master only.
  for (const char* e : {"vxlan", "vxlan 100", "vxlan and ip", "not vxlan"}) {
    CAPTURE(e);
    OracleResult r = oracleCompile(e, kEn10mb, 262144, true, 0);
    CHECK(!r.ok);
    CHECK(r.error.find("syntax error") != std::string::npos);
  }
}
