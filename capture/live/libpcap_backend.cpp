// The system backend: a libpcap found at run time with dlopen, never linked.
//
// Only the functions and structures of libpcap's stable C ABI are used:
// pcap_create / pcap_set_* / pcap_activate to open, pcap_setnonblock and
// pcap_get_selectable_fd to wait (beside an eventfd, so stop() works from a
// signal handler), pcap_next_ex to read, pcap_setfilter to install sift's
// own program, pcap_stats for the counts and pcap_findalldevs for -D.
// A library that lacks one of the required functions is refused with the
// name of the missing function.
#include <dlfcn.h>
#include <net/if.h>
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "capture/live/live_internal.h"

namespace sift::live {

namespace {

// The parts of libpcap's ABI sift uses, declared as libpcap declares them.
extern "C" {
struct PcapBpfInsn {
  unsigned short code;
  unsigned char jt;
  unsigned char jf;
  uint32_t k;
};
struct PcapBpfProgram {
  unsigned int bf_len;
  PcapBpfInsn* bf_insns;
};
struct PcapPkthdr {
  struct timeval ts;
  uint32_t caplen;
  uint32_t len;
};
struct PcapStat {
  unsigned int ps_recv;
  unsigned int ps_drop;
  unsigned int ps_ifdrop;
};
struct PcapAddr;
struct PcapIf {
  PcapIf* next;
  char* name;
  char* description;
  PcapAddr* addresses;
  uint32_t flags;
};
}
static_assert(sizeof(PcapBpfInsn) == sizeof(bpf::Insn));

constexpr uint32_t kIfLoopback = 0x1, kIfUp = 0x2, kIfRunning = 0x4;
constexpr int kTstampPrecisionNano = 1;
constexpr int kErrbufSize = 256;

using PcapT = void;

// One loaded library and its entry points.
struct Library {
  void* handle = nullptr;
  std::string path;
  PcapT* (*create)(const char*, char*) = nullptr;
  int (*setSnaplen)(PcapT*, int) = nullptr;
  int (*setPromisc)(PcapT*, int) = nullptr;
  int (*setTimeout)(PcapT*, int) = nullptr;
  int (*setBufferSize)(PcapT*, int) = nullptr;       // optional
  int (*setTstampPrecision)(PcapT*, int) = nullptr;  // optional
  int (*activate)(PcapT*) = nullptr;
  int (*nextEx)(PcapT*, PcapPkthdr**, const unsigned char**) = nullptr;
  int (*setfilter)(PcapT*, PcapBpfProgram*) = nullptr;
  void (*close)(PcapT*) = nullptr;
  char* (*geterr)(PcapT*) = nullptr;
  int (*datalink)(PcapT*) = nullptr;
  int (*stats)(PcapT*, PcapStat*) = nullptr;
  int (*setnonblock)(PcapT*, int, char*) = nullptr;
  int (*selectableFd)(PcapT*) = nullptr;
  int (*findalldevs)(PcapIf**, char*) = nullptr;
  void (*freealldevs)(PcapIf*) = nullptr;
  const char* (*statustostr)(int) = nullptr;
  const char* (*libVersion)() = nullptr;

  ~Library() {
    if (handle) ::dlclose(handle);
  }
};

template <class F>
bool bind(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(handle, name));
  return out != nullptr;
}

Expected<std::shared_ptr<Library>> loadLibrary(const std::string& requested) {
  auto lib = std::make_shared<Library>();
  std::vector<std::string> names;
  if (requested.empty())
    names = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"};
  else
    names = {requested};
  std::string lastError;
  for (const auto& n : names) {
    ::dlerror();
    lib->handle = ::dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib->handle) {
      lib->path = n;
      break;
    }
    const char* e = ::dlerror();
    lastError = e ? e : "unknown error";
  }
  if (!lib->handle) {
    if (requested.empty())
      return Diagnostic::error("cannot load the system libpcap (tried libpcap.so.0.8, libpcap.so.1, libpcap.so): " +
                               lastError);
    return Diagnostic::error("cannot load libpcap '" + requested + "': " + lastError);
  }
  const char* missing = nullptr;
  auto need = [&](const char* name, auto& slot) {
    if (!missing && !bind(lib->handle, name, slot)) missing = name;
  };
  need("pcap_create", lib->create);
  need("pcap_set_snaplen", lib->setSnaplen);
  need("pcap_set_promisc", lib->setPromisc);
  need("pcap_set_timeout", lib->setTimeout);
  need("pcap_activate", lib->activate);
  need("pcap_next_ex", lib->nextEx);
  need("pcap_setfilter", lib->setfilter);
  need("pcap_close", lib->close);
  need("pcap_geterr", lib->geterr);
  need("pcap_datalink", lib->datalink);
  need("pcap_stats", lib->stats);
  need("pcap_setnonblock", lib->setnonblock);
  need("pcap_get_selectable_fd", lib->selectableFd);
  need("pcap_findalldevs", lib->findalldevs);
  need("pcap_freealldevs", lib->freealldevs);
  need("pcap_statustostr", lib->statustostr);
  need("pcap_lib_version", lib->libVersion);
  if (missing)
    return Diagnostic::error("'" + lib->path + "' is not a usable libpcap: it has no '" + missing + "'");
  bind(lib->handle, "pcap_set_buffer_size", lib->setBufferSize);
  bind(lib->handle, "pcap_set_tstamp_precision", lib->setTstampPrecision);
  return lib;
}

class SystemSource final : public Source {
 public:
  ~SystemSource() override {
    if (pcap_) lib_->close(pcap_);
    if (stopFd_ >= 0) ::close(stopFd_);
  }
  static Expected<std::unique_ptr<Source>> open(const OpenOptions& options, const std::string& path);

  uint32_t linktype() const override { return linktype_; }
  uint32_t snaplen() const override { return snaplen_; }
  BackendKind backend() const override { return BackendKind::System; }
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
  const std::string& version() const { return version_; }

 private:
  SystemSource() = default;
  std::string error() const { return lib_->geterr(pcap_); }

  std::shared_ptr<Library> lib_;
  PcapT* pcap_ = nullptr;
  int fd_ = -1;
  int stopFd_ = -1;
  bool nano_ = false;
  uint32_t linktype_ = 0;
  uint32_t snaplen_ = 0;
  FilterPlace place_ = FilterPlace::None;
  bpf::Program installed_;
  std::atomic<bool> stopped_{false};
  std::string version_;
};

Expected<std::unique_ptr<Source>> SystemSource::open(const OpenOptions& options, const std::string& path) {
  auto lib = loadLibrary(path);
  if (!lib) return lib.takeError();
  std::unique_ptr<SystemSource> src(new SystemSource);
  src->lib_ = std::move(lib.value());
  src->version_ = src->lib_->libVersion();
  const std::string device = options.interface.empty() ? "any" : options.interface;
  char errbuf[kErrbufSize] = {0};
  src->pcap_ = src->lib_->create(device.c_str(), errbuf);
  if (!src->pcap_) return Diagnostic::error("cannot capture on '" + device + "': " + errbuf);
  src->snaplen_ = options.snaplen == 0 ? 262144 : options.snaplen;
  auto& L = *src->lib_;
  L.setSnaplen(src->pcap_, static_cast<int>(src->snaplen_));
  L.setPromisc(src->pcap_, options.promiscuous ? 1 : 0);
  // Not immediate mode: the library's ring blocks then fill up before they
  // are handed over (or after 10 ms), which holds far more packets.
  L.setTimeout(src->pcap_, 10);
  if (L.setBufferSize) L.setBufferSize(src->pcap_, static_cast<int>(options.ringBytes));
  if (L.setTstampPrecision) src->nano_ = L.setTstampPrecision(src->pcap_, kTstampPrecisionNano) == 0;
  int status = L.activate(src->pcap_);
  if (status < 0) {
    std::string detail = src->error();
    if (detail.empty()) detail = L.statustostr(status);
    constexpr int kErrorNoSuchDevice = -5, kErrorPermDenied = -8;
    if (status == kErrorNoSuchDevice) return Diagnostic::error("no such interface '" + device + "': " + detail);
    if (status == kErrorPermDenied)
      return Diagnostic::error("live capture needs root or CAP_NET_RAW: cannot capture on '" + device + "': " + detail);
    return Diagnostic::error("cannot capture on '" + device + "': " + detail);
  }
  if (status > 0) src->warnings_.push_back(std::string(L.statustostr(status)) + ": " + src->error());
  src->linktype_ = static_cast<uint32_t>(L.datalink(src->pcap_));

#ifdef __linux__
  constexpr bool kLiveLinux = true;
#else
  constexpr bool kLiveLinux = false;
#endif
  auto plan = detail::planFilter(options, src->linktype_, kLiveLinux);
  if (!plan) return plan.takeError();
  if (plan->any) {
    // libpcap checks the program itself and falls back to its own
    // userspace filter when the kernel refuses it.
    bpf::ValidationError why;
    bpf::Program& chosen = plan->kernel;
    if (!bpf::validate(chosen, bpf::Profile::Libpcap, &why))
      return Diagnostic::error("filter program is not valid: " + why.message);
    PcapBpfProgram prog{};
    prog.bf_len = static_cast<unsigned int>(chosen.insns.size());
    prog.bf_insns = reinterpret_cast<PcapBpfInsn*>(chosen.insns.data());
    if (L.setfilter(src->pcap_, &prog) < 0)
      return Diagnostic::error("libpcap refused the filter: " + src->error());
    src->place_ = FilterPlace::Library;
    src->installed_ = chosen;
  }
  char nbErr[kErrbufSize] = {0};
  if (L.setnonblock(src->pcap_, 1, nbErr) < 0) return Diagnostic::error(std::string("cannot set non-blocking mode: ") + nbErr);
  src->fd_ = L.selectableFd(src->pcap_);
  if (src->fd_ < 0) return Diagnostic::error("'" + src->lib_->path + "' gives no selectable descriptor for '" + device + "'");
  src->stopFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (src->stopFd_ < 0) return Diagnostic::error(std::string("cannot create an eventfd: ") + std::strerror(errno));
  return std::unique_ptr<Source>(std::move(src));
}

Expected<NextStatus> SystemSource::next(LivePacket& out, int timeoutMs) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 0 : timeoutMs);
  for (;;) {
    if (stopped_.load(std::memory_order_relaxed)) return NextStatus::Stopped;
    PcapPkthdr* h = nullptr;
    const unsigned char* data = nullptr;
    int r = lib_->nextEx(pcap_, &h, &data);
    if (r == 1) {
      out.header.seconds = h->ts.tv_sec;
      out.header.nanoseconds = static_cast<uint32_t>(nano_ ? h->ts.tv_usec : h->ts.tv_usec * 1000);
      out.header.captureLength = h->caplen;
      out.header.wireLength = h->len;
      out.header.linktype = linktype_;
      out.header.interfaceId = 0;
      out.data = {data, h->caplen};
      out.ifindex = 0;
      out.direction = 0;
      return NextStatus::Packet;
    }
    if (r < 0) {
      if (r == -2) return NextStatus::Stopped;
      return Diagnostic::error("capture failed: " + error());
    }
    int wait = -1;
    if (timeoutMs >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return NextStatus::Timeout;
      wait = static_cast<int>(left);
    }
    // libpcap's own ring may hold packets whose block has not been handed
    // over yet: wake up at least every 10 ms to ask again.
    if (wait < 0 || wait > 10) wait = 10;
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
    if (::poll(fds, 2, wait) < 0 && errno != EINTR)
      return Diagnostic::error(std::string("waiting for packets failed: ") + std::strerror(errno));
  }
}

Expected<Stats> SystemSource::stats() {
  PcapStat st{};
  if (lib_->stats(pcap_, &st) < 0) return Diagnostic::error("cannot read the capture statistics: " + error());
  Stats s;
  s.received = st.ps_recv;
  s.dropped = st.ps_drop;
  s.ifDropped = st.ps_ifdrop;
  return s;
}

}  // namespace

namespace detail {

Expected<std::unique_ptr<Source>> openSystem(const OpenOptions& options, const std::string& path) {
  return SystemSource::open(options, path);
}

Expected<std::vector<InterfaceInfo>> listSystem(const std::string& path) {
  auto lib = loadLibrary(path);
  if (!lib) return lib.takeError();
  PcapIf* devs = nullptr;
  char errbuf[kErrbufSize] = {0};
  if ((*lib)->findalldevs(&devs, errbuf) < 0) return Diagnostic::error(std::string("cannot list interfaces: ") + errbuf);
  std::vector<InterfaceInfo> out;
  for (PcapIf* d = devs; d; d = d->next) {
    InterfaceInfo info;
    info.name = d->name ? d->name : "";
    info.description = d->description ? d->description : "";
    info.index = static_cast<int32_t>(::if_nametoindex(info.name.c_str()));
    info.up = d->flags & kIfUp;
    info.running = d->flags & kIfRunning;
    info.loopback = d->flags & kIfLoopback;
    out.push_back(std::move(info));
  }
  (*lib)->freealldevs(devs);
  return out;
}

}  // namespace detail

}  // namespace sift::live
