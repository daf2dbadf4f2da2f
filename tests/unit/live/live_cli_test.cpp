// `sift -i` and `sift -D` end to end: the sift binary runs inside a test
// namespace (a child of the thread that entered it), captures frames sent
// on the veth pair, and prints or writes them. Needs root.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "sift/capture.h"
#include "unit/live/netns_lab.h"

#ifdef SIFT_BINARY

using sift::live::testing::FrameSender;
using sift::live::testing::VethLab;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A running sift with its output going to files.
class SiftProcess {
 public:
  explicit SiftProcess(std::vector<std::string> args) {
    auto dir = std::filesystem::temp_directory_path();
    static int n = 0;
    std::string stem = (dir / ("sift-live-cli-" + std::to_string(::getpid()) + "-" + std::to_string(++n))).string();
    out_ = stem + ".out";
    err_ = stem + ".err";
    args.insert(args.begin(), SIFT_BINARY);
    pid_ = ::fork();
    if (pid_ == 0) {
      std::freopen(out_.c_str(), "w", stdout);
      std::freopen(err_.c_str(), "w", stderr);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::signal(SIGTERM, SIG_DFL);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~SiftProcess() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove(out_);
    std::filesystem::remove(err_);
  }
  /// Waits up to `seconds` for the exit status; -1 when it did not end.
  int wait(int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        done_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  void signal(int s) { ::kill(pid_, s); }
  std::string out() const { return slurp(out_); }
  std::string err() const { return slurp(err_); }
  // True once sift says it is listening (the filter is in place).
  bool waitListening(int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (err().find("listening on") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  std::string out_, err_;
};

std::vector<uint8_t> udpFrame(uint16_t dstPort) {
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,  // Ethernet
                            0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0,           // IPv4
                            10, 0, 0, 1, 10, 0, 0, 2,
                            0x30, 0x39, static_cast<uint8_t>(dstPort >> 8), static_cast<uint8_t>(dstPort), 0, 26, 0, 0};
  f.resize(60, 'x');
  return f;
}

}  // namespace

TEST_CASE("sift -i prints the matching packets and tcpdump's counts") {
  if (!sift::live::testing::isRoot()) {
    MESSAGE("skipped: live capture tests need root (run them as root)");
    return;
  }
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  SiftProcess sift({"-i", "sb", "-c", "3", "-n", "udp", "port", "53"});
  REQUIRE(sift.waitListening(10));
  for (int i = 0; i < 8; ++i) REQUIRE(sender.send(udpFrame(i % 2 ? 80 : 53)));
  int status = sift.wait(10);
  CHECK(status == 0);
  std::string out = sift.out();
  size_t lines = 0;
  for (char c : out) lines += c == '\n';
  CHECK(lines == 3);
  CHECK(out.find("IP 10.0.0.1.12345 > 10.0.0.2.53: UDP, length 18") != std::string::npos);
  CHECK(out.find(".80:") == std::string::npos);
  std::string err = sift.err();
  CHECK(err.find("listening on sb, link-type EN10MB (Ethernet), snapshot length 262144 bytes") == 0);
  CHECK(err.find("3 packets captured\n") != std::string::npos);
  CHECK(err.find("packets received by filter\n") != std::string::npos);
  CHECK(err.find("0 packets dropped by kernel\n") != std::string::npos);
}

// The packets of a pcap file sift wrote: each must be one of the port 53
// frames. Returns the count, or -1 when the file is unreadable.
long countPort53(const std::string& path) {
  auto reader = sift::capture::openFile(path);
  if (!reader) return -1;
  CHECK((*reader)->linktype() == 1u);
  sift::capture::Packet p;
  long n = 0;
  while (true) {
    auto r = (*reader)->next(p);
    if (!r) return -1;
    if (!*r) break;
    ++n;
    CHECK(p.data.size() == 60);
    CHECK(p.data[37] == 53);
  }
  return n;
}

TEST_CASE("sift -i -w writes a complete file, also when stopped by a signal") {
  if (!sift::live::testing::isRoot()) {
    MESSAGE("skipped: live capture tests need root (run them as root)");
    return;
  }
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  FrameSender sender(VethLab::kSender);
  REQUIRE(sender.ok());
  std::string path = (std::filesystem::temp_directory_path() / ("sift-live-cli-" + std::to_string(::getpid()) + ".pcap")).string();
  std::filesystem::remove(path);
  {
    SiftProcess sift({"-i", "sb", "-c", "10", "-w", path, "udp port 53"});
    REQUIRE(sift.waitListening(10));
    for (int i = 0; i < 30; ++i) REQUIRE(sender.send(udpFrame(i % 2 ? 80 : 53)));
    CHECK(sift.wait(10) == 0);
    CHECK(sift.err().find("10 packets captured\n") != std::string::npos);
    CHECK(countPort53(path) == 10);
    std::filesystem::remove(path);
  }
  {
    SiftProcess sift({"-i", "sb", "-w", path, "udp port 53"});
    REQUIRE(sift.waitListening(10));
    for (int i = 0; i < 20; ++i) REQUIRE(sender.send(udpFrame(i % 2 ? 80 : 53)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sift.signal(SIGTERM);  // as Ctrl-C: a clean stop
    CHECK(sift.wait(10) == 0);
    std::string err = sift.err();
    long captured = -1;
    if (auto at = err.find(" packets captured"); at != std::string::npos) {
      auto begin = err.rfind('\n', at);
      captured = std::stol(err.substr(begin == std::string::npos ? 0 : begin + 1, at));
    }
    long inFile = countPort53(path);
    CHECK(inFile == captured);
    CHECK(inFile <= 10);
    CHECK(inFile >= 0);
    std::filesystem::remove(path);
  }
}

TEST_CASE("sift -i names a missing interface; sift -D lists the veth pair") {
  if (!sift::live::testing::isRoot()) {
    MESSAGE("skipped: live capture tests need root (run them as root)");
    return;
  }
  VethLab lab;
  REQUIRE_MESSAGE(lab.ok(), lab.error());
  {
    SiftProcess sift({"-i", "nosuch0", "ip"});
    int status = sift.wait(10);
    CHECK(status != 0);
    CHECK(status != -1);
    CHECK(sift.err() == "sift: no such interface 'nosuch0'\n");
  }
  {
    SiftProcess sift({"-D"});
    CHECK(sift.wait(10) == 0);
    std::string out = sift.out();
    CHECK(out.find(".sa [Up, Running]") != std::string::npos);
    CHECK(out.find(".sb [Up, Running]") != std::string::npos);
    CHECK(out.find(".any ") != std::string::npos);
  }
}

#endif  // SIFT_BINARY
