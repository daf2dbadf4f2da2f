// `vlan` compiled for a live Linux socket: the outermost tag may have been
// moved out of the frame into the socket's ancillary data, so the program
// asks SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG first, as libpcap does
// for a live capture. Files and -y never get those loads.
//
// The kernel's answers are stood in for by rewriting the two ancillary
// loads into constants; then, for every single-tagged generated frame, the
// live program on the frame with its tag taken out (present = 1, TCI =
// the tag) and on the whole frame (present = 0) must give the verdict the
// offline program gives on the whole frame (which the differential test
// checks against libpcap). (A test before the first vlan sees the frame
// without its tag on a live socket, with libpcap too, so every expression
// here starts with vlan.)
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/vm.h"

using namespace sift;

namespace {

constexpr uint32_t kAdVlanTag = 0xfffff000u + 44, kAdVlanPresent = 0xfffff000u + 48;

bool readsAncillary(const bpf::Program& p, uint32_t k) {
  for (const bpf::Insn& i : p.insns)
    if ((i.code & 0x07) == 0x00 && (i.code & 0xe0) == 0x20 && i.k == k) return true;
  return false;
}

/// The program with the ancillary loads replaced by `ld #value`.
bpf::Program withAncillary(bpf::Program p, uint32_t present, uint32_t tci) {
  for (bpf::Insn& i : p.insns) {
    if ((i.code & 0x07) != 0x00 || (i.code & 0xe0) != 0x20) continue;
    if (i.k == kAdVlanPresent) i = bpf::Insn{0x00, 0, 0, present};
    if (i.k == kAdVlanTag) i = bpf::Insn{0x00, 0, 0, tci};  // the whole TCI, whatever the load's size
  }
  return p;
}

bpf::Program compileFor(const char* expr, bool live, int level) {
  CompileOptions o;
  o.liveLinuxSocket = live;
  o.optimizeLevel = level;
  auto p = compile(expr, o);
  REQUIRE_MESSAGE(p.ok(), expr, ": ", p.error().message);
  return *p;
}

uint32_t runOn(const bpf::Program& p, const std::vector<uint8_t>& frame) {
  auto v = bpf::validate(p, bpf::Profile::Libpcap);
  REQUIRE_MESSAGE(v.ok(), v.error().message);
  return vm::run(*v, frame);
}

}  // namespace

TEST_CASE("files and -y never read the socket's VLAN data") {
  for (const char* e : {"vlan", "vlan 100", "vlan and ip", "vlan 1 and vlan 2"}) {
    bpf::Program p = compileFor(e, false, 1);
    CHECK_FALSE(readsAncillary(p, kAdVlanPresent));
    CHECK_FALSE(readsAncillary(p, kAdVlanTag));
  }
}

TEST_CASE("a live socket's vlan asks the ancillary data and passes the kernel's checks") {
  bpf::Program p = compileFor("vlan 100 and udp", true, 1);
  CHECK(readsAncillary(p, kAdVlanPresent));
  CHECK(readsAncillary(p, kAdVlanTag));
  auto kernel = bpf::validate(p, bpf::Profile::Kernel);
  CHECK_MESSAGE(kernel.ok(), kernel.error().message);
  // Only the outermost tag can be in the ancillary data.
  bpf::Program inner = compileFor("vlan 100 and vlan 200", true, 0);
  size_t tciLoads = 0;
  for (const bpf::Insn& i : inner.insns) tciLoads += i.k == kAdVlanTag;
  CHECK(tciLoads == 1);
}

TEST_CASE("a live socket's vlan gives the offline verdict whether or not the kernel took the tag") {
  const char* exprs[] = {"vlan",
                         "vlan 100",
                         "vlan 200 or vlan 100",
                         "not vlan",
                         "vlan and ip",
                         "vlan 100 and udp",
                         "vlan and tcp port 80",
                         "vlan and host 10.0.0.1",
                         "vlan and ip[9] = 17",
                         "vlan and ip[ip[0] & 0xf] > 0",
                         "vlan and tcp[13] & 2 != 0",
                         "vlan or ip",
                         "vlan and ether host 00:11:22:33:44:55",
                         "vlan and mpls and ip",
                         "vlan and pppoes and ip6",
                         "vlan and vlan and ip",
                         "vlan 100 and vlan and udp"};
  gen::GenOptions g;
  g.count = 6000;
  g.seed = 4242;
  std::vector<std::vector<uint8_t>> tagged;
  for (auto& pkt : gen::generatePackets(g)) {
    const auto& f = pkt.data;
    if (f.size() < 18) continue;
    uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
    if (type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x0800 || type == 0x86dd)
      tagged.push_back(f);
  }
  REQUIRE(tagged.size() > 500);
  size_t runs = 0, accepted = 0;
  for (const char* e : exprs) {
    const std::string expr = e;
    CAPTURE(expr);
    for (int level : {0, 1}) {
      bpf::Program offline = compileFor(e, false, level);
      bpf::Program live = compileFor(e, true, level);
      bpf::Program notTaken = withAncillary(live, 0, 0);
      for (const auto& f : tagged) {
        const uint32_t want = runOn(offline, f);
        accepted += want != 0;
        ++runs;
        CHECK(runOn(notTaken, f) == want);
        uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
        // The kernel takes only an 802.1Q (0x8100) or 802.1ad (0x88a8) tag out.
        if (type != 0x8100 && type != 0x88a8) continue;
        std::vector<uint8_t> stripped(f.begin(), f.begin() + 12);
        stripped.insert(stripped.end(), f.begin() + 16, f.end());
        const uint32_t tci = static_cast<uint32_t>(f[14] << 8 | f[15]);
        CHECK(runOn(withAncillary(live, 1, tci), stripped) == want);
      }
    }
  }
  CHECK(accepted > runs / 50);
  CHECK(accepted < runs - runs / 50);
}
