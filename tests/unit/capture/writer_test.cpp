// Tests for PcapWriter and PcapNgWriter: round trips through the readers,
// tcpdump reading the output, atomic replacement, and write errors.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "capture_test_util.h"

using namespace sift::capture;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temporary directory, removed at scope exit.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sift-capture-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (fs::path(path) / name).string(); }
  size_t entries() const {
    size_t n = 0;
    for (auto it = fs::directory_iterator(path); it != fs::directory_iterator(); ++it) ++n;
    return n;
  }
  fs::path path;
};

std::vector<uint8_t> payload(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 7);
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

#ifdef SIFT_TCPDUMP
// Runs `tcpdump --count -r FILE` and returns the packet count it printed,
// or -1 when tcpdump failed.
int tcpdumpCount(const std::string& file) {
  std::string command = std::string(SIFT_TCPDUMP) + " --count -r '" + file + "' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::string out;
  for (int c; (c = std::fgetc(pipe)) != EOF;) out += char(c);
  int status = ::pclose(pipe);
  if (status != 0 || out.find(" packet") == std::string::npos) return -1;
  return std::atoi(out.c_str());
}
#endif

}  // namespace

TEST_CASE("PcapWriter: round trip, micro- and nanoseconds") {
  TempDir dir;
  for (bool nano : {false, true}) {
    std::string path = dir.file(nano ? "ns.pcap" : "us.pcap");
    auto w = PcapWriter::create(path, 1, 65535, nano);
    REQUIRE(w.ok());
    for (int i = 0; i < 100; ++i) {
      PacketHeader h;
      h.seconds = 1700000000 + i;
      h.nanoseconds = uint32_t(i * 1001001);
      h.wireLength = uint32_t(60 + i + 10);
      auto data = payload(size_t(60 + i), uint8_t(i));
      REQUIRE(w.value()->write(h, data).ok());
    }
    REQUIRE(w.value()->commit().ok());

    auto r = openFile(path);
    REQUIRE(r.ok());
    CHECK((*r)->linktype() == 1);
    CHECK((*r)->snaplen() == 65535);
    auto d = test::drain(**r);
    CHECK(d.error == "");
    REQUIRE(d.headers.size() == 100);
    for (int i = 0; i < 100; ++i) {
      CHECK(d.headers[i].seconds == 1700000000 + i);
      uint32_t ns = uint32_t(i * 1001001);
      CHECK(d.headers[i].nanoseconds == (nano ? ns : ns / 1000 * 1000));
      CHECK(d.headers[i].captureLength == uint32_t(60 + i));
      CHECK(d.headers[i].wireLength == uint32_t(70 + i));
      CHECK(d.payloads[i] == payload(size_t(60 + i), uint8_t(i)));
    }
  }
}

TEST_CASE("PcapWriter: packets longer than the snapshot length are cut; DLT is stored as LINKTYPE") {
  TempDir dir;
  std::string path = dir.file("cut.pcap");
  auto w = PcapWriter::create(path, 12, 10);  // DLT_RAW
  REQUIRE(w.ok());
  PacketHeader h;
  REQUIRE(w.value()->write(h, payload(50, 1)).ok());
  REQUIRE(w.value()->commit().ok());
  std::string bytes = slurp(path);
  REQUIRE(bytes.size() == 24 + 16 + 10);
  CHECK(uint8_t(bytes[20]) == 101);  // LINKTYPE_RAW
  auto r = openFile(path);
  REQUIRE(r.ok());
  CHECK((*r)->linktype() == 12);
  auto d = test::drain(**r);
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].captureLength == 10);
  CHECK(d.headers[0].wireLength == 50);
}

TEST_CASE("PcapWriter: time stamps that do not fit are errors") {
  TempDir dir;
  auto w = PcapWriter::create(dir.file("t.pcap"), 1, 65535);
  REQUIRE(w.ok());
  PacketHeader h;
  h.seconds = -1;
  auto s = w.value()->write(h, payload(4, 0));
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("time stamp '-1' seconds does not fit a pcap record") != std::string::npos);
  h.seconds = 0x100000000ll;
  CHECK(!w.value()->write(h, payload(4, 0)).ok());
}

TEST_CASE("PcapNgWriter: round trip with two interfaces") {
  TempDir dir;
  std::string path = dir.file("two.pcapng");
  auto w = PcapNgWriter::create(path, 1, 65535);
  REQUIRE(w.ok());
  auto second = w.value()->addInterface(12, 128);  // DLT_RAW
  REQUIRE(second.ok());
  CHECK(*second == 1);
  for (int i = 0; i < 50; ++i) {
    PacketHeader h;
    h.seconds = 1600000000 + i;
    h.nanoseconds = uint32_t(999999999 - i);
    h.interfaceId = uint32_t(i % 2);
    h.wireLength = 0;  // the data's length
    REQUIRE(w.value()->write(h, payload(size_t(i + 1), uint8_t(i))).ok());
  }
  PacketHeader bad;
  bad.interfaceId = 2;
  CHECK(!w.value()->write(bad, payload(1, 0)).ok());
  REQUIRE(w.value()->commit().ok());

  auto r = openFile(path);
  REQUIRE(r.ok());
  CHECK((*r)->format() == FileFormat::PcapNg);
  auto d = test::drain(**r);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 50);
  for (int i = 0; i < 50; ++i) {
    CHECK(d.headers[i].seconds == 1600000000 + i);
    CHECK(d.headers[i].nanoseconds == uint32_t(999999999 - i));
    CHECK(d.headers[i].interfaceId == uint32_t(i % 2));
    CHECK(d.headers[i].linktype == (i % 2 ? 12u : 1u));
    CHECK(d.headers[i].wireLength == uint32_t(i + 1));
    CHECK(d.payloads[i] == payload(size_t(i + 1), uint8_t(i)));
  }
}

#ifdef SIFT_TCPDUMP
TEST_CASE("writers: tcpdump reads the files") {
  TempDir dir;
  std::string pcap = dir.file("td.pcap"), pcapng = dir.file("td.pcapng");
  auto w = PcapWriter::create(pcap, 1, 65535);
  auto n = PcapNgWriter::create(pcapng, 1, 65535);
  REQUIRE(w.ok());
  REQUIRE(n.ok());
  for (int i = 0; i < 37; ++i) {
    PacketHeader h;
    h.seconds = 1700000000 + i;
    auto data = payload(64, uint8_t(i));
    REQUIRE(w.value()->write(h, data).ok());
    REQUIRE(n.value()->write(h, data).ok());
  }
  REQUIRE(w.value()->commit().ok());
  REQUIRE(n.value()->commit().ok());
  // tcpdump may drop privileges; let any user read the files.
  ::chmod(dir.path.c_str(), 0755);
  ::chmod(pcap.c_str(), 0644);
  ::chmod(pcapng.c_str(), 0644);
  CHECK(tcpdumpCount(pcap) == 37);
  CHECK(tcpdumpCount(pcapng) == 37);
}
#endif

TEST_CASE("writers: no file appears without commit; an existing target is untouched") {
  TempDir dir;
  std::string path = dir.file("atomic.pcap");
  {
    auto w = PcapWriter::create(path, 1, 65535);
    REQUIRE(w.ok());
    REQUIRE(w.value()->write(PacketHeader{}, payload(100, 3)).ok());
    CHECK(dir.entries() == 1);  // the temporary
  }
  CHECK(!fs::exists(path));
  CHECK(dir.entries() == 0);

  {
    std::ofstream(path) << "previous contents";
  }
  {
    auto w = PcapNgWriter::create(path, 1, 65535);
    REQUIRE(w.ok());
    REQUIRE(w.value()->write(PacketHeader{}, payload(100, 3)).ok());
    CHECK(slurp(path) == "previous contents");
  }
  CHECK(slurp(path) == "previous contents");
  CHECK(dir.entries() == 1);

  auto w = PcapWriter::create(path, 1, 65535);
  REQUIRE(w.ok());
  REQUIRE(w.value()->write(PacketHeader{}, payload(100, 3)).ok());
  CHECK(slurp(path) == "previous contents");
  REQUIRE(w.value()->commit().ok());
  CHECK(slurp(path).size() == 24 + 16 + 100);
  CHECK(dir.entries() == 1);
  CHECK(!w.value()->commit().ok());
  auto again = w.value()->write(PacketHeader{}, payload(1, 0));
  REQUIRE(!again.ok());
  CHECK(again.error().message.find("already committed") != std::string::npos);
}

TEST_CASE("writers: unwritable places are errors") {
  auto missing = PcapWriter::create("/nonexistent-sift-dir/x.pcap", 1, 65535);
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("cannot create a temporary file in '/nonexistent-sift-dir'") == 0);
  CHECK(missing.error().message.find("no such file or directory") != std::string::npos);

  TempDir dir;
  {
    std::ofstream(dir.file("plain")) << "x";
  }
  auto underFile = PcapNgWriter::create(dir.file("plain") + "/x.pcapng", 1, 65535);
  REQUIRE(!underFile.ok());
  CHECK(underFile.error().message.find("not a directory") != std::string::npos);

  auto isDir = PcapWriter::create(dir.path.string(), 1, 65535);
  REQUIRE(!isDir.ok());
  CHECK(isDir.error().message.find("is a directory") != std::string::npos);
}

TEST_CASE("writers: a full disk is an error and leaves no file") {
  // RLIMIT_FSIZE makes write() fail with EFBIG, standing in for ENOSPC.
  TempDir dir;
  std::string path = dir.file("full.pcap");
  struct rlimit old;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 100000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);

  sift::Status failure = sift::okStatus();
  {
    auto w = PcapWriter::create(path, 1, 65535);
    REQUIRE(w.ok());
    for (int i = 0; i < 1000 && failure.ok(); ++i) failure = w.value()->write(PacketHeader{}, payload(1000, 1));
    if (failure.ok()) failure = w.value()->commit();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, oldHandler);

  REQUIRE(!failure.ok());
  CHECK(failure.error().message.find("cannot write '" + path + "': file too large") == 0);
  CHECK(!fs::exists(path));
  CHECK(dir.entries() == 0);
}
