// Link-layer type names and numbers, as libpcap spells them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sift {

struct LinktypeInfo {
  uint32_t dlt;             // DLT_ value
  std::string_view name;    // "EN10MB" (libpcap's name, without DLT_)
  std::string_view description;
};

/// Every link type sift knows by name.
const std::vector<LinktypeInfo>& knownLinktypes();
/// "EN10MB", "en10mb", "DLT_EN10MB" or a number such as "1".
std::optional<uint32_t> parseLinktype(std::string_view text);
/// The name of a DLT, or its number in decimal when it has none.
std::string linktypeName(uint32_t dlt);
/// What filters on `dlt` can test, from the link-layer table: filter words
/// such as "ip ip6 arp ether proto ether host broadcast multicast link[]
/// len", "link[] len" for link types libpcap reads only as bytes, or why
/// none can be compiled.
std::string linktypeFilters(uint32_t dlt);

}  // namespace sift
