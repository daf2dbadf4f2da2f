// The generator's 802.11 framer: MAC headers of every frame type and DS
// combination, QoS data, LLC/SNAP payloads, behind a radiotap, PPI, AVS or
// Prism header or none (IEEE802_11, IEEE802_11_RADIO, PPI,
// IEEE802_11_RADIO_AVS, PRISM_HEADER).
#pragma once

#include <cstdint>

#include "byte_writer.h"
#include "rng.h"

namespace sift::gen::detail {

/// What the framer takes from the rest of the generator.
struct WlanPayloads {
  /// A network-layer packet and the EtherType naming it (IPv4, IPv6, ARP,
  /// RARP or something else).
  Bytes (*network)(Rng& rng, uint16_t& etherType);
  /// An 802.2 frame: SNAP, OSI, STP, IPX, NetBEUI, ...
  Bytes (*llc)(Rng& rng);
  /// A MAC address from the pool the expression corpus uses.
  Mac (*mac)(Rng& rng);
};

/// One frame for `dlt` (105, 119, 127, 163 or 192); empty for others.
Bytes frameWlan(Rng& rng, uint32_t dlt, const WlanPayloads& payloads);

}  // namespace sift::gen::detail
