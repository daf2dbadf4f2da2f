// Frame builders for the LLC / OSI / DECnet family (see osi_frames.h).
#include "osi_frames.h"

namespace sift::gen::detail {

namespace {

void putRandomBytes(Bytes& b, Rng& rng, size_t n) {
  for (size_t i = 0; i < n; ++i) put8(b, rng.byte());
}

/// The first byte of an LLC control field: I frames (low bit clear), S
/// frames (RR, RNR, REJ) and U frames (each command, with or without the
/// poll/final bit), or anything.
uint8_t pickControl(Rng& rng) {
  static const std::vector<uint8_t> sKinds = {0x01, 0x05, 0x09};
  static const std::vector<uint8_t> uKinds = {0x03, 0x63, 0x43, 0x0f, 0x6f, 0xe3, 0xaf, 0x87};
  uint32_t r = rng.below(100);
  if (r < 20) return static_cast<uint8_t>(rng.byte() & 0xfe);  // I
  if (r < 40) return static_cast<uint8_t>(rng.pick(sKinds) | (rng.chance(50) ? rng.byte() & 0xf0 : 0));
  if (r < 90) return static_cast<uint8_t>(rng.pick(uKinds) | (rng.chance(30) ? 0x10 : 0));
  return rng.byte();
}

/// A spanning-tree BPDU (configuration, TCN or RSTP).
void putBpdu(Bytes& b, Rng& rng) {
  put16(b, 0);                        // protocol id
  put8(b, rng.chance(70) ? 0 : 2);    // version: STP or RSTP
  put8(b, rng.chance(20) ? 0x80 : 0); // type: TCN or configuration
  if (b.back() == 0x80 && rng.chance(70)) return;
  put8(b, rng.byte());                // flags
  put16(b, 0x8000), put32(b, rng.u32()), put16(b, rng.u16());  // root id
  put32(b, rng.below(200));           // root path cost
  put16(b, 0x8000), put32(b, rng.u32()), put16(b, rng.u16());  // bridge id
  put16(b, rng.u16());                // port id
  put16(b, 0), put16(b, 20 << 8), put16(b, 2 << 8), put16(b, 15 << 8);
}

/// DECnet addresses as the corpus writes them (AREA.NODE, or what libpcap
/// makes of a number or a mistyped address), and some others.
uint16_t pickDecnetAddress(Rng& rng) {
  static const std::vector<uint16_t> pool = {
      1 * 1024 + 2, 1 * 1024 + 1, 10 * 1024 + 1023, 63 * 1024 + 1023, 0, 2 * 1024 + 3,
      1 * 1024 + 3, 3 * 1024 + 4, 1, 2048, 5, 0x1170, 10 * 1024 + 2, 1024, 0x10, 258};
  return rng.chance(15) ? rng.u16() : rng.pick(pool);
}

}  // namespace

Bytes makeOsiPdu(Rng& rng) {
  Bytes b;
  uint32_t r = rng.below(100);
  if (r < 45) {  // IS-IS: NLPID, header length, version, id length, PDU type
    static const std::vector<uint8_t> types = {15, 16, 17, 18, 20, 24, 25, 26, 27};
    put8(b, 0x83), put8(b, 27), put8(b, 1), put8(b, 0);
    put8(b, rng.chance(85) ? rng.pick(types) : rng.below(64));
    put8(b, 1), put8(b, 0), put8(b, 3);
    putRandomBytes(b, rng, rng.range(0, 30));
  } else if (r < 70) {  // CLNP data / error report
    put8(b, 0x81), put8(b, rng.range(20, 40)), put8(b, 1), put8(b, 30);
    put8(b, rng.chance(70) ? 0x1c : 0x01);
    putRandomBytes(b, rng, rng.range(4, 40));
  } else if (r < 90) {  // ES-IS hello
    put8(b, 0x82), put8(b, rng.range(10, 30)), put8(b, 1), put8(b, 0);
    put8(b, rng.chance(50) ? 2 : 4);
    putRandomBytes(b, rng, rng.range(4, 30));
  } else {
    static const std::vector<uint8_t> others = {0x00, 0x05, 0x08, 0x80, 0xcc, 0x8e};
    put8(b, rng.pick(others));
    putRandomBytes(b, rng, rng.range(0, 30));
  }
  return b;
}

Bytes makeLlcPdu(Rng& rng) {
  static const std::vector<uint8_t> saps = {0x42, 0x42, 0xfe, 0xfe, 0xfe, 0xe0, 0xf0, 0x06, 0xaa};
  uint8_t sap = rng.chance(90) ? rng.pick(saps) : rng.byte();
  Bytes b;
  put8(b, sap);
  put8(b, rng.chance(85) ? sap : rng.byte());
  const bool uiLike = rng.chance(35);
  put8(b, uiLike ? 0x03 : pickControl(rng));
  if (sap == 0x42) {
    putBpdu(b, rng);
  } else if (sap == 0xfe) {
    append(b, makeOsiPdu(rng));
  } else if (sap == 0xe0) {  // IPX: checksum 0xffff, length, hops, type
    put16(b, 0xffff), put16(b, rng.range(30, 200)), put8(b, 0), put8(b, rng.below(20));
    putRandomBytes(b, rng, rng.range(0, 30));
  } else {
    putRandomBytes(b, rng, rng.range(0, 40));
  }
  return b;
}

Bytes makeDecnet(Rng& rng) {
  Bytes body;
  const bool padded = rng.chance(40);
  const bool longHeader = rng.chance(50);
  if (padded) put8(body, 0x81);  // the pad flag and one byte of padding
  // Routing flags: the format in the low 3 bits (2 short, 6 long data
  // packets), sometimes a control packet (low bit set) or anything.
  uint8_t flags = longHeader ? 0x06 : 0x02;
  if (rng.chance(15)) flags = rng.chance(50) ? 0x07 : rng.byte();
  if (rng.chance(20)) flags |= 0x20;  // intra-Ethernet
  put8(body, flags);
  const uint16_t dst = pickDecnetAddress(rng);
  const uint16_t src = rng.chance(20) ? dst : pickDecnetAddress(rng);
  if (longHeader) {
    put8(body, 0), put8(body, 0);                            // destination area, sub-area
    put8(body, 0xaa), put8(body, 0), put8(body, 0x04), put8(body, 0);  // HIORD
    putLe16(body, dst);
    put8(body, 0), put8(body, 0);                            // source area, sub-area
    put8(body, 0xaa), put8(body, 0), put8(body, 0x04), put8(body, 0);
    putLe16(body, src);
    put8(body, 0), put8(body, rng.below(4)), put8(body, 0), put8(body, 0);
  } else {
    putLe16(body, dst);
    putLe16(body, src);
    put8(body, rng.below(4));  // forward / visit count
  }
  putRandomBytes(body, rng, rng.range(0, 30));
  Bytes b;
  putLe16(b, static_cast<uint32_t>(body.size()));
  append(b, body);
  return b;
}

}  // namespace sift::gen::detail
