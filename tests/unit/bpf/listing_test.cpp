// Tests for the listing formats with fixed expectations (the same texts
// tcpdump 4.99.3 / libpcap 1.10.3 print; oracle_test.cpp checks against
// the installed libpcap itself).
#include <doctest/doctest.h>

#include "sift/bpf.h"

using namespace sift::bpf;

TEST_CASE("imageLine operands") {
  CHECK(imageLine({0x28, 0, 0, 12}, 0) == "(000) ldh      [12]");
  CHECK(imageLine({0x15, 0, 3, 0x800}, 1) == "(001) jeq      #0x800           jt 2\tjf 5");
  CHECK(imageLine({0x1d, 1, 2, 0}, 4) == "(004) jeq      x                jt 6\tjf 7");
  CHECK(imageLine({0x06, 0, 0, 262144}, 10) == "(010) ret      #262144");
  CHECK(imageLine({0x06, 0, 0, 0xffffffffu}, 10) == "(010) ret      #-1");
  CHECK(imageLine({0x16, 0, 0, 0}, 2) == "(002) ret      ");
  CHECK(imageLine({0x07, 0, 0, 0}, 2) == "(002) tax      ");
  CHECK(imageLine({0x87, 0, 0, 0}, 2) == "(002) txa      ");
  CHECK(imageLine({0x84, 0, 0, 0}, 2) == "(002) neg      ");
  CHECK(imageLine({0x00, 0, 0, 0xfffff000u}, 3) == "(003) ld       #0xfffff000");
  CHECK(imageLine({0x01, 0, 0, 4}, 3) == "(003) ldx      #0x4");
  CHECK(imageLine({0x80, 0, 0, 0}, 3) == "(003) ld       #pktlen");
  CHECK(imageLine({0x81, 0, 0, 0}, 3) == "(003) unimp    0x81");  // 1.10.3 has no ldx #pktlen
  CHECK(imageLine({0x0e, 0, 0, 0}, 3) == "(003) unimp    0xe");
  CHECK(imageLine({0x08, 0, 0, 0}, 3) == "(003) unimp    0x8");
  CHECK(imageLine({0x1234, 0, 0, 0}, 3) == "(003) unimp    0x1234");
  CHECK(imageLine({0x50, 0, 0, 14}, 3) == "(003) ldb      [x + 14]");
  CHECK(imageLine({0x40, 0, 0, 0xfffff000u}, 3) == "(003) ld       [x + -4096]");
  CHECK(imageLine({0xb1, 0, 0, 14}, 3) == "(003) ldxb     4*([14]&0xf)");
  CHECK(imageLine({0x60, 0, 0, 1}, 3) == "(003) ld       M[1]");
  CHECK(imageLine({0x61, 0, 0, 15}, 3) == "(003) ldx      M[15]");
  CHECK(imageLine({0x02, 0, 0, 0}, 3) == "(003) st       M[0]");
  CHECK(imageLine({0x03, 0, 0, 2}, 3) == "(003) stx      M[2]");
  CHECK(imageLine({0x54, 0, 0, 0x1fff}, 3) == "(003) and      #0x1fff");
  CHECK(imageLine({0x44, 0, 0, 0}, 3) == "(003) or       #0x0");
  CHECK(imageLine({0xa4, 0, 0, 255}, 3) == "(003) xor      #0xff");
  CHECK(imageLine({0x64, 0, 0, 2}, 3) == "(003) lsh      #2");
  CHECK(imageLine({0x94, 0, 0, 0xffffffffu}, 3) == "(003) mod      #-1");
  CHECK(imageLine({0x4c, 0, 0, 0}, 3) == "(003) or       x");
  CHECK(imageLine({0x05, 0, 0, 5}, 3) == "(003) ja       9");
  CHECK(imageLine({0x05, 0, 0, 0xffffffffu}, 3) == "(003) ja       3");
  CHECK(imageLine({0x28, 0, 0, 0xfffff02cu}, 0) == "(000) ldh      [vlan_tci]");
  CHECK(imageLine({0x30, 0, 0, 0xfffff030u}, 0) == "(000) ldb      [vlanp]");
  CHECK(imageLine({0x20, 0, 0, 0xfffff040u}, 0) == "(000) ld       [-4032]");
  CHECK(imageLine({0x15, 255, 255, 0}, 99999) == "(99999) jeq      #0x0             jt 100255\tjf 100255");
}

TEST_CASE("listing formats") {
  Program p{{{0x28, 0, 0, 12}, {0x15, 0, 1, 0x800}, {0x06, 0, 0, 262144}, {0x06, 0, 0, 0}}};
  CHECK(listing(p, ListingFormat::Image) ==
        "(000) ldh      [12]\n"
        "(001) jeq      #0x800           jt 2\tjf 3\n"
        "(002) ret      #262144\n"
        "(003) ret      #0\n");
  CHECK(listing(p, ListingFormat::CArray) ==
        "{ 0x28, 0, 0, 0x0000000c },\n"
        "{ 0x15, 0, 1, 0x00000800 },\n"
        "{ 0x6, 0, 0, 0x00040000 },\n"
        "{ 0x6, 0, 0, 0x00000000 },\n");
  CHECK(listing(p, ListingFormat::Decimal) ==
        "4\n"
        "40 0 0 12\n"
        "21 0 1 2048\n"
        "6 0 0 262144\n"
        "6 0 0 0\n");
  CHECK(listing(Program{}, ListingFormat::Image).empty());
  CHECK(listing(Program{}, ListingFormat::Decimal) == "0\n");
}
