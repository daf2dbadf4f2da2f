// Live capture through real kernel sockets: every test makes its own
// network namespace and veth pair (netns_lab.h), sends crafted frames out of
// one end with a raw socket and captures on the other end. What arrives
// must be exactly what sift's interpreter accepts when it runs the
// installed program over the same frames, in the same order, with no drops.
//
// Needs root (CAP_NET_ADMIN for the namespace, CAP_NET_RAW for the
// sockets); without it the tests say so and pass.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <thread>

#include "capture/live/live_internal.h"
#include "packet_gen.h"
#include "sift/compile.h"
#include "sift/live.h"
#include "sift/vm.h"
#include "unit/live/live_expressions.h"
#include "unit/live/netns_lab.h"

using namespace sift;
using namespace sift::live;
using sift::live::testing::FrameSender;
using sift::live::testing::VethLab;
using sift::live::testing::kLiveExpressions;

namespace {

#define REQUIRE_ROOT()                                                     \
  do {                                                                     \
    if (!sift::live::testing::isRoot()) {                                  \
      MESSAGE("skipped: live capture tests need root (run them as root)"); \
      return;                                                              \
    }                                                                      \
  } while (0)

bool isVlanTagged(const std::vector<uint8_t>& f) {
  if (f.size() < 14) return false;
  uint16_t type = static_cast<uint16_t>(f[12] << 8 | f[13]);
  return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

// The crafted frames: the generator's Ethernet packets that a veth can carry
// whole, without VLAN tags (the kernel strips those before the filter runs),
// and the demonstration capture.
const std::vector<std::vector<uint8_t>>& craftedFrames() {
  static const std::vector<std::vector<uint8_t>> frames = [] {
    std::vector<std::vector<uint8_t>> out;
    gen::GenOptions o;
    o.linktype = 1;
    o.count = 1600;
    o.seed = 20261201;
    for (auto& p : gen::generatePackets(o)) {
      if (p.data.size() < 14 || p.data.size() > 9014 || isVlanTagged(p.data)) continue;
      out.push_back(p.data);
    }
    for (auto& p : gen::samplePackets())
      if (p.data.size() >= 14 && !isVlanTagged(p.data)) out.push_back(p.data);
    return out;
  }();
  return frames;
}

Expected<bpf::ValidatedProgram> forVm(const bpf::Program& p) { return bpf::validate(p, bpf::Profile::Libpcap); }

struct RoundResult {
  size_t expected = 0;
  size_t received = 0;
  size_t mismatched = 0;
  uint64_t statsReceived = 0;
  uint64_t dropped = 0;
  bool extra = false;
};

// Sends every frame, waits until the unfiltered `fence` capture has seen all
// of them (then the kernel has run every socket's filter on every frame),
// and collects what `source` got.
RoundResult runRound(Source& source, Source& fence, const FrameSender& sender,
                     const std::vector<std::vector<uint8_t>>& frames, const bpf::ValidatedProgram& vmProgram) {
  RoundResult r;
  std::vector<size_t> accepted;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (vm::run(vmProgram, frames[i]) != 0) accepted.push_back(i);
    REQUIRE(sender.send(frames[i]));
  }
  r.expected = accepted.size();
  size_t fenceSeen = 0;
  LivePacket p;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fenceSeen < frames.size() && std::chrono::steady_clock::now() < deadline) {
    auto s = fence.next(p, 200);
    REQUIRE(s.ok());
    if (*s == NextStatus::Packet) ++fenceSeen;
  }
  REQUIRE(fenceSeen == frames.size());
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (r.received < accepted.size() && std::chrono::steady_clock::now() < deadline) {
    auto s = source.next(p, 200);
    REQUIRE(s.ok());
    if (*s != NextStatus::Packet) continue;
    const auto& want = frames[accepted[r.received]];
    if (p.data.size() != want.size() || !std::equal(want.begin(), want.end(), p.data.begin())) ++r.mismatched;
    ++r.received;
  }
  auto s = source.next(p, 100);  // a dozen ring timeouts more: nothing else may come
  REQUIRE(s.ok());
  r.extra = *s == NextStatus::Packet;
  auto st = source.stats();
  REQUIRE(st.ok());
  r.statsReceived = st->received;
  r.dropped = st->dropped;
  auto fs = fence.stats();
  REQUIRE(fs.ok());
  CHECK(fs->dropped == 0);
  return r;
}

struct Totals {
  size_t expressions = 0;
  size_t packets = 0;
  size_t accepted = 0;
  size_t lost = 0;
};

void compareExpressions(const std::optional<BackendChoice>& backend, Totals& totals, bool forceUserspace = false) {
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  OpenOptions fo;
  fo.interface = VethLab::kReceiver;
  fo.backend = BackendChoice{};
  fo.ringBytes = 32u << 20;
  auto fence = live::open(fo);
  REQUIRE_MESSAGE(fence.ok(), fence.error().message);
  const auto& frames = craftedFrames();
  REQUIRE(frames.size() >= 1000);

  for (const char* expression : kLiveExpressions) {
    OpenOptions o;
    o.interface = VethLab::kReceiver;
    o.filter = expression;
    o.backend = backend;
    o.ringBytes = 16u << 20;
    o.forceUserspaceFilter = forceUserspace;
    auto source = live::open(o);
    if (!source) {
      // The compiler does not handle this expression (yet): report, go on.
      MESSAGE("not compiled: '" << expression << "': " << source.error().message);
      continue;
    }
    auto vmProgram = forVm((*source)->program());
    REQUIRE_MESSAGE(vmProgram.ok(), expression);
    if (backend && backend->kind == BackendKind::Native) {
      if (forceUserspace)
        CHECK((*source)->filterPlace() != FilterPlace::Kernel);
      else
        CHECK_MESSAGE((*source)->filterPlace() == FilterPlace::Kernel, expression);
    }
    auto r = runRound(**source, **fence, sender, frames, *vmProgram);
    INFO("expression: ", expression);
    CHECK(r.received == r.expected);
    CHECK(r.mismatched == 0);
    CHECK_FALSE(r.extra);
    CHECK(r.dropped == 0);
    if (!backend || backend->kind == BackendKind::Native) {
      CHECK(r.statsReceived == r.expected);
    }
    ++totals.expressions;
    totals.packets += frames.size();
    totals.accepted += r.received;
    totals.lost += r.expected > r.received ? r.expected - r.received : 0;
  }
}

}  // namespace

TEST_CASE("the kernel filter passes exactly what the interpreter accepts") {
  REQUIRE_ROOT();
  Totals t;
  compareExpressions(BackendChoice{}, t);
  MESSAGE("native kernel filter: " << t.expressions << " expressions, " << t.packets << " packets sent, "
                                   << t.accepted << " accepted, " << t.lost << " lost");
  CHECK(t.expressions >= 50);
  CHECK(t.lost == 0);
}

TEST_CASE("userspace filtering on the native ring matches the interpreter") {
  REQUIRE_ROOT();
  Totals t;
  compareExpressions(BackendChoice{}, t, true);
  MESSAGE("native userspace filter: " << t.expressions << " expressions, " << t.packets << " packets, "
                                      << t.lost << " lost");
  CHECK(t.expressions >= 50);
  CHECK(t.lost == 0);
}

TEST_CASE("a program the kernel refuses is run in userspace, with one warning") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  // 'ip' padded past the kernel's 4096-instruction limit with no-op loads.
  bpf::Program p;
  for (int i = 0; i < 5000; ++i) p.insns.push_back({0x00, 0, 0, 0});  // ld #0
  p.insns.push_back({0x28, 0, 0, 12});                                // ldh [12]
  p.insns.push_back({0x15, 0, 1, 0x0800});                            // jeq #0x800
  p.insns.push_back({0x06, 0, 0, 262144});
  p.insns.push_back({0x06, 0, 0, 0});
  OpenOptions o;
  o.interface = VethLab::kReceiver;
  o.program = p;
  o.backend = BackendChoice{};
  auto source = live::open(o);
  REQUIRE_MESSAGE(source.ok(), source.error().message);
  CHECK((*source)->filterPlace() != FilterPlace::Kernel);
  REQUIRE((*source)->warnings().size() == 1);
  CHECK((*source)->warnings()[0].find("filtering in userspace") != std::string::npos);
  MESSAGE((*source)->warnings()[0]);
  OpenOptions fo;
  fo.interface = VethLab::kReceiver;
  fo.backend = BackendChoice{};
  auto fence = live::open(fo);
  REQUIRE(fence.ok());
  auto vmProgram = forVm(p);
  REQUIRE(vmProgram.ok());
  std::vector<std::vector<uint8_t>> frames(craftedFrames().begin(), craftedFrames().begin() + 300);
  auto r = runRound(**source, **fence, sender, frames, *vmProgram);
  CHECK(r.expected > 0);
  CHECK(r.received == r.expected);
  CHECK(r.mismatched == 0);
  CHECK(r.statsReceived == r.expected);
}

TEST_CASE("a program the kernel refuses for lack of option memory is run in userspace") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  // optmem_max is per namespace: a tiny value makes SO_ATTACH_FILTER fail
  // with ENOMEM here and nowhere else.
  if (!lab.sysctl("net/core/optmem_max", "256")) {
    MESSAGE("skipped: net.core.optmem_max is not per namespace on this kernel");
    return;
  }
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  const char* expression = "tcp port 80 or udp port 53 or host 192.168.1.1 or icmp";
  OpenOptions o;
  o.interface = VethLab::kReceiver;
  o.filter = expression;
  o.backend = BackendChoice{};
  auto source = live::open(o);
  REQUIRE_MESSAGE(source.ok(), source.error().message);
  CHECK((*source)->filterPlace() != FilterPlace::Kernel);
  REQUIRE((*source)->warnings().size() == 1);
  CHECK((*source)->warnings()[0].find("the kernel refused") == 0);
  MESSAGE((*source)->warnings()[0]);
  OpenOptions fo;
  fo.interface = VethLab::kReceiver;
  fo.backend = BackendChoice{};
  auto fence = live::open(fo);
  REQUIRE(fence.ok());
  CompileOptions co;
  auto offline = compile(expression, co);
  REQUIRE(offline.ok());
  auto vmProgram = forVm(*offline);
  REQUIRE(vmProgram.ok());
  auto r = runRound(**source, **fence, sender, craftedFrames(), *vmProgram);
  CHECK(r.expected > 0);
  CHECK(r.received == r.expected);
  CHECK(r.mismatched == 0);
  CHECK_FALSE(r.extra);
}

TEST_CASE("capturing on 'any' in cooked mode filters in the kernel") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  const char* expressions[] = {"ip", "tcp", "udp port 53", "ip6", "arp", "icmp", "tcp port 80 or udp",
                               "ip src net 10.0.0.0/8", "ip[6:2] & 0x1fff != 0", "greater 200"};
  const auto& all = craftedFrames();
  std::vector<std::vector<uint8_t>> frames(all.begin(), all.begin() + 400);
  size_t checked = 0;
  for (const char* e : expressions) {
    OpenOptions o;
    o.interface = "any";
    o.filter = e;
    o.backend = BackendChoice{};
    auto source = live::open(o);
    if (!source) {
      MESSAGE("not compiled for LINUX_SLL: '" << e << "': " << source.error().message);
      continue;
    }
    INFO("expression: ", e);
    CHECK((*source)->linktype() == 113);
    auto sll = forVm((*source)->program());
    REQUIRE(sll.ok());
    CompileOptions co;
    auto ether = compile(e, co);
    REQUIRE(ether.ok());
    auto etherVm = forVm(*ether);
    REQUIRE(etherVm.ok());
    size_t expected = 0;
    for (const auto& f : frames) {
      if (vm::run(*etherVm, f)) ++expected;
      REQUIRE(sender.send(f));
    }
    // Each frame is seen twice: leaving sa and arriving at sb.
    size_t in = 0, out = 0, rejected = 0;
    LivePacket p;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (in + out < 2 * expected && std::chrono::steady_clock::now() < deadline) {
      auto s = (*source)->next(p, 200);
      REQUIRE(s.ok());
      if (*s != NextStatus::Packet) continue;
      (p.direction == 4 ? out : in)++;
      if (vm::run(*sll, p.data, p.header.wireLength) == 0) ++rejected;
    }
    auto s = (*source)->next(p, 40);
    REQUIRE(s.ok());
    CHECK(*s != NextStatus::Packet);
    CHECK(in == expected);
    CHECK(out == expected);
    CHECK(rejected == 0);
    auto st = (*source)->stats();
    REQUIRE(st.ok());
    CHECK(st->dropped == 0);
    ++checked;
  }
  CHECK(checked >= 5);
}

TEST_CASE("stop() ends a waiting next() from another thread") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  OpenOptions o;
  o.interface = VethLab::kReceiver;
  o.backend = BackendChoice{};
  auto source = live::open(o);
  REQUIRE(source.ok());
  Source* s = source->get();
  std::thread t([s] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s->stop();
  });
  LivePacket p;
  auto r = s->next(p, 10000);
  t.join();
  REQUIRE(r.ok());
  CHECK(*r == NextStatus::Stopped);
}

TEST_CASE("a missing interface is a clear error") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  OpenOptions o;
  o.interface = "nosuch0";
  o.backend = BackendChoice{};
  auto source = live::open(o);
  REQUIRE_FALSE(source.ok());
  CHECK(source.error().message == "no such interface 'nosuch0'");
}

TEST_CASE("the interface list has the veth pair and 'any'") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  auto list = listInterfaces(BackendChoice{});
  REQUIRE(list.ok());
  bool sa = false, sb = false, any = false;
  for (const auto& i : *list) {
    sa |= i.name == "sa" && i.up;
    sb |= i.name == "sb" && i.up;
    any |= i.name == "any";
  }
  CHECK(sa);
  CHECK(sb);
  CHECK(any);
}

#ifdef SIFT_HAVE_LIBPCAP
#include <pcap/pcap.h>

namespace {

// libpcap's own verdict on a frame, from pcap_compile and pcap_offline_filter.
struct LibpcapOracle {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
  ~LibpcapOracle() { pcap_close(dead); }
  std::optional<std::vector<bool>> verdicts(const char* expression, const std::vector<std::vector<uint8_t>>& frames) {
    bpf_program prog{};
    if (pcap_compile(dead, &prog, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) return std::nullopt;
    std::vector<bool> out;
    for (const auto& f : frames) {
      pcap_pkthdr h{};
      h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
      out.push_back(pcap_offline_filter(&prog, &h, f.data()) != 0);
    }
    pcap_freecode(&prog);
    return out;
  }
};

}  // namespace

TEST_CASE("the system libpcap backend passes exactly what sift's interpreter and libpcap accept") {
  REQUIRE_ROOT();
  // sift and libpcap agree on every crafted frame for every expression.
  LibpcapOracle oracle;
  size_t disagreements = 0, compared = 0;
  for (const char* e : kLiveExpressions) {
    auto lp = oracle.verdicts(e, craftedFrames());
    CompileOptions co;
    auto ours = compile(e, co);
    if (!lp || !ours) continue;
    auto v = forVm(*ours);
    REQUIRE(v.ok());
    size_t bad = 0;
    for (size_t i = 0; i < craftedFrames().size(); ++i)
      if ((vm::run(*v, craftedFrames()[i]) != 0) != (*lp)[i]) ++bad;
    CHECK_MESSAGE(bad == 0, "sift and libpcap disagree on " << bad << " frames for '" << e << "'");
    disagreements += bad;
    ++compared;
  }
  MESSAGE("libpcap verdicts: " << compared << " expressions compared, " << disagreements << " disagreements");
  CHECK(compared >= 50);

  Totals t;
  BackendChoice system;
  system.kind = BackendKind::System;
  compareExpressions(system, t);
  MESSAGE("system libpcap backend: " << t.expressions << " expressions, " << t.packets << " packets, "
                                     << t.accepted << " accepted, " << t.lost << " lost");
  CHECK(t.expressions >= 50);
  CHECK(t.lost == 0);
}
#endif

TEST_CASE("a missing libpcap is a clear error, not a crash") {
  BackendChoice c;
  c.kind = BackendKind::System;
  c.libraryPath = "/nonexistent/libpcap.so";
  OpenOptions o;
  o.interface = "lo";
  o.backend = c;
  auto source = live::open(o);
  REQUIRE_FALSE(source.ok());
  CHECK(source.error().message.find("cannot load libpcap '/nonexistent/libpcap.so'") == 0);
  // A shared object that is not libpcap.
  c.libraryPath = "libc.so.6";
  o.backend = c;
  source = live::open(o);
  REQUIRE_FALSE(source.ok());
  CHECK(source.error().message == "'libc.so.6' is not a usable libpcap: it has no 'pcap_create'");
}

TEST_CASE("VLAN tags the kernel strips are put back") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  gen::GenOptions g;
  g.count = 3000;
  g.seed = 99;
  std::vector<std::vector<uint8_t>> tagged;
  for (auto& p : gen::generatePackets(g))
    // (The kernel drops a tagged frame with less than a tag and an
    // EtherType after the Ethernet header.)
    if (isVlanTagged(p.data) && p.data.size() >= 20 && p.data.size() <= 9014) tagged.push_back(p.data);
  REQUIRE(tagged.size() >= 20);
  for (const char* backend : {"native", "system"}) {
    INFO("backend: ", backend);
    OpenOptions o;
    o.interface = VethLab::kReceiver;
    o.backend = *BackendChoice::parse(backend);
    auto source = live::open(o);
    REQUIRE_MESSAGE(source.ok(), source.error().message);
    for (const auto& f : tagged) REQUIRE(sender.send(f));
    size_t got = 0, same = 0;
    LivePacket p;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got < tagged.size() && std::chrono::steady_clock::now() < deadline) {
      auto s = (*source)->next(p, 200);
      REQUIRE(s.ok());
      if (*s != NextStatus::Packet) continue;
      const auto& want = tagged[got++];
      if (p.data.size() == want.size() && std::equal(want.begin(), want.end(), p.data.begin())) ++same;
    }
    CHECK(got == tagged.size());
    CHECK(same == tagged.size());
  }
}

TEST_CASE("vlan filters in the kernel pass what the offline program passes on the tagged frame") {
  // The kernel takes the outer 802.1Q / 802.1ad tag out before its filter
  // runs; the program compiled for the live socket asks the ancillary data
  // for it. An expression that starts with vlan then passes exactly the
  // frames the offline program (no ancillary loads) passes on the frame
  // as it was on the wire, with 0x9100 and stacked tags too.
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  OpenOptions fo;
  fo.interface = VethLab::kReceiver;
  fo.backend = BackendChoice{};
  fo.ringBytes = 32u << 20;
  auto fence = live::open(fo);
  REQUIRE_MESSAGE(fence.ok(), fence.error().message);
  gen::GenOptions g;
  g.count = 2500;
  g.seed = 31337;
  std::vector<std::vector<uint8_t>> frames;
  size_t tagged = 0;
  for (auto& p : gen::generatePackets(g)) {
    if (p.data.size() < 14 || p.data.size() > 9014) continue;
    if (isVlanTagged(p.data) && p.data.size() < 20) continue;  // the kernel drops a cut tag
    tagged += isVlanTagged(p.data);
    frames.push_back(p.data);
  }
  REQUIRE(tagged >= 200);
  const char* exprs[] = {"vlan",
                         "vlan 100",
                         "not vlan",
                         "vlan and ip",
                         "vlan and ip6",
                         "vlan 100 and udp",
                         "vlan and tcp",
                         "vlan and vlan",
                         "vlan and vlan and ip",
                         "vlan or ip",
                         "vlan 200 or vlan 100",
                         "vlan and host 10.0.0.1",
                         "vlan and port 53",
                         "vlan and mpls",
                         "vlan and ether host 00:11:22:33:44:55",
                         "vlan and ip[9] = 17"};
  size_t accepted = 0;
  for (const char* expression : exprs) {
    INFO("expression: ", expression);
    OpenOptions o;
    o.interface = VethLab::kReceiver;
    o.filter = expression;
    o.backend = BackendChoice{};
    o.ringBytes = 16u << 20;
    auto source = live::open(o);
    REQUIRE_MESSAGE(source.ok(), source.error().message);
    CHECK((*source)->filterPlace() == FilterPlace::Kernel);
    CompileOptions co;
    auto offline = compile(expression, co);
    REQUIRE(offline.ok());
    auto vmProgram = forVm(*offline);
    REQUIRE(vmProgram.ok());
    auto r = runRound(**source, **fence, sender, frames, *vmProgram);
    CHECK(r.received == r.expected);
    CHECK(r.mismatched == 0);
    CHECK_FALSE(r.extra);
    CHECK(r.dropped == 0);
    accepted += r.received;
  }
  MESSAGE("vlan in the kernel: " << std::size(exprs) << " expressions, " << frames.size() << " frames ("
                                  << tagged << " tagged), " << accepted << " accepted");
  CHECK(accepted > 0);
}

TEST_CASE("no packet that fails the filter reaches a source opened during traffic") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  const auto& frames = craftedFrames();
  std::atomic<bool> done{false};
  std::atomic<uint64_t> sent{0};
  // Traffic flows all the time the sources are opened and read.
  std::thread flood([&] {
    for (size_t i = 0; !done; i = (i + 1) % frames.size())
      if (sender.send(frames[i])) ++sent;
  });
  size_t opened = 0, received = 0, leaked = 0;
  for (const char* e : {"udp port 53", "tcp port 80", "arp", "icmp", "ip6"}) {
    for (int round = 0; round < 4; ++round) {
      OpenOptions o;
      o.interface = VethLab::kReceiver;
      o.filter = e;
      o.backend = BackendChoice{};
      auto source = live::open(o);
      REQUIRE_MESSAGE(source.ok(), source.error().message);
      auto v = forVm((*source)->program());
      REQUIRE(v.ok());
      ++opened;
      LivePacket p;
      auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(60);
      while (std::chrono::steady_clock::now() < until) {
        auto s = (*source)->next(p, 20);
        REQUIRE(s.ok());
        if (*s != NextStatus::Packet) continue;
        ++received;
        if (vm::run(*v, p.data, p.header.wireLength) == 0) ++leaked;
      }
    }
  }
  done = true;
  flood.join();
  MESSAGE(opened << " sources opened during traffic (" << sent.load() << " frames sent): " << received
                 << " packets received, " << leaked << " failing the filter");
  CHECK(received > 0);
  CHECK(leaked == 0);
}

TEST_CASE("promiscuous mode is on while the source is open") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  // Promiscuity set through a packet socket shows in the device's
  // promiscuity count (not in SIOCGIFFLAGS, which reports only what was set
  // with SIOCSIFFLAGS).
  auto promisc = [&] {
    return sift::live::testing::shell("ip -n " + lab.name() + " -d link show " + VethLab::kReceiver +
                                      " | grep -q 'promiscuity 1'") == 0;
  };
  CHECK_FALSE(promisc());
  {
    OpenOptions o;
    o.interface = VethLab::kReceiver;
    o.promiscuous = true;
    o.backend = BackendChoice{};
    auto source = live::open(o);
    REQUIRE(source.ok());
    CHECK(promisc());
  }
  CHECK_FALSE(promisc());
}

TEST_CASE("the snapshot length cuts packets, with and without a filter") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  std::vector<uint8_t> frame = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
                                0x45, 0, 0, 186, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                                0x30, 0x39, 0, 53, 0, 166, 0, 0};
  frame.resize(200, 'x');
  for (const char* filter : {"", "udp port 53"}) {
    for (bool userspace : {false, true}) {
      if (!*filter && userspace) continue;
      INFO("filter: '", filter, "', userspace: ", userspace);
      OpenOptions o;
      o.interface = VethLab::kReceiver;
      o.filter = filter;
      o.snaplen = 64;
      o.forceUserspaceFilter = userspace;
      o.backend = BackendChoice{};
      auto source = live::open(o);
      REQUIRE_MESSAGE(source.ok(), source.error().message);
      CHECK((*source)->snaplen() == 64u);
      REQUIRE(sender.send(frame));
      LivePacket p;
      NextStatus s = NextStatus::Timeout;
      for (int i = 0; i < 25 && s != NextStatus::Packet; ++i) {
        auto r = (*source)->next(p, 200);
        REQUIRE(r.ok());
        s = *r;
      }
      REQUIRE(s == NextStatus::Packet);
      CHECK(p.header.captureLength == 64u);
      CHECK(p.data.size() == 64u);
      CHECK(p.header.wireLength == 200u);
      CHECK(std::equal(p.data.begin(), p.data.end(), frame.begin()));
      CHECK(p.header.linktype == 1u);
      CHECK(p.header.seconds > 1600000000);
    }
  }
}

TEST_CASE("a raw-IP interface (tun) is captured as RAW with the filter in the kernel") {
  REQUIRE_ROOT();
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  // A tun device of this namespace: what is written to its descriptor
  // arrives on the interface as received IP packets.
  int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (tun < 0) {
    MESSAGE("skipped: no /dev/net/tun");
    return;
  }
  struct TunCloser {
    int fd;
    ~TunCloser() { ::close(fd); }
  } closer{tun};
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "st0");
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  REQUIRE(::ioctl(tun, TUNSETIFF, &ifr) == 0);
  REQUIRE(sift::live::testing::shell("ip -n " + lab.name() + " link set st0 up") == 0);

  std::vector<std::vector<uint8_t>> packets;
  gen::GenOptions g;
  g.linktype = 12;  // DLT_RAW
  g.count = 600;
  g.seed = 5;
  for (auto& p : gen::generatePackets(g))
    if (!p.data.empty() && ((p.data[0] >> 4) == 4 || (p.data[0] >> 4) == 6) && p.data.size() <= 1500)
      packets.push_back(p.data);
  REQUIRE(packets.size() >= 300);

  size_t checked = 0;
  for (const char* e : {"ip", "ip6", "udp port 53", "tcp", "icmp or icmp6", "host 10.0.0.1", "greater 200",
                        "ip[6:2] & 0x1fff != 0"}) {
    INFO("expression: ", e);
    OpenOptions o;
    o.interface = "st0";
    o.filter = e;
    o.backend = BackendChoice{};
    auto source = live::open(o);
    REQUIRE_MESSAGE(source.ok(), source.error().message);
    CHECK((*source)->linktype() == 12u);
    CHECK((*source)->filterPlace() == FilterPlace::Kernel);
    auto v = forVm((*source)->program());
    REQUIRE(v.ok());
    std::vector<size_t> accepted;
    for (size_t i = 0; i < packets.size(); ++i) {
      if (vm::run(*v, packets[i]) != 0) accepted.push_back(i);
      REQUIRE(::write(tun, packets[i].data(), packets[i].size()) == static_cast<ssize_t>(packets[i].size()));
    }
    size_t got = 0, same = 0;
    LivePacket p;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (got < accepted.size() && std::chrono::steady_clock::now() < deadline) {
      auto s = (*source)->next(p, 200);
      REQUIRE(s.ok());
      if (*s != NextStatus::Packet) continue;
      const auto& want = packets[accepted[got++]];
      if (p.data.size() == want.size() && std::equal(want.begin(), want.end(), p.data.begin())) ++same;
    }
    auto s = (*source)->next(p, 100);
    REQUIRE(s.ok());
    CHECK(*s != NextStatus::Packet);
    CHECK(got == accepted.size());
    CHECK(same == accepted.size());
    auto st = (*source)->stats();
    REQUIRE(st.ok());
    CHECK(st->received == accepted.size());
    CHECK(st->dropped == 0);
    ++checked;
  }
  CHECK(checked == 8);
}
