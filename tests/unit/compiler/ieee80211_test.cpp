// 802.11 through the whole pipeline (sift::compile + the VM) on hand-built
// frames: the address qualifiers across frame types and DS bits, type /
// subtype / dir, the network layer behind the 24- or 26-byte header and
// behind radiotap (with its data padding), Prism, AVS and PPI headers; and
// the rejections only lowering can make ('type' off 802.11 and on PPI,
// addr1..4/ra/ta on other link types or before IPv4 addresses), and
// radio[...] on the link types with a radio header and refused elsewhere.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kEn10mb = 1, kWlan = 105, kPrism = 119, kRadiotap = 127, kAvs = 163, kPpi = 192;

Expected<bpf::Program> compileFor(const std::string& expr, uint32_t dlt) {
  CompileOptions o;
  o.linktype = dlt;
  return compile(expr, o);
}

bool matches(const std::string& expr, uint32_t dlt, const Bytes& packet) {
  auto p = compileFor(expr, dlt);
  REQUIRE_MESSAGE(p.ok(), expr << ": " << (p.ok() ? std::string() : p.error().message));
  auto v = bpf::validate(*p, bpf::Profile::Kernel);
  REQUIRE_MESSAGE(v.ok(), expr << ": the kernel profile refuses the program");
  return vm::run(*v, packet) != 0;
}

/// The error and the text its span covers.
std::pair<std::string, std::string> refusal(const std::string& expr, uint32_t dlt) {
  auto p = compileFor(expr, dlt);
  if (p) return {"(compiled)", ""};
  const Diagnostic& d = p.error();
  return {d.message, d.span ? expr.substr(d.span->begin, d.span->size()) : "(no span)"};
}

const Bytes kA = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};  // the address the tests look for
const Bytes kB = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
const Bytes kC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const Bytes kD = {0x08, 0x00, 0x27, 0x12, 0x34, 0x56};

/// An 802.11 header: frame control, duration, addr1..3, sequence, addr4
/// when both DS bits are set, QoS control for QoS data.
Bytes header(uint8_t fc0, uint8_t ds, const Bytes& a1, const Bytes& a2, const Bytes& a3, const Bytes& a4 = kD) {
  Bytes b = {fc0, ds, 0, 0};
  for (const Bytes* a : {&a1, &a2, &a3}) b.insert(b.end(), a->begin(), a->end());
  b.push_back(0x10), b.push_back(0);
  if ((ds & 3) == 3) b.insert(b.end(), a4.begin(), a4.end());
  if ((fc0 & 0x0c) == 0x08 && (fc0 & 0x80)) b.push_back(0), b.push_back(0);
  return b;
}

/// LLC/SNAP and an IPv4 UDP packet from 10.0.0.1 to 192.168.1.1, port 53.
Bytes snapIpv4() {
  Bytes b = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
  Bytes ip = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 192, 168, 1, 1, 0x30, 0x39, 0, 53, 0, 8, 0, 0};
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A radiotap header: version, pad, length, presence word, then `fields`.
Bytes radiotap(uint32_t present, const Bytes& fields) {
  Bytes b = {0, 0, uint8_t(8 + fields.size()), 0, uint8_t(present), uint8_t(present >> 8), uint8_t(present >> 16),
             uint8_t(present >> 24)};
  return concat(b, fields);
}

}  // namespace

TEST_CASE("802.11 source and destination follow the frame type and the DS bits") {
  // Management frame: SA addr2, DA addr1.
  Bytes mgt = header(0x80, 0, kB, kA, kC);
  CHECK(matches("wlan src 00:11:22:33:44:55", kWlan, mgt));
  CHECK_FALSE(matches("wlan dst 00:11:22:33:44:55", kWlan, mgt));
  CHECK(matches("ether host 00:11:22:33:44:55", kWlan, mgt));
  // Data, FromDS only: SA addr3.
  Bytes fromDs = header(0x08, 2, kB, kC, kA);
  CHECK(matches("wlan src 00:11:22:33:44:55", kWlan, fromDs));
  CHECK_FALSE(matches("wlan src 00:11:22:33:44:55", kWlan, header(0x08, 0, kB, kC, kA)));
  // Data, ToDS only: DA addr3.
  CHECK(matches("wlan dst 00:11:22:33:44:55", kWlan, header(0x08, 1, kB, kC, kA)));
  CHECK_FALSE(matches("wlan dst 00:11:22:33:44:55", kWlan, header(0x08, 0, kB, kC, kA)));
  // Both DS bits: SA addr4, and addr4 exists.
  Bytes wds = header(0x08, 3, kB, kC, kD, kA);
  CHECK(matches("wlan src 00:11:22:33:44:55", kWlan, wds));
  CHECK(matches("wlan addr4 00:11:22:33:44:55", kWlan, wds));
  CHECK_FALSE(matches("wlan addr4 00:11:22:33:44:55", kWlan, header(0x08, 2, kB, kC, kD)));
  // Control frames have neither SA nor DA; ACK has no addr2.
  Bytes ack = {0xd4, 0, 0, 0};
  ack.insert(ack.end(), kA.begin(), kA.end());
  ack.insert(ack.end(), kA.begin(), kA.end());
  CHECK_FALSE(matches("wlan host 00:11:22:33:44:55", kWlan, ack));
  CHECK(matches("wlan addr1 00:11:22:33:44:55", kWlan, ack));
  CHECK_FALSE(matches("wlan addr2 00:11:22:33:44:55", kWlan, ack));
  CHECK_FALSE(matches("wlan addr3 00:11:22:33:44:55", kWlan, header(0xc4, 0, kB, kC, kA)));
  // ra and ta only where the type's data bit is set (libpcap 1.10.3).
  CHECK(matches("wlan ra aa:bb:cc:dd:ee:ff", kWlan, fromDs));
  CHECK_FALSE(matches("wlan ra aa:bb:cc:dd:ee:ff", kWlan, mgt));
  CHECK(matches("wlan ta 02:00:00:00:00:01", kWlan, fromDs));
  // Broadcast: the destination is all ones.
  const Bytes all(6, 0xff);
  CHECK(matches("broadcast", kWlan, header(0x80, 0, all, kA, kC)));
  CHECK_FALSE(matches("broadcast", kWlan, header(0x08, 1, all, kA, kC)));  // DA is addr3 with ToDS
  CHECK(matches("multicast", kWlan, header(0x08, 1, kB, kA, Bytes{0x01, 0, 0x5e, 0, 0, 1})));
}

TEST_CASE("802.11 type, subtype and dir") {
  Bytes beacon = header(0x80, 0, kB, kA, kC);
  Bytes qos = header(0x88, 1, kB, kA, kC);
  CHECK(matches("type mgt", kWlan, beacon));
  CHECK(matches("subtype beacon", kWlan, beacon));
  CHECK(matches("type mgt subtype beacon", kWlan, beacon));
  CHECK(matches("type 0 subtype 0x80", kWlan, beacon));
  CHECK_FALSE(matches("type data", kWlan, beacon));
  CHECK(matches("type data subtype qos-data", kWlan, qos));
  CHECK(matches("type data subtype 0x80", kWlan, qos));  // the subtype's bits, in place
  CHECK(matches("subtype QoS-Data", kWlan, qos));        // names ignore case
  CHECK(matches("dir tods", kWlan, qos));
  CHECK(matches("dir 1", kWlan, qos));
  CHECK_FALSE(matches("dir 5", kWlan, qos));  // any number, compared with the two DS bits
  CHECK(matches("wlan type data and ip type data", kWlan, qos));
}

TEST_CASE("the network layer behind the 802.11 header and the radio headers") {
  Bytes plain = concat(header(0x08, 2, kB, kC, kA), snapIpv4());
  CHECK(matches("ip and udp port 53 and host 10.0.0.1", kWlan, plain));
  Bytes qos = concat(header(0x88, 2, kB, kC, kA), snapIpv4());
  CHECK(matches("udp port 53", kWlan, qos));  // 2 more bytes of QoS control
  CHECK_FALSE(matches("udp port 53", kWlan, header(0x08, 2, kB, kC, kA)));
  CHECK_FALSE(matches("ip", kWlan, concat(header(0x80, 0, kB, kC, kA), snapIpv4())));  // not a data frame
  CHECK_FALSE(matches("ip", kWlan, {}));  // the payload offset is computed first
  // Radiotap with the flags field (no TSFT), 12 bytes: data pad rounds the
  // payload offset up to 4 (libpcap rounds the offset from the frame start).
  Bytes qosPadded = concat(header(0x88, 2, kB, kC, kA), {0, 0});
  Bytes padded = concat(concat(radiotap(0x02, {0x20, 0, 0, 0}), qosPadded), snapIpv4());
  CHECK(matches("udp port 53", kRadiotap, padded));
  Bytes unpadded = concat(concat(radiotap(0x02, {0x00}), header(0x88, 2, kB, kC, kA)), snapIpv4());
  CHECK(matches("udp port 53", kRadiotap, unpadded));
  CHECK(matches("wlan src 00:11:22:33:44:55 and type data", kRadiotap, unpadded));
  // AVS: big-endian length at 4; Prism: 144 bytes unless the AVS cookie.
  Bytes avs = {0x80, 0x21, 0x10, 0x01, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(matches("ip and dir fromds", kAvs, concat(avs, plain)));
  CHECK(matches("ip and dir fromds", kPrism, concat(avs, plain)));
  Bytes prism(144, 0);
  prism[0] = 0x44;
  CHECK(matches("ip and dir fromds", kPrism, concat(prism, plain)));
  // PPI: 802.11 only (the DLT field, little-endian 105).
  Bytes ppi = {0, 0, 8, 0, 105, 0, 0, 0};
  CHECK(matches("ip", kPpi, concat(ppi, plain)));
  ppi[4] = 1;
  CHECK_FALSE(matches("ip", kPpi, concat(ppi, plain)));
  CHECK_FALSE(matches("len > 0", kPpi, concat(ppi, plain)));
}

TEST_CASE("802.11 keywords libpcap refuses, with what is allowed") {
  auto [onEthernet, span] = refusal("tcp and type data", kEn10mb);
  CHECK(onEthernet.find("'type' works only on 802.11 link types (DLT_IEEE802_11, DLT_PRISM_HEADER, "
                        "DLT_IEEE802_11_RADIO, DLT_IEEE802_11_RADIO_AVS, DLT_PPI)") == 0);
  CHECK(span == "type data");
  auto [onPpi, ppiSpan] = refusal("dir tods", kPpi);
  CHECK(onPpi.find("'dir' is not supported on DLT_PPI by libpcap 1.10.3") == 0);
  CHECK(ppiSpan == "dir tods");
  CHECK(compileFor("wlan addr1 00:11:22:33:44:55", kPpi).ok());
  auto [addr1, addrSpan] = refusal("wlan addr1 00:11:22:33:44:55", kEn10mb);
  CHECK(addr1.find("'addr1' qualifies 802.11 MAC addresses only") == 0);
  CHECK(addrSpan == "addr1");
  CHECK(compileFor("wlan host 00:11:22:33:44:55", kEn10mb).ok());  // ether host there
  CHECK(refusal("ip addr1 10.0.0.1", kWlan).first.find("'addr1' qualifies 802.11 MAC addresses only") == 0);
  // Geneve compiles, with libpcap's semantics given zeroed scratch memory,
  // and the kernel takes the program.
  for (uint32_t dlt : {kWlan, kRadiotap, kPpi}) {
    auto geneve = compileFor("ip or geneve", dlt);
    REQUIRE(geneve.ok());
    CHECK(bpf::validate(*geneve, bpf::Profile::Kernel).ok());
  }
  CHECK(refusal("mpls", kWlan).first.find("'mpls' is not supported on DLT_IEEE802_11") == 0);
  CHECK(refusal("vlan", kPpi).first.find("'vlan' is not supported on DLT_PPI") == 0);
  CHECK(compileFor("vlan 10 and ip", kWlan).ok());
}

TEST_CASE("radio[...] indexes the radio header from the frame's first byte, where there is one") {
  // A radiotap header of 8 bytes (version 0, length 8, no fields), then a
  // data frame; Prism's and AVS's are read the same way, from byte 0.
  Bytes frame = {0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
  const Bytes wlan = header(0x08, 0x00, kA, kB, kC);
  frame.insert(frame.end(), wlan.begin(), wlan.end());
  for (uint32_t dlt : {kRadiotap, kAvs, kPrism}) {
    CAPTURE(dlt);
    CHECK(matches("radio[2] = 8", dlt, frame));
    CHECK_FALSE(matches("radio[2] = 9", dlt, frame));
    CHECK(matches("radio[2:2] = 0x0800", dlt, frame));
    CHECK(matches("radio[radio[1] + 2] = 8", dlt, frame));  // a run-time index
    CHECK(matches("radio[8] & 0x0c = 8", dlt, frame));
    CHECK_FALSE(matches("radio[4000] = 0", dlt, frame));  // past the end
  }
  // On radiotap the 802.11 header follows the radio header: link[0] is its
  // frame control, radio[8] the same byte.
  CHECK(matches("link[0] = radio[8]", kRadiotap, frame));
}

TEST_CASE("radio[...] elsewhere: refused where libpcap refuses it, naming where it works") {
  struct Case {
    const char* expr;
    uint32_t dlt;
    const char* says;
    const char* spanned;
  };
  const std::string works = "radio[...] works on DLT_PRISM_HEADER, DLT_IEEE802_11_RADIO, DLT_IEEE802_11_RADIO_AVS";
  const Case cases[] = {
      {"radio[0] = 1", kEn10mb, "'radio' is not supported on DLT_EN10MB, which has no radio header; ", "radio"},
      {"ip and radio[0:2] > 1", kWlan, "'radio' is not supported on DLT_IEEE802_11, which has no radio header; ",
       "radio"},
      {"radio[0] = 1", kPpi, "'radio' is not supported on DLT_PPI, which has no radio header; ", "radio"},
      // After pppoes the link type is PPP, after geneve Ethernet, as libpcap has it.
      {"pppoes and radio[0] = 1", kRadiotap, "'radio' is not supported on DLT_PPP, which has no radio header; ",
       "radio"},
      {"geneve and radio[0] = 1", kAvs, "'radio' is not supported on DLT_EN10MB, which has no radio header; ",
       "radio"},
  };
  for (const Case& c : cases) {
    const std::string expr = c.expr;
    CAPTURE(expr);
    auto [message, spanned] = refusal(c.expr, c.dlt);
    CHECK(message == c.says + works);
    CHECK(spanned == c.spanned);
  }
  auto [alone, aloneSpan] = refusal("radio", kRadiotap);
  CHECK(alone.find("'radio' alone is not a test") == 0);
  CHECK(aloneSpan == "radio");
  auto [size, sizeSpan] = refusal("radio[0:3] = 1", kRadiotap);
  CHECK(size.find("1, 2 or 4") != std::string::npos);
  CHECK(refusal("radio host 1.2.3.4", kRadiotap).first.find("'radio' cannot qualify") == 0);
  CHECK(refusal("radio proto 5", kRadiotap).first != "(compiled)");
  CHECK(refusal("radio port 5", kRadiotap).first != "(compiled)");
  // Escaped, it is a name again.
  CHECK(refusal("host \\radio", kRadiotap).first.find("radio") != std::string::npos);
}
