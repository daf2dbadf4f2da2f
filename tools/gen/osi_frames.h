// Frame builders for the 802.2 LLC / OSI / DECnet family: LLC headers of
// every format and U command, spanning-tree BPDUs, IPX, NetBEUI, OSI CLNP,
// ES-IS and IS-IS PDUs of every level and type, and DECnet routing headers
// (short and long, with and without padding) whose addresses come from the
// pool the corpus uses.
#pragma once

#include <cstdint>

#include "byte_writer.h"
#include "rng.h"

namespace sift::gen::detail {

/// An 802.2 frame body: DSAP, SSAP, control field and what the SAP carries.
Bytes makeLlcPdu(Rng& rng);
/// An OSI network-layer PDU starting with its NLPID (CLNP, ES-IS, IS-IS,
/// or now and then another NLPID).
Bytes makeOsiPdu(Rng& rng);
/// A DECnet phase IV routing header and some data.
Bytes makeDecnet(Rng& rng);

}  // namespace sift::gen::detail
