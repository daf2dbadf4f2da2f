// Tests for the pcapng reader over hand-made byte buffers: byte orders,
// sections, interfaces and their time-stamp options, the packet block kinds,
// unknown blocks and damaged files.
#include <doctest/doctest.h>

#include "capture_test_util.h"

using namespace sift::capture;
using sift::capture::test::Bytes;
using sift::capture::test::drainMemory;

namespace {

// An interface description block with options, in the order of `b`.
Bytes& idbWithOptions(Bytes& b, uint16_t linktype, uint32_t snaplen, const Bytes& options) {
  return b.endBlock(b.block(1).u16(linktype).u16(0).u32(snaplen).raw(options.data));
}

}  // namespace

TEST_CASE("pcapng: both byte orders, microsecond default") {
  for (bool big : {false, true}) {
    Bytes b(big);
    b.shb().idb(1, 1500).epb(0, 1500000000123456ull, 4, 60, 4);
    auto r = openMemory(b.data, "x.pcapng");
    REQUIRE(r.ok());
    CHECK((*r)->format() == FileFormat::PcapNg);
    CHECK((*r)->linktype() == 1);
    CHECK((*r)->snaplen() == 1500);
    auto d = test::drain(**r);
    CHECK(d.error == "");
    REQUIRE(d.headers.size() == 1);
    CHECK(d.headers[0].seconds == 1500000000);
    CHECK(d.headers[0].nanoseconds == 123456000);
    CHECK(d.headers[0].captureLength == 4);
    CHECK(d.headers[0].wireLength == 60);
    CHECK(d.payloads[0] == std::vector<uint8_t>(4, 0xab));
  }
}

TEST_CASE("pcapng: if_tsresol and if_tsoffset") {
  Bytes b;
  b.shb();
  Bytes nano;
  nano.u16(9).u16(1).u8(9).pad4().u16(0).u16(0);
  idbWithOptions(b, 1, 65535, nano);
  Bytes binary;
  binary.u16(9).u16(1).u8(0x94).pad4();  // 2^-20 s, no end-of-options
  idbWithOptions(b, 1, 65535, binary);
  Bytes offset;
  offset.u16(14).u16(8).u64(100).u16(0).u16(0);
  idbWithOptions(b, 1, 65535, offset);
  Bytes pico;
  pico.u16(9).u16(1).u8(12).pad4();
  idbWithOptions(b, 1, 65535, pico);
  b.epb(0, 1500000000123456789ull, 1, 1, 1);
  b.epb(1, (5ull << 20) + 12345, 1, 1, 1);
  b.epb(2, 1500000000123456ull, 1, 1, 1);
  b.epb(3, 7000000000001999ull, 1, 1, 1);
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 4);
  CHECK(d.headers[0].seconds == 1500000000);
  CHECK(d.headers[0].nanoseconds == 123456789);
  CHECK(d.headers[1].seconds == 5);
  CHECK(d.headers[1].nanoseconds == 11773109);  // 12345 / 2^20 s, rounded down
  CHECK(d.headers[2].seconds == 1500000100);
  CHECK(d.headers[2].nanoseconds == 123456000);
  CHECK(d.headers[3].seconds == 7000);
  CHECK(d.headers[3].nanoseconds == 1);
  for (uint32_t i = 0; i < 4; ++i) CHECK(d.headers[i].interfaceId == i);
}

TEST_CASE("pcapng: bad time-stamp options") {
  auto withOptions = [](const Bytes& options) {
    Bytes b;
    b.shb();
    idbWithOptions(b, 1, 65535, options);
    return drainMemory(b.data, "o.pcapng").error;
  };
  Bytes wrongLength;
  wrongLength.u16(9).u16(2).u8(9).u8(0).pad4();
  CHECK(withOptions(wrongLength) ==
        "o.pcapng: interface description block at offset 28: if_tsresol option has length 2, expected 1");
  Bytes twice;
  twice.u16(9).u16(1).u8(6).pad4().u16(9).u16(1).u8(9).pad4();
  CHECK(withOptions(twice) == "o.pcapng: interface description block at offset 28 has more than one if_tsresol option");
  Bytes tooFine;
  tooFine.u16(9).u16(1).u8(20).pad4();
  CHECK(withOptions(tooFine) ==
        "o.pcapng: interface description block at offset 28: if_tsresol resolution 10^-20 is too fine");
  Bytes offsetLength;
  offsetLength.u16(14).u16(3).u8(1).u8(2).u8(3).pad4();
  CHECK(withOptions(offsetLength) ==
        "o.pcapng: interface description block at offset 28: if_tsoffset option has length 3, expected 8");
  Bytes overrun;
  overrun.u16(2).u16(200);
  CHECK(withOptions(overrun) ==
        "o.pcapng: interface description block at offset 28: option 2 at offset 44 runs past the end of the block");
}

TEST_CASE("pcapng: per-packet link type from the interface") {
  Bytes b;
  b.shb().idb(1).idb(101).idb(113).epb(0, 1, 1, 1, 1).epb(1, 1, 1, 1, 1).epb(2, 1, 1, 1, 1);
  auto r = openMemory(b.data);
  REQUIRE(r.ok());
  CHECK((*r)->linktype() == 1);
  auto d = test::drain(**r);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 3);
  CHECK(d.headers[0].linktype == 1);
  CHECK(d.headers[1].linktype == 12);  // LINKTYPE_RAW is DLT_RAW
  CHECK(d.headers[2].linktype == 113);
}

TEST_CASE("pcapng: simple and obsolete packet blocks") {
  Bytes b;
  b.shb().idb(1, 3);
  b.endBlock(b.block(3).u32(4).fill(4));  // SPB: min(wire, snaplen) bytes
  b.endBlock(b.block(2).u16(0).u16(0).u32(0).u32(1).u32(2).u32(2).fill(2));  // PB
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 2);
  CHECK(d.headers[0].captureLength == 3);
  CHECK(d.headers[0].wireLength == 4);
  CHECK(d.headers[0].seconds == 0);
  CHECK(d.headers[1].captureLength == 2);
  CHECK(d.headers[1].nanoseconds == 1000);
}

TEST_CASE("pcapng: unknown blocks are skipped") {
  Bytes b;
  b.shb();
  b.endBlock(b.block(0x99).fill(5));
  b.idb();
  b.endBlock(b.block(5).fill(12));  // interface statistics
  b.epb(0, 1, 4, 4, 4);
  b.endBlock(b.block(0x40000bad).fill(3));  // custom
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  CHECK(d.headers.size() == 1);
}

TEST_CASE("pcapng: several sections, also of different byte orders") {
  Bytes b;
  b.shb().idb(1).epb(0, 1, 4, 4, 4);
  Bytes be(true);
  be.shb().idb(105).epb(0, 2, 4, 4, 4);
  b.raw(be.data);
  Bytes le;
  le.shb().idb(0).epb(0, 3, 4, 4, 4);
  b.raw(le.data);
  auto d = drainMemory(b.data);
  CHECK(d.error == "");
  REQUIRE(d.headers.size() == 3);
  CHECK(d.headers[1].linktype == 105);
  CHECK(d.headers[1].nanoseconds == 2000);
  CHECK(d.headers[2].linktype == 0);
}

TEST_CASE("pcapng: a new section forgets the old interfaces") {
  Bytes b;
  b.shb().idb().idb().shb().idb().epb(1, 1, 1, 1, 1);
  auto d = drainMemory(b.data, "s.pcapng");
  CHECK(d.error == "s.pcapng: packet block at offset 116 (packet 1) names interface 1, but its section has 1 interface");
}

TEST_CASE("pcapng: no interface, or a packet before it") {
  Bytes none;
  none.shb();
  CHECK(drainMemory(none.data, "n.pcapng").error == "n.pcapng: file has no interface description block");
  Bytes early;
  early.shb().epb(0, 1, 1, 1, 1);
  CHECK(drainMemory(early.data, "e.pcapng").error ==
        "e.pcapng: packet block at offset 28 (packet 1) comes before any interface description block");
}

TEST_CASE("pcapng: captured length checks") {
  Bytes overSnap;
  overSnap.shb().idb(1, 2).epb(0, 1, 4, 4, 4);
  CHECK(drainMemory(overSnap.data, "c.pcapng").error ==
        "c.pcapng: enhanced packet block at offset 48 (packet 1): captured length 4 exceeds the snapshot length 2 of interface 0");
  Bytes overWire;
  overWire.shb().idb().epb(0, 1, 8, 4, 8);
  CHECK(drainMemory(overWire.data).error == "");
  Bytes overBlock;
  overBlock.shb().idb().epb(0, 1, 40, 40, 4);
  CHECK(drainMemory(overBlock.data, "c.pcapng").error ==
        "c.pcapng: enhanced packet block at offset 48 (packet 1) is too short: captured length 40, 4 bytes of data");
  Bytes huge;
  huge.shb().idb(1, 0).epb(0, 1, 0xfffffff0u, 0xfffffff0u, 4);
  CHECK(drainMemory(huge.data).error.find("exceeds the snapshot length 262144") != std::string::npos);
}

TEST_CASE("pcapng: damaged block framing") {
  Bytes good;
  good.shb().idb().epb(0, 1, 4, 4, 4);
  const size_t packetAt = 48;

  std::vector<uint8_t> truncated(good.data.begin(), good.data.end() - 3);
  CHECK(drainMemory(truncated, "t.pcapng").error ==
        "t.pcapng: truncated block at offset 48: header says 36 bytes, 33 remain");

  Bytes tail = good;
  tail.fill(3, 6);
  auto d = drainMemory(tail.data, "t.pcapng");
  CHECK(d.headers.size() == 1);
  CHECK(d.error == "t.pcapng: truncated block header at offset 84: 8 bytes needed, 3 remain");

  Bytes trailer = good;
  trailer.data[trailer.data.size() - 4] = 99;
  CHECK(drainMemory(trailer.data, "t.pcapng").error ==
        "t.pcapng: block at offset 48: length 36 in the header differs from 99 in the trailer");

  Bytes small = good;
  small.data[packetAt + 4] = 8;
  CHECK(drainMemory(small.data, "t.pcapng").error ==
        "t.pcapng: block at offset 48 has a length of 8, less than the minimum of 12");

  Bytes odd = good;
  odd.data[packetAt + 4] = 35;
  CHECK(drainMemory(odd.data, "t.pcapng").error ==
        "t.pcapng: block at offset 48 has a length of 35, not a multiple of 4");

  Bytes huge;
  huge.shb().idb().u32(6).u32(0x7ffffff0u).fill(100);
  CHECK(drainMemory(huge.data, "t.pcapng").error ==
        "t.pcapng: block at offset 48 has a length of 2147483632, more than the maximum of 16777216");

  Bytes shortIdb;
  shortIdb.shb();
  shortIdb.endBlock(shortIdb.block(1).u16(1));
  CHECK(drainMemory(shortIdb.data, "t.pcapng").error ==
        "t.pcapng: interface description block at offset 28 is too short: 4 bytes of body, 8 needed");
}

TEST_CASE("pcapng: section header problems") {
  Bytes bom;
  bom.u32(0x0a0d0d0a).u32(28).u32(0x01020304).fill(16, 0);
  CHECK(drainMemory(bom.data, "b.pcapng").error ==
        "b.pcapng: section header block at offset 0: bad byte-order magic 0x04030201");
  Bytes v11;
  v11.shb(1, 1).idb();
  CHECK(drainMemory(v11.data, "v.pcapng").error ==
        "v.pcapng: section header block at offset 0: unsupported pcapng version '1.1'");
  Bytes v12;
  v12.shb(1, 2).idb().epb(0, 1, 1, 1, 1);
  CHECK(drainMemory(v12.data).error == "");
  Bytes v2;
  v2.shb(2, 0).idb();
  CHECK(drainMemory(v2.data, "v.pcapng").error ==
        "v.pcapng: section header block at offset 0: unsupported pcapng version '2.0'");
  Bytes tiny;
  tiny.u32(0x0a0d0d0a).u32(20).u32(0x1a2b3c4d).fill(8, 0);
  CHECK(drainMemory(tiny.data, "v.pcapng").error ==
        "v.pcapng: section header block at offset 0 has an invalid length of 20");
  std::vector<uint8_t> magicOnly = {0x0a, 0x0d, 0x0d, 0x0a, 0, 0};
  CHECK(drainMemory(magicOnly, "m.pcapng").error ==
        "m.pcapng: truncated block header at offset 0: 8 bytes needed, 6 remain");
}
