// The linktype name table against libpcap's own lookups.
#include <doctest/doctest.h>
#include <pcap/pcap.h>

#include <string>

#include "sift/linktype.h"

TEST_CASE("every DLT libpcap names has the same name and description in sift") {
  size_t named = 0;
  for (int dlt = 0; dlt < 70000; ++dlt) {
    const char* name = pcap_datalink_val_to_name(dlt);
    if (!name) continue;
    ++named;
    CAPTURE(dlt);
    CHECK(sift::linktypeName(static_cast<uint32_t>(dlt)) == name);
    CHECK(sift::parseLinktype(name) == static_cast<uint32_t>(dlt));
    CHECK(sift::parseLinktype(std::string("DLT_") + name) == static_cast<uint32_t>(dlt));
  }
  CHECK(named == sift::knownLinktypes().size());
  for (const sift::LinktypeInfo& info : sift::knownLinktypes()) {
    CAPTURE(info.name);
    std::string name(info.name);
    CHECK(pcap_datalink_name_to_val(name.c_str()) == static_cast<int>(info.dlt));
    CHECK(std::string(pcap_datalink_val_to_description(static_cast<int>(info.dlt))) == info.description);
  }
}
