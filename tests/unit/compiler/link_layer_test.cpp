// The link-layer table and the linktype name lookups.
#include <doctest/doctest.h>

#include "compiler/link_layer.h"
#include "sift/linktype.h"

using namespace sift;
using namespace sift::compiler;

TEST_CASE("the table is sorted and every row is found by its DLT") {
  uint32_t previous = 0;
  bool first = true;
  for (const LinkLayer& row : linkLayers()) {
    if (!first) CHECK(row.dlt > previous);
    first = false;
    previous = row.dlt;
    CHECK(findLinkLayer(row.dlt) == &row);
    CHECK(linktypeName(row.dlt) == row.name);
  }
  CHECK(linkLayers().size() == 9);
}

TEST_CASE("rows hold the offsets libpcap uses") {
  const LinkLayer* en = findLinkLayer(1);
  REQUIRE(en);
  CHECK(en->typeField == TypeField::EtherType);
  CHECK(en->typeOffset == 12);
  CHECK(en->netOffset == 14);
  REQUIRE(en->mac);
  CHECK(en->mac->dstOffset == 0);
  CHECK(en->mac->srcOffset == 6);
  CHECK(findLinkLayer(113)->netOffset == 16);
  CHECK(findLinkLayer(276)->netOffset == 20);
  CHECK(findLinkLayer(9)->typeOffset == 2);
  CHECK(findLinkLayer(0)->typeField == TypeField::AfHostOrder);
  CHECK(findLinkLayer(108)->typeField == TypeField::AfNetworkOrder);
  CHECK(findLinkLayer(228)->fixedEtherType == 0x0800);
  CHECK(findLinkLayer(229)->fixedEtherType == 0x86dd);
  CHECK_FALSE(findLinkLayer(0)->mac);
}

TEST_CASE("LINKTYPE_RAW 101 is DLT_RAW; unknown DLTs have no row") {
  CHECK(findLinkLayer(101) == findLinkLayer(12));
  CHECK(findLinkLayer(14) == nullptr);
  CHECK(findLinkLayer(10) == nullptr);  // FDDI: next issue
  CHECK(findLinkLayer(100000) == nullptr);
}

TEST_CASE("PPP protocol numbers for EtherTypes") {
  CHECK(pppProtocolFor(0x0800) == 0x21);
  CHECK(pppProtocolFor(0x86dd) == 0x57);
  CHECK(pppProtocolFor(0x6003) == 0x27);
  CHECK(pppProtocolFor(0x809b) == 0x29);
  CHECK(pppProtocolFor(0x0806) == 0x0806);
  CHECK(pppProtocolFor(0x8137) == 0x8137);
}

TEST_CASE("linktype names: case, DLT_ prefix and numbers") {
  CHECK(parseLinktype("EN10MB") == 1u);
  CHECK(parseLinktype("en10mb") == 1u);
  CHECK(parseLinktype("DLT_EN10MB") == 1u);
  CHECK(parseLinktype("dlt_linux_sll2") == 276u);
  CHECK(parseLinktype("RAW") == 12u);
  CHECK(parseLinktype("1") == 1u);
  CHECK(parseLinktype("0x71") == 113u);
  CHECK(parseLinktype("276") == 276u);
  CHECK_FALSE(parseLinktype(""));
  CHECK_FALSE(parseLinktype("DLT_"));
  CHECK_FALSE(parseLinktype("NOSUCH"));
  CHECK_FALSE(parseLinktype("12x"));
  CHECK_FALSE(parseLinktype("99999999999"));
  CHECK(linktypeName(1) == "EN10MB");
  CHECK(linktypeName(9999) == "9999");
  CHECK(knownLinktypes().size() >= 150);
}
