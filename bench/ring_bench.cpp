// Capture ring throughput: packets per second received through the kernel
// filter on a veth pair inside a private network namespace.
//
// A sender thread pushes 60-byte Ethernet/IPv4/UDP frames out of one veth
// end with sendmmsg, half of them to UDP port 53 and half to port 80; the
// benchmark loop takes packets from a live::Source on the other end. Each
// benchmark reports the packets received per second (items_per_second),
// and how many the kernel dropped for lack of ring space. Both ends run on
// the same machine, so the figure is what send + filter + receive reach
// together. Needs root; without it every benchmark says so and skips.
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "sift/live.h"
#include "tests/unit/live/netns_lab.h"

namespace {

using namespace sift;
using sift::live::testing::VethLab;

std::vector<uint8_t> udpFrame(uint16_t dstPort) {
  std::vector<uint8_t> f(60, 0);
  const uint8_t head[] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,  // Ethernet
                          0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0,           // IPv4, UDP
                          10, 0, 0, 1, 10, 0, 0, 2};
  std::copy(std::begin(head), std::end(head), f.begin());
  f[34] = 0x30, f[35] = 0x39;                                          // source port 12345
  f[36] = static_cast<uint8_t>(dstPort >> 8), f[37] = static_cast<uint8_t>(dstPort);
  f[38] = 0, f[39] = 26;                                               // UDP length
  return f;
}

// Sends frames until told to stop.
class Flood {
 public:
  explicit Flood(const std::string& ifname) {
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    to_.sll_family = AF_PACKET;
    to_.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    to_.sll_halen = ETH_ALEN;
    frames_ = {udpFrame(53), udpFrame(80)};
    thread_ = std::thread([this] { run(); });
  }
  ~Flood() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  uint64_t sent() const { return sent_.load(); }

 private:
  void run() {
    constexpr int kBatch = 64;
    mmsghdr msgs[kBatch]{};
    iovec iov[kBatch]{};
    for (int i = 0; i < kBatch; ++i) {
      auto& f = frames_[i % 2];
      iov[i] = {f.data(), f.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &to_;
      msgs[i].msg_hdr.msg_namelen = sizeof to_;
    }
    while (!stop_) {
      int n = ::sendmmsg(fd_, msgs, kBatch, 0);
      if (n > 0) sent_ += n;
      else std::this_thread::yield();
    }
  }
  int fd_ = -1;
  sockaddr_ll to_{};
  std::vector<std::vector<uint8_t>> frames_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

void receive(benchmark::State& state, const char* filter, live::BackendKind kind, bool userspace) {
  if (!live::testing::isRoot()) {
    state.SkipWithError("needs root (a network namespace and packet sockets)");
    return;
  }
  VethLab lab;
  if (!lab.ok()) {
    state.SkipWithError(lab.error().c_str());
    return;
  }
  live::OpenOptions o;
  o.interface = VethLab::kReceiver;
  o.filter = filter;
  o.backend = live::BackendChoice{kind, {}};
  o.forceUserspaceFilter = userspace;
  o.ringBytes = 32u << 20;
  auto source = live::open(o);
  if (!source) {
    state.SkipWithError(source.error().message.c_str());
    return;
  }
  Flood flood(VethLab::kSender);
  live::LivePacket p;
  uint64_t received = 0;
  for (auto _ : state) {
    auto r = (*source)->next(p, 1000);
    if (!r || *r != live::NextStatus::Packet) {
      state.SkipWithError("no packet within a second");
      break;
    }
    ++received;
    benchmark::DoNotOptimize(p.data.data());
  }
  auto st = (*source)->stats();
  state.SetItemsProcessed(static_cast<int64_t>(received));
  if (st) state.counters["dropped"] = static_cast<double>(st->dropped);
  state.counters["sent"] = static_cast<double>(flood.sent());
}

void BM_Ring_KernelFilter(benchmark::State& s) { receive(s, "udp port 53", live::BackendKind::Native, false); }
void BM_Ring_NoFilter(benchmark::State& s) { receive(s, "", live::BackendKind::Native, false); }
void BM_Ring_UserspaceFilter(benchmark::State& s) { receive(s, "udp port 53", live::BackendKind::Native, true); }
void BM_Libpcap_KernelFilter(benchmark::State& s) { receive(s, "udp port 53", live::BackendKind::System, false); }

BENCHMARK(BM_Ring_KernelFilter)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_Ring_NoFilter)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_Ring_UserspaceFilter)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_Libpcap_KernelFilter)->MinTime(2.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
