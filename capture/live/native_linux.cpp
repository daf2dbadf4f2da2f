// The native backend: an AF_PACKET socket with a TPACKET_V3 ring.
//
// The socket is created with protocol 0, so it receives nothing until it is
// bound. The ring is mapped and the filter attached first; only then is the
// socket bound to ETH_P_ALL on the interface (or on all of them). No packet
// can therefore reach the ring before the filter is in place, and there is
// nothing to drain.
//
// Interfaces whose link header sift knows (Ethernet, loopback, raw IP) are
// captured with SOCK_RAW and the program compiled for that link type;
// everything else, and "any", in cooked mode (SOCK_DGRAM): the ring holds
// the packet from the network header on, and sift puts a LINUX_SLL header
// in front of it. The kernel's filter on such a socket sees the network
// header at offset 0, so the LINUX_SLL program is rewritten for it (see
// rewriteForCooked). The kernel strips VLAN tags; they are put back from
// the ring's metadata, as libpcap does.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>

#include "capture/live/live_internal.h"

namespace sift::live {

namespace {

constexpr uint32_t kDltEn10mb = 1;
constexpr uint32_t kDltRaw = 12;
constexpr uint32_t kDltLinuxSll = 113;
constexpr uint32_t kSllHeaderLen = 16;
constexpr uint32_t kBlockSize = 1u << 20;
constexpr uint32_t kFrameSize = 2048;
constexpr uint32_t kRetireTimeoutMs = 8;

std::string errnoText(int e) { return std::strerror(e); }

Diagnostic privilegeError(const std::string& what, int e) {
  return Diagnostic::error("live capture needs root or CAP_NET_RAW: " + what + ": " + errnoText(e));
}

class FdGuard {
 public:
  explicit FdGuard(int fd = -1) : fd_(fd) {}
  ~FdGuard() { reset(); }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Reads ifindex, ARPHRD and the flags of an interface by name.
struct IfaceFacts {
  int index = 0;
  uint16_t arphrd = 0;
  short flags = 0;
};

Expected<IfaceFacts> ifaceFacts(const std::string& name) {
  IfaceFacts f;
  if (name.size() >= IFNAMSIZ) return Diagnostic::error("no such interface '" + name + "'");
  FdGuard s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) s.reset(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return Diagnostic::error("cannot open a socket to query '" + name + "': " + errnoText(errno));
  struct ifreq ifr {};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  if (::ioctl(s.get(), SIOCGIFINDEX, &ifr) < 0) {
    if (errno == ENODEV) return Diagnostic::error("no such interface '" + name + "'");
    return Diagnostic::error("cannot query interface '" + name + "': " + errnoText(errno));
  }
  f.index = ifr.ifr_ifindex;
  if (::ioctl(s.get(), SIOCGIFHWADDR, &ifr) < 0)
    return Diagnostic::error("cannot query interface '" + name + "': " + errnoText(errno));
  f.arphrd = ifr.ifr_hwaddr.sa_family;
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0) f.flags = ifr.ifr_flags;
  return f;
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

class NativeSource final : public Source {
 public:
  ~NativeSource() override {
    if (ring_ != MAP_FAILED && ring_) ::munmap(ring_, ringSize_);
    if (fd_ >= 0) ::close(fd_);
    if (stopFd_ >= 0) ::close(stopFd_);
  }

  static Expected<std::unique_ptr<Source>> open(const OpenOptions& options);

  uint32_t linktype() const override { return linktype_; }
  uint32_t snaplen() const override { return snaplen_; }
  BackendKind backend() const override { return BackendKind::Native; }
  FilterPlace filterPlace() const override { return place_; }
  const bpf::Program& program() const override { return installed_; }

  Expected<NextStatus> next(LivePacket& out, int timeoutMs) override;
  Expected<Stats> stats() override;
  void stop() noexcept override {
    stopped_.store(true, std::memory_order_relaxed);
    uint64_t one = 1;
    ssize_t n = ::write(stopFd_, &one, sizeof one);
    (void)n;
  }

 private:
  NativeSource() = default;
  tpacket_block_desc* block(uint32_t i) const {
    return reinterpret_cast<tpacket_block_desc*>(static_cast<uint8_t*>(ring_) + size_t(i) * blockSize_);
  }
  bool blockReady(uint32_t i) const {
    return __atomic_load_n(&block(i)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
  }
  void releaseBlock() {
    __atomic_store_n(&block(current_)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    current_ = (current_ + 1) % blockCount_;
    held_ = false;
  }
  // Turns one ring frame into `out`; false when the userspace filter rejects it.
  bool deliver(const tpacket3_hdr* h, LivePacket& out);
  Status pollStats();

  int fd_ = -1;
  int stopFd_ = -1;
  void* ring_ = nullptr;
  size_t ringSize_ = 0;
  uint32_t blockSize_ = 0;
  uint32_t blockCount_ = 0;
  uint32_t current_ = 0;
  bool held_ = false;             // block current_ belongs to us
  uint32_t framesLeft_ = 0;
  const uint8_t* frame_ = nullptr;
  bool cooked_ = false;
  uint32_t linktype_ = 0;
  uint32_t snaplen_ = 0;
  FilterPlace place_ = FilterPlace::None;
  bpf::Program installed_;
  std::optional<detail::UserspaceFilter> userFilter_;
  std::vector<uint8_t> buffer_;
  std::atomic<bool> stopped_{false};
  Stats totals_;
  uint64_t userAccepted_ = 0;
};

Expected<std::unique_ptr<Source>> NativeSource::open(const OpenOptions& options) {
  std::unique_ptr<NativeSource> src(new NativeSource);
  const bool all = options.interface.empty() || options.interface == "any";
  IfaceFacts facts;
  if (!all) {
    auto f = ifaceFacts(options.interface);
    if (!f) return f.takeError();
    facts = *f;
  }
  std::optional<uint32_t> dlt = all ? std::nullopt : linktypeForArphrd(facts.arphrd);
  src->cooked_ = !dlt;
  src->linktype_ = dlt ? *dlt : kDltLinuxSll;
  src->snaplen_ = options.snaplen == 0 ? 262144 : options.snaplen;
  const std::string where = all ? "any" : options.interface;

  FdGuard fd(::socket(AF_PACKET, (src->cooked_ ? SOCK_DGRAM : SOCK_RAW) | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    if (errno == EPERM || errno == EACCES) return privilegeError("cannot capture on '" + where + "'", errno);
    return Diagnostic::error("cannot open a packet socket: " + errnoText(errno));
  }

  int version = TPACKET_V3;
  if (::setsockopt(fd.get(), SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
    return Diagnostic::error("the kernel does not offer TPACKET_V3 rings: " + errnoText(errno));

  // The ring: whole blocks, at least four.
  src->blockSize_ = kBlockSize;
  src->blockCount_ = std::max<uint32_t>(4, options.ringBytes / kBlockSize);
  tpacket_req3 req{};
  req.tp_block_size = src->blockSize_;
  req.tp_block_nr = src->blockCount_;
  req.tp_frame_size = kFrameSize;
  req.tp_frame_nr = (src->blockSize_ / kFrameSize) * src->blockCount_;
  req.tp_retire_blk_tov = kRetireTimeoutMs;
  if (::setsockopt(fd.get(), SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
    return Diagnostic::error("cannot set up the capture ring (" + std::to_string(req.tp_block_nr) + " blocks of " +
                             std::to_string(req.tp_block_size) + " bytes): " + errnoText(errno));
  src->ringSize_ = size_t(src->blockSize_) * src->blockCount_;
  src->ring_ = ::mmap(nullptr, src->ringSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd.get(), 0);
  if (src->ring_ == MAP_FAILED)
    src->ring_ = ::mmap(nullptr, src->ringSize_, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (src->ring_ == MAP_FAILED) {
    src->ring_ = nullptr;
    return Diagnostic::error("cannot map the capture ring: " + errnoText(errno));
  }

  if (options.promiscuous && !all) {
    packet_mreq mr{};
    mr.mr_ifindex = facts.index;
    mr.mr_type = PACKET_MR_PROMISC;
    if (::setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
      return Diagnostic::error("cannot put '" + where + "' in promiscuous mode: " + errnoText(errno));
  }

  // The filter, before any packet can arrive.
  auto plan = detail::planFilter(options, src->linktype_, true);
  if (!plan) return plan.takeError();
  if (plan->any) {
    std::string refusal;
    std::optional<bpf::Program> kernelProgram = plan->kernel;
    if (src->cooked_) {
      kernelProgram = detail::rewriteForCooked(plan->kernel);
      if (!kernelProgram) refusal = "the program reads link-header fields a cooked socket cannot see";
    }
    if (kernelProgram && options.forceUserspaceFilter) {
      refusal = "userspace filtering was requested";
      kernelProgram.reset();
    }
    if (kernelProgram) {
      bpf::ValidationError why;
      if (!bpf::validate(*kernelProgram, bpf::Profile::Kernel, &why)) {
        refusal = "the kernel cannot run the program: " + why.message;
        kernelProgram.reset();
      }
    }
    if (kernelProgram) {
      sock_fprog prog{};
      prog.len = static_cast<unsigned short>(kernelProgram->insns.size());
      prog.filter = reinterpret_cast<sock_filter*>(kernelProgram->insns.data());
      static_assert(sizeof(sock_filter) == sizeof(bpf::Insn));
      if (::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0) {
        src->place_ = FilterPlace::Kernel;
        src->installed_ = plan->kernel;
      } else {
        int e = errno;
        refusal = "the kernel refused the " + std::to_string(kernelProgram->insns.size()) +
                  "-instruction program (" + errnoText(e) + ")";
      }
    }
    if (src->place_ != FilterPlace::Kernel) {
      auto uf = detail::UserspaceFilter::make(plan->userspace, options.allowJit);
      if (!uf) return uf.takeError();
      src->place_ = uf->usesJit() ? FilterPlace::UserspaceJit : FilterPlace::UserspaceVm;
      src->installed_ = plan->userspace;
      src->userFilter_.emplace(std::move(uf.value()));
      src->warnings_.push_back(refusal + "; filtering in userspace with the " +
                               (src->userFilter_->usesJit() ? "JIT" : "interpreter"));
    }
  }

  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = all ? 0 : facts.index;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    int e = errno;
    if (e == ENODEV || e == ENXIO) return Diagnostic::error("no such interface '" + where + "'");
    if (e == ENETDOWN) return Diagnostic::error("interface '" + where + "' is down");
    return Diagnostic::error("cannot bind to '" + where + "': " + errnoText(e));
  }
  if (!all && !(facts.flags & IFF_UP)) src->warnings_.push_back("interface '" + where + "' is down");

  src->stopFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (src->stopFd_ < 0) return Diagnostic::error("cannot create an eventfd: " + errnoText(errno));
  src->fd_ = fd.release();
  // Start the counters at zero.
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  ::getsockopt(src->fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len);
  return std::unique_ptr<Source>(std::move(src));
}

bool NativeSource::deliver(const tpacket3_hdr* h, LivePacket& out) {
  const uint8_t* base = reinterpret_cast<const uint8_t*>(h);
  const auto* sll = reinterpret_cast<const sockaddr_ll*>(base + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
  const uint8_t* data = base + h->tp_mac;
  uint32_t caplen = h->tp_snaplen;
  uint32_t wirelen = h->tp_len;
  const bool vlan = (h->tp_status & TP_STATUS_VLAN_VALID) || h->hv1.tp_vlan_tci != 0;
  const uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;

  if (cooked_) {
    buffer_.resize(kSllHeaderLen + (vlan ? 4 : 0) + caplen);
    uint8_t* p = buffer_.data();
    put16(p, sll->sll_pkttype);
    put16(p + 2, sll->sll_hatype);
    put16(p + 4, sll->sll_halen);
    std::memset(p + 6, 0, 8);
    std::memcpy(p + 6, sll->sll_addr, std::min<size_t>(sll->sll_halen, 8));
    uint32_t off = 14;
    if (vlan) {
      put16(p + off, tpid);
      put16(p + off + 2, h->hv1.tp_vlan_tci);
      off += 4;
    }
    put16(p + off, ntohs(sll->sll_protocol));
    std::memcpy(p + off + 2, data, caplen);
    caplen += off + 2;
    wirelen += off + 2;
    data = p;
  } else if (vlan && caplen >= 12 && linktype_ == kDltEn10mb) {
    buffer_.resize(caplen + 4);
    uint8_t* p = buffer_.data();
    std::memcpy(p, data, 12);
    put16(p + 12, tpid);
    put16(p + 14, h->hv1.tp_vlan_tci);
    std::memcpy(p + 16, data + 12, caplen - 12);
    caplen += 4;
    wirelen += 4;
    data = p;
  }
  caplen = std::min(caplen, snaplen_);
  if (userFilter_) {
    uint32_t keep = userFilter_->run({data, caplen}, wirelen);
    if (keep == 0) return false;
    caplen = std::min(caplen, keep);
    ++userAccepted_;
  }
  out.header.seconds = h->tp_sec;
  out.header.nanoseconds = h->tp_nsec;
  out.header.captureLength = caplen;
  out.header.wireLength = wirelen;
  out.header.linktype = linktype_;
  out.header.interfaceId = 0;
  out.data = {data, caplen};
  out.ifindex = sll->sll_ifindex;
  out.direction = sll->sll_pkttype;
  return true;
}

Expected<NextStatus> NativeSource::next(LivePacket& out, int timeoutMs) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 0 : timeoutMs);
  for (;;) {
    if (stopped_.load(std::memory_order_relaxed)) return NextStatus::Stopped;
    if (held_ && framesLeft_ == 0) releaseBlock();
    if (!held_ && blockReady(current_)) {
      auto* b = block(current_);
      held_ = true;
      framesLeft_ = b->hdr.bh1.num_pkts;
      frame_ = reinterpret_cast<const uint8_t*>(b) + b->hdr.bh1.offset_to_first_pkt;
    }
    while (held_ && framesLeft_ > 0) {
      const auto* h = reinterpret_cast<const tpacket3_hdr*>(frame_);
      --framesLeft_;
      frame_ += h->tp_next_offset;
      if (deliver(h, out)) return NextStatus::Packet;
    }
    if (held_) continue;  // released at the top of the loop

    int wait = -1;
    if (timeoutMs >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return NextStatus::Timeout;
      wait = static_cast<int>(left);
    }
    pollfd fds[2] = {{fd_, POLLIN | POLLRDNORM | POLLERR, 0}, {stopFd_, POLLIN, 0}};
    int n = ::poll(fds, 2, wait);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Diagnostic::error("waiting for packets failed: " + errnoText(errno));
    }
    if (fds[0].revents & POLLERR) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == ENETDOWN) return Diagnostic::error("the interface went down");
      if (err != 0) return Diagnostic::error("capture failed: " + errnoText(err));
    }
    if (fds[0].revents & (POLLHUP | POLLNVAL)) return Diagnostic::error("the capture socket was closed");
  }
}

Status NativeSource::pollStats() {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return Diagnostic::error("cannot read the capture statistics: " + errnoText(errno));
  // tp_packets counts what passed the kernel filter, dropped ones included.
  if (!userFilter_) totals_.received += st.tp_packets;
  totals_.dropped += st.tp_drops;
  return okStatus();
}

Expected<Stats> NativeSource::stats() {
  if (auto s = pollStats(); !s) return s.takeError();
  Stats s = totals_;
  if (userFilter_) s.received = userAccepted_;
  return s;
}

std::string readSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::optional<uint32_t> linktypeForArphrd(uint16_t arphrd) {
  switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
      return kDltEn10mb;
    case ARPHRD_NONE:
#ifdef ARPHRD_RAWIP
    case ARPHRD_RAWIP:
#endif
      return kDltRaw;
    default:
      return std::nullopt;
  }
}

namespace detail {

Expected<std::unique_ptr<Source>> openNative(const OpenOptions& options) { return NativeSource::open(options); }

Expected<std::vector<InterfaceInfo>> listNative() {
  std::vector<InterfaceInfo> out;
  struct if_nameindex* names = ::if_nameindex();
  if (!names) return Diagnostic::error("cannot list interfaces: " + errnoText(errno));
  for (auto* n = names; n->if_index != 0 && n->if_name; ++n) {
    InterfaceInfo info;
    info.name = n->if_name;
    info.index = static_cast<int32_t>(n->if_index);
    if (auto f = ifaceFacts(info.name)) {
      info.up = f->flags & IFF_UP;
      info.running = f->flags & IFF_RUNNING;
      info.loopback = f->flags & IFF_LOOPBACK;
    }
    std::string alias = readSmallFile("/sys/class/net/" + info.name + "/ifalias");
    if (!alias.empty()) info.description = alias;
    out.push_back(std::move(info));
  }
  ::if_freenameindex(names);
  // Up interfaces first, loopback last among them, as tcpdump -D orders.
  std::stable_sort(out.begin(), out.end(), [](const InterfaceInfo& a, const InterfaceInfo& b) {
    auto rank = [](const InterfaceInfo& i) { return (i.up ? 0 : 2) + (i.loopback ? 1 : 0); };
    return rank(a) < rank(b);
  });
  InterfaceInfo any;
  any.name = "any";
  any.description = "Pseudo-device that captures on all interfaces";
  any.up = any.running = true;
  auto pos = std::find_if(out.begin(), out.end(), [](const InterfaceInfo& i) { return !i.up || i.loopback; });
  out.insert(pos, std::move(any));
  return out;
}

}  // namespace detail

}  // namespace sift::live
