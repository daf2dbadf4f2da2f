// The link-layer table and the linktype name lookups.
#include <doctest/doctest.h>

#include <optional>

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
  CHECK(linkLayers().size() >= 60);
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
  CHECK(findLinkLayer(2) == nullptr);  // EN3MB: libpcap has no layout for it
  CHECK(findLinkLayer(100000) == nullptr);
  CHECK(findLinkLayer(290) == nullptr);
}

TEST_CASE("libpcap's matching range: link types without a row allow byte access only") {
  for (uint32_t dlt : {147u, 189u, 289u}) {
    CAPTURE(dlt);
    const LinkLayer* l = findLinkLayer(dlt);
    REQUIRE(l);
    CHECK(l->dlt == dlt);
    CHECK(l->typeField == TypeField::NotImplemented);
    CHECK_FALSE(hasProtocolTests(*l));
    CHECK(linkCapabilities(*l) == "link[] len");
  }
  CHECK(findLinkLayer(189)->name == "USB_LINUX");
  // Handled by libpcap with variable-length headers: no row yet, refused.
  // The 802.11 family has its rows.
  for (uint32_t dlt : {105u, 119u, 127u, 163u, 192u}) {
    CAPTURE(dlt);
    CHECK_FALSE(awaitingRow(dlt));
    REQUIRE(findLinkLayer(dlt));
    CHECK(findLinkLayer(dlt)->ieee80211);
    CHECK(bool(findLinkLayer(dlt)->payloadOffset));
    CHECK(findLinkLayer(dlt)->frameControlKeywords == (dlt != 192));
    CHECK(bool(findLinkLayer(dlt)->frameCheck) == (dlt == 192));
    CHECK(bool(findLinkLayer(dlt)->prefixLength) == (dlt != 105));
  }
  CHECK_FALSE(awaitingRow(1));
  CHECK_FALSE(awaitingRow(117));  // PFLOG has its row
}

TEST_CASE("LLC links: the SAP at the LLC header, the SNAP type 6 bytes on") {
  struct Expect {
    uint32_t dlt, llc, net;
    std::optional<MacLayout> mac;
  };
  const Expect rows[] = {{6, 14, 22, MacLayout{2, 8}},   {10, 13, 21, MacLayout{1, 7}}, {11, 0, 8, std::nullopt},
                         {19, 0, 8, std::nullopt},       {122, 16, 24, MacLayout{2, 10}},
                         {123, 4, 12, std::nullopt}};
  for (const Expect& e : rows) {
    CAPTURE(e.dlt);
    const LinkLayer* l = findLinkLayer(e.dlt);
    REQUIRE(l);
    CHECK(l->llcOffset == e.llc);
    CHECK(l->typeOffset == e.llc + 6);
    CHECK(l->netOffset == e.net);
    REQUIRE(l->mac.has_value() == e.mac.has_value());
    if (e.mac) {
      CHECK(l->mac->dstOffset == e.mac->dstOffset);
      CHECK(l->mac->srcOffset == e.mac->srcOffset);
    }
  }
  CHECK(findLinkLayer(6)->typeField == TypeField::LlcSnap);
  CHECK(findLinkLayer(123)->typeField == TypeField::Hook);  // SunATM checks the traffic type first
}

TEST_CASE("coded, cookie and pseudo-header rows") {
  const LinkLayer* arc = findLinkLayer(7);
  REQUIRE(arc);
  CHECK(arc->typeField == TypeField::Codes);
  CHECK(arc->typeOffset == 2);
  CHECK(arc->netOffset == 6);
  REQUIRE(arc->mac8);
  CHECK(arc->mac8->srcOffset == 0);
  CHECK(arc->mac8->dstOffset == 1);
  CHECK(findLinkLayer(129)->typeOffset == 4);
  CHECK(findLinkLayer(129)->netOffset == 8);
  CHECK(linkCapabilities(*arc) == "ip arp rarp ip6 atalk link host $xx broadcast multicast link[] len");
  CHECK(!arc->vlanTags);
  CHECK(arc->mplsType == 0);

  const LinkLayer* jun = findLinkLayer(178);  // JUNIPER_ETHER
  REQUIRE(jun);
  CHECK(jun->typeField == TypeField::Magic);
  CHECK(jun->magic.value == 0x4d474300);
  CHECK(jun->magic.mask == 0xffffff00);
  CHECK(jun->netOffset == 32);
  CHECK(findLinkLayer(132)->netOffset == 0xfffffffeu);  // libpcap's unset offset plus 0... minus 2

  const LinkLayer* na = findLinkLayer(241);  // NETANALYZER_TRANSPARENT
  REQUIRE(na);
  CHECK(na->linkHeaderOffset == 12);  // Ethernet from there on
  CHECK(na->typeOffset == 12);
  CHECK(na->netOffset == 14);
  REQUIRE(na->mac);
  CHECK(na->mac->dstOffset == 0);
  // Ethernet's encapsulations, as libpcap allows them there.
  CHECK(na->vlanTags);
  CHECK(na->mplsType == 0x8847);
  CHECK(findLinkLayer(240)->vlanTags);
  CHECK(findLinkLayer(104)->mplsType == 0x8847);  // C_HDLC: MPLS, no tags
  CHECK(!findLinkLayer(104)->vlanTags);
  CHECK(!findLinkLayer(6)->vlanTags);  // IEEE802
  CHECK(findLinkLayer(6)->mplsType == 0);

  CHECK(findLinkLayer(16)->typeOffset == 5);  // PPP_BSDOS
  CHECK(findLinkLayer(16)->typeCodes.size() == 3);
  CHECK(findLinkLayer(8)->netOffset == 16);   // SLIP
  CHECK(findLinkLayer(109)->netOffset == 12);  // ENC
  CHECK(findLinkLayer(114)->fixedEtherType == 0x809b);  // LTALK
  CHECK(findLinkLayer(140)->typeField == TypeField::NotImplemented);  // MTP2
}

TEST_CASE("what --list-linktypes says each link type supports") {
  CHECK(linktypeFilters(1) == "ip ip6 arp ether proto ether host broadcast multicast llc vlan mpls link[] len");
  CHECK(linktypeFilters(276) == "ip ip6 arp ether proto inbound/outbound ifindex link[] len");
  CHECK(linktypeFilters(12) == "ip ip6 link[] len");
  CHECK(linktypeFilters(140) == "fisu/lssu/msu sio/opc/dpc/sls (and h- forms) link[] len");
  CHECK(linktypeFilters(141) == "link[] len");
  CHECK(linktypeFilters(123).find("vpi/vci lane") != std::string::npos);
  CHECK(linktypeFilters(105) ==
        "ip ip6 arp ether proto ether host broadcast multicast wlan addr1..addr4/ra/ta type/subtype/dir llc vlan "
        "link[] len");
  CHECK(linktypeFilters(192).find("type/subtype/dir") == std::string::npos);
  CHECK(linktypeFilters(117) == "ip ip6 inbound/outbound on rset rnr srnr reason action link[] len");
  CHECK(linktypeFilters(2) == "(none: libpcap knows no header layout for it)");
  CHECK(linktypeFilters(130).find("(each only checks the header)") != std::string::npos);
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
