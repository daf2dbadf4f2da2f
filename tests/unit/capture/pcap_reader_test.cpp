// Tests for the pcap reader over hand-made byte buffers: byte orders, time
// stamp precisions, link-type bits, old length orders and damaged files.
#include <doctest/doctest.h>

#include "capture_test_util.h"

using namespace sift::capture;
using sift::capture::test::Bytes;
using sift::capture::test::drainMemory;

TEST_CASE("pcap: little and big endian, microseconds") {
  for (bool big : {false, true}) {
    Bytes b(big);
    b.pcapHeader(0xa1b2c3d4, 1500, 1).pcapRecord(1700000000, 123456, 4, 60, 4).pcapRecord(5, 7, 2, 2, 2);
    auto r = openMemory(b.data, "x.pcap");
    REQUIRE(r.ok());
    CHECK((*r)->format() == FileFormat::Pcap);
    CHECK((*r)->linktype() == 1);
    CHECK((*r)->snaplen() == 1500);
    auto d = test::drain(**r);
    CHECK(d.error == "");
    REQUIRE(d.headers.size() == 2);
    CHECK(d.headers[0].seconds == 1700000000);
    CHECK(d.headers[0].nanoseconds == 123456000);
    CHECK(d.headers[0].captureLength == 4);
    CHECK(d.headers[0].wireLength == 60);
    CHECK(d.payloads[0] == std::vector<uint8_t>(4, 0xab));
    CHECK(d.headers[1].nanoseconds == 7000);
  }
}

TEST_CASE("pcap: nanosecond magic in both byte orders") {
  for (bool big : {false, true}) {
    Bytes b(big);
    b.pcapHeader(0xa1b23c4d).pcapRecord(10, 999999999, 1, 1, 1);
    auto d = drainMemory(b.data);
    CHECK(d.error == "");
    REQUIRE(d.headers.size() == 1);
    CHECK(d.headers[0].seconds == 10);
    CHECK(d.headers[0].nanoseconds == 999999999);
  }
}

TEST_CASE("pcap: a fraction of a second or more carries into the seconds") {
  Bytes b;
  b.pcapHeader().pcapRecord(1, 3000000, 1, 1, 1);
  auto d = drainMemory(b.data);
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].seconds == 4);
  CHECK(d.headers[0].nanoseconds == 0);
}

TEST_CASE("pcap: seconds are unsigned") {
  Bytes b;
  b.pcapHeader().pcapRecord(0xfffffff0u, 0, 1, 1, 1);
  auto d = drainMemory(b.data);
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].seconds == 0xfffffff0ll);
}

TEST_CASE("pcap: upper bits of the link type field are masked off") {
  Bytes b;
  b.pcapHeader(0xa1b2c3d4, 65535, 0x14000001u).pcapRecord(1, 1, 1, 1, 1);  // FCS length 1 * 16 bits
  auto r = openMemory(b.data);
  REQUIRE(r.ok());
  CHECK((*r)->linktype() == 1);
  Bytes c;
  c.pcapHeader(0xa1b2c3d4, 65535, 0xffffffffu);
  auto s = openMemory(c.data);
  REQUIRE(s.ok());
  CHECK((*s)->linktype() == 0x03ffffffu);
}

TEST_CASE("pcap: LINKTYPE numbers become DLT numbers") {
  Bytes b;
  b.pcapHeader(0xa1b2c3d4, 65535, 101).pcapRecord(1, 1, 1, 1, 1);  // LINKTYPE_RAW
  auto d = drainMemory(b.data);
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].linktype == 12);  // DLT_RAW
}

TEST_CASE("pcap: snapshot length zero means the link type's maximum") {
  Bytes b;
  b.pcapHeader(0xa1b2c3d4, 0, 1);
  auto r = openMemory(b.data);
  REQUIRE(r.ok());
  CHECK((*r)->snaplen() == 262144);
  Bytes c;
  c.pcapHeader(0xa1b2c3d4, 0x80000000u, 249);  // USBPCAP, negative as a signed number
  auto s = openMemory(c.data);
  REQUIRE(s.ok());
  CHECK((*s)->snaplen() == 1024 * 1024);
}

TEST_CASE("pcap: captured length above wire length is tolerated") {
  Bytes b;
  b.pcapHeader().pcapRecord(1, 2, 10, 5, 10);
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].captureLength == 10);
  CHECK(d.headers[0].wireLength == 5);
}

TEST_CASE("pcap: a record above the snapshot length is cut to it") {
  Bytes b;
  b.pcapHeader(0xa1b2c3d4, 20).pcapRecord(1, 2, 30, 30, 30).pcapRecord(1, 3, 4, 4, 4);
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 2);
  CHECK(d.headers[0].captureLength == 20);
  CHECK(d.payloads[0].size() == 20);
  CHECK(d.headers[0].wireLength == 30);
  CHECK(d.headers[1].captureLength == 4);
}

TEST_CASE("pcap: absurd captured lengths are errors, not allocations") {
  Bytes b;
  b.pcapHeader(0xa1b2c3d4, 20).pcapRecord(1, 2, 300000, 300000, 30);
  auto d = drainMemory(b.data, "big.pcap");
  CHECK(d.headers.empty());
  CHECK(d.error == "big.pcap: packet record at offset 24 (packet 1): captured length 300000 exceeds the snapshot length 20");

  Bytes c;
  c.pcapHeader(0xa1b2c3d4, 300000).pcapRecord(1, 2, 270000, 270000, 0);
  d = drainMemory(c.data, "c.pcap");
  CHECK(d.error ==
        "c.pcap: packet record at offset 24 (packet 1): captured length 270000 exceeds the maximum of 262144 for link type 1");

  Bytes e;
  e.pcapHeader().pcapRecord(1, 2, 0xffffffffu, 0xffffffffu, 0);
  d = drainMemory(e.data);
  CHECK(d.error.find("captured length 4294967295 exceeds") != std::string::npos);
}

TEST_CASE("pcap: truncated record data") {
  Bytes b;
  b.pcapHeader().pcapRecord(1, 2, 4, 4, 4).pcapRecord(1, 2, 1514, 1514, 200);
  auto d = drainMemory(b.data, "t.pcap");
  CHECK(d.headers.size() == 1);
  CHECK(d.error == "t.pcap: truncated packet record at offset 44 (packet 2): header says 1514 bytes, 200 remain");
}

TEST_CASE("pcap: truncated record header") {
  Bytes b;
  b.pcapHeader().pcapRecord(1, 2, 4, 4, 4).fill(3);
  auto d = drainMemory(b.data, "t.pcap");
  CHECK(d.headers.size() == 1);
  CHECK(d.error == "t.pcap: truncated packet record header at offset 44 (packet 2): 16 bytes needed, 3 remain");
}

TEST_CASE("pcap: errors are sticky") {
  Bytes b;
  b.pcapHeader().fill(3);
  auto r = openMemory(b.data);
  REQUIRE(r.ok());
  Packet p;
  auto first = (*r)->next(p);
  auto second = (*r)->next(p);
  REQUIRE(!first.ok());
  REQUIRE(!second.ok());
  CHECK(first.error().message == second.error().message);
}

TEST_CASE("pcap: header only is an empty, valid file") {
  Bytes b;
  b.pcapHeader();
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  CHECK(d.headers.empty());
}

TEST_CASE("pcap: truncated file header, empty file, bad magic") {
  Bytes b;
  b.pcapHeader();
  std::vector<uint8_t> shortHeader(b.data.begin(), b.data.begin() + 10);
  CHECK(drainMemory(shortHeader, "s.pcap").error ==
        "s.pcap: truncated pcap file header: 24 bytes needed, 10 present");
  CHECK(drainMemory({}, "e.pcap").error == "e.pcap: file of 0 bytes is too short for a capture file header");
  std::vector<uint8_t> junk = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  CHECK(drainMemory(junk, "j.pcap").error ==
        "j.pcap: not a pcap or pcapng file: unknown magic number 0x68656c6c at offset 0");
}

TEST_CASE("pcap: versions") {
  Bytes v1;
  v1.pcapHeader(0xa1b2c3d4, 65535, 1, 1, 0);
  CHECK(drainMemory(v1.data, "v.pcap").error == "v.pcap: unsupported pcap version '1.0' at offset 4");
  Bytes v25;
  v25.pcapHeader(0xa1b2c3d4, 65535, 1, 2, 5);
  CHECK(drainMemory(v25.data, "v.pcap").error == "v.pcap: unsupported pcap version '2.5' at offset 4");

  // Before 2.3 the two lengths were stored the other way round.
  Bytes v22;
  v22.pcapHeader(0xa1b2c3d4, 65535, 1, 2, 2).pcapRecord(1, 2, 4, 10, 10);
  auto d = drainMemory(v22.data);
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].captureLength == 10);
  CHECK(d.headers[0].wireLength == 4);

  // In 2.3 either order occurs; the smaller one is the captured length.
  Bytes v23;
  v23.pcapHeader(0xa1b2c3d4, 65535, 1, 2, 3).pcapRecord(1, 2, 10, 4, 4);
  d = drainMemory(v23.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 1);
  CHECK(d.headers[0].captureLength == 4);
  CHECK(d.headers[0].wireLength == 10);
}

TEST_CASE("pcap: the modified format has 24-byte record headers") {
  Bytes b;
  b.pcapHeader(0xa1b2cd34).u32(1).u32(2).u32(4).u32(4).fill(8, 0).fill(4, 0x11);
  auto r = openMemory(b.data);
  REQUIRE(r.ok());
  CHECK((*r)->snaplen() == 65535 + 14);
  auto d = test::drain(**r);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 1);
  CHECK(d.payloads[0] == std::vector<uint8_t>(4, 0x11));
}

TEST_CASE("pcap: reading 10,000 packets") {
  Bytes b;
  b.pcapHeader();
  for (int i = 0; i < 10000; ++i) b.pcapRecord(uint32_t(i), 0, 60, 60, 60);
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  CHECK(d.headers.size() == 10000);
  CHECK(d.headers.back().seconds == 9999);
}
