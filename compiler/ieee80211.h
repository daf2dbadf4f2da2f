// The 802.11 family: its row hooks (compiler/lower_80211.cpp): the link-type
// test, the prefix lengths of radiotap, PPI, AVS and Prism headers, the
// offset of the payload after the variable-length 802.11 header, and the
// PPI check that the encapsulated link type is 802.11, which the rows in
// compiler/link_layer.cpp name. The frame-control names are in
// compiler/ieee80211_names.h.
#pragma once

#include <cstdint>

#include "compiler/link_layer.h"

namespace sift::compiler::ieee80211 {

/// A data frame whose LLC/SNAP payload carries `etherType` (or whose LLC
/// header has that SAP).
ir::Fragment linkType(detail::Lowerer& lowerer, uint32_t etherType);

/// Radiotap and PPI: the little-endian 16-bit length at offset 2.
ir::Fragment littleEndianLength(detail::Lowerer& lowerer);
/// AVS: the big-endian 32-bit length at offset 4.
ir::Fragment avsLength(detail::Lowerer& lowerer);
/// Prism: an AVS header when the cookie says so, else 144 bytes.
ir::Fragment prismLength(detail::Lowerer& lowerer);

/// The payload after the 802.11 header: 24 bytes, plus 2 for QoS data.
ir::Fragment payloadOffset(detail::Lowerer& lowerer, Offset header, int payloadCell);
/// The same, and rounded up to 4 bytes when the radiotap flags say the
/// driver padded it.
ir::Fragment radiotapPayloadOffset(detail::Lowerer& lowerer, Offset header, int payloadCell);

/// PPI: the encapsulated link type (little-endian at offset 4) is 802.11.
ir::Fragment ppiIs80211(detail::Lowerer& lowerer);

}  // namespace sift::compiler::ieee80211
