// A private network namespace with a veth pair, for live-capture tests.
//
// A VethLab creates the namespace "sift-live-<pid>-<n>", a veth pair
// "sa" <-> "sb" inside it (IPv6 off, no addresses, so the kernel sends
// nothing of its own), and moves the calling thread into it. Its
// destructor moves the thread back and deletes the namespace, on failure
// too. Traffic never leaves the namespace.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace sift::live::testing {

inline bool isRoot() { return ::geteuid() == 0; }

inline int shell(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return rc;
}

class VethLab {
 public:
  static constexpr const char* kSender = "sa";
  static constexpr const char* kReceiver = "sb";

  VethLab() {
    static int counter = 0;
    name_ = "sift-live-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    if (shell("ip netns add " + name_) != 0) {
      error_ = "ip netns add " + name_ + " failed";
      return;
    }
    created_ = true;
    const std::string ipn = "ip -n " + name_ + " ";
    const std::string cmds[] = {
        ipn + "link add " + kSender + " mtu 9000 type veth peer name " + kReceiver + " mtu 9000",
    };
    for (const auto& c : cmds) {
      if (shell(c) != 0) {
        error_ = "'" + c + "' failed";
        return;
      }
    }
    home_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (home_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      error_ = "cannot enter namespace " + name_;
      if (target >= 0) ::close(target);
      return;
    }
    ::close(target);
    entered_ = true;
    // /proc/sys/net belongs to the namespace of the thread that opens it.
    // Best effort: a kernel without IPv6 has no such keys.
    for (const char* conf : {"all", "default", kSender, kReceiver})
      sysctl(std::string("net/ipv6/conf/") + conf + "/disable_ipv6", "1");
    // Up only now, so not even a first IPv6 solicitation goes out.
    for (const char* link : {kSender, kReceiver}) {
      std::string c = ipn + "link set " + link + " up";
      if (shell(c) != 0) {
        error_ = "'" + c + "' failed";
        entered_ = false;
        ::setns(home_, CLONE_NEWNET);
        return;
      }
    }
  }

  ~VethLab() {
    if (entered_) ::setns(home_, CLONE_NEWNET);
    if (home_ >= 0) ::close(home_);
    if (created_) shell("ip netns del " + name_);
  }
  VethLab(const VethLab&) = delete;
  VethLab& operator=(const VethLab&) = delete;

  bool ok() const { return entered_; }
  /// Sets a sysctl of this namespace only ("net/core/optmem_max": the
  /// path under /proc/sys of a key that is per namespace); false when it
  /// cannot. Call it from the thread the lab entered.
  bool sysctl(const std::string& key, const std::string& value) const {
    if (!entered_) return false;
    int fd = ::open(("/proc/sys/" + key).c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    ::close(fd);
    return ok;
  }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string error_;
  bool created_ = false;
  bool entered_ = false;
  int home_ = -1;
};

/// A raw AF_PACKET socket that sends whole Ethernet frames out of one
/// interface of the namespace the calling thread is in.
class FrameSender {
 public:
  explicit FrameSender(const std::string& ifname) {
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    index_ = static_cast<int>(::if_nametoindex(ifname.c_str()));
    int big = 8 << 20;
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  }
  ~FrameSender() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0 && index_ > 0; }
  /// Sends one frame; false on failure (errno set).
  bool send(const std::vector<uint8_t>& frame) const {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = index_;
    to.sll_halen = ETH_ALEN;
    for (int attempt = 0; attempt < 100; ++attempt) {
      ssize_t n = ::sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      if (n == static_cast<ssize_t>(frame.size())) return true;
      if (n < 0 && errno != ENOBUFS && errno != EAGAIN) return false;
      ::usleep(1000);
    }
    return false;
  }

 private:
  int fd_ = -1;
  int index_ = 0;
};

}  // namespace sift::live::testing
