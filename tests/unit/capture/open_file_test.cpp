// Tests for openFile: files are read a window at a time, so big files, big
// records and pipes work, and a damaged file gives the same packets and the
// same message as the same bytes in memory.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "capture_test_util.h"

using namespace sift::capture;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "sift-open-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
  fs::path path;
};

void writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

test::Drained drainFile(const std::string& path) {
  auto r = openFile(path);
  if (!r) return test::Drained{{}, {}, r.error().message};
  return test::drain(**r);
}

}  // namespace

TEST_CASE("openFile: 10,000 packets and records larger than the read window") {
  ScratchDir dir;
  test::Bytes many;
  many.pcapHeader();
  for (uint32_t i = 0; i < 10000; ++i) many.pcapRecord(i, 0, 60 + i % 900, 1514, 60 + i % 900);
  writeBytes(dir.file("many.pcap"), many.data);
  auto d = drainFile(dir.file("many.pcap"));
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 10000);
  CHECK(d.headers[9999].captureLength == 60 + 9999 % 900);

  test::Bytes big;
  big.pcapHeader(0xa1b2c3d4, 0);
  for (uint32_t i = 0; i < 5; ++i) big.pcapRecord(i, 0, 200000, 200000, 200000);
  writeBytes(dir.file("big.pcap"), big.data);
  d = drainFile(dir.file("big.pcap"));
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 5);
  CHECK(d.payloads[4].size() == 200000);

  test::Bytes ng;
  ng.shb().idb(1, 0);
  for (uint32_t i = 0; i < 3; ++i) ng.epb(0, i, 150000, 150000, 150000);
  writeBytes(dir.file("big.pcapng"), ng.data);
  d = drainFile(dir.file("big.pcapng"));
  CHECK(d.error == "");
  CHECK(d.headers.size() == 3);
}

TEST_CASE("openFile: every truncation reads like the same bytes in memory") {
  ScratchDir dir;
  test::Bytes pcap;
  pcap.pcapHeader().pcapRecord(1, 2, 70, 70, 70).pcapRecord(3, 4, 5, 5, 5);
  test::Bytes ng;
  ng.shb().idb().epb(0, 1, 70, 70, 70).epb(0, 2, 5, 5, 5);
  for (const auto* file : {&pcap, &ng}) {
    for (size_t n = 0; n <= file->data.size(); ++n) {
      std::vector<uint8_t> prefix(file->data.begin(), file->data.begin() + n);
      std::string path = dir.file("prefix");
      writeBytes(path, prefix);
      auto fromFile = drainFile(path);
      auto fromMemory = test::drainMemory(prefix, path);
      INFO(n << " bytes");
      CHECK(fromFile.error == fromMemory.error);
      CHECK(fromFile.headers.size() == fromMemory.headers.size());
      CHECK(fromFile.payloads == fromMemory.payloads);
    }
  }
}

TEST_CASE("openFile: a pipe is read as it arrives") {
  ScratchDir dir;
  std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  test::Bytes ng;
  ng.shb().idb(1, 0);
  for (uint32_t i = 0; i < 2000; ++i) ng.epb(0, i, 100, 100, 100);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    // Small pieces, so records straddle reads.
    for (size_t at = 0; at < ng.data.size(); at += 777) {
      size_t n = std::min<size_t>(777, ng.data.size() - at);
      out.write(reinterpret_cast<const char*>(ng.data.data() + at), std::streamsize(n));
      out.flush();
    }
  });
  auto d = drainFile(fifo);
  writer.join();
  CHECK(d.error == "");
  CHECK(d.headers.size() == 2000);
}

TEST_CASE("openFile: files that cannot be read") {
  CHECK(drainFile("/nonexistent-sift-file.pcap").error ==
        "cannot open '/nonexistent-sift-file.pcap': no such file or directory");
  ScratchDir dir;
  CHECK(drainFile(dir.path.string()).error == "cannot read '" + dir.path.string() + "': is a directory");
  CHECK(drainFile("/dev/null").error == "/dev/null: file of 0 bytes is too short for a capture file header");
  CHECK(drainFile("/dev/zero").error ==
        "/dev/zero: not a pcap or pcapng file: unknown magic number 0x00000000 at offset 0");
}
