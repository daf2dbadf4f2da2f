// The 802.11 framer (frame_80211.h). The MAC header's frame control picks
// the type (management, control, data, now and then the reserved type 3)
// and the subtype, and the DS bits all four ways, so that the address
// qualifiers (addr1..4, ra, ta, src, dst) each find their address in some
// frames and not in others. Data frames carry LLC/SNAP with IPv4, IPv6 or
// ARP most of the time; QoS data adds the 2-byte QoS control. The radio
// headers vary in length and in the fields present, and radiotap's flags
// sometimes announce a padded MAC header or a trailing FCS.
#include "frame_80211.h"

namespace sift::gen::detail {

namespace {

constexpr uint32_t kTypeMgt = 0x00, kTypeCtl = 0x04, kTypeData = 0x08, kTypeReserved = 0x0c;

void putMac(Bytes& b, const Mac& m) { append(b, m); }
void putRandomBytes(Bytes& b, Rng& rng, size_t n) {
  for (size_t i = 0; i < n; ++i) put8(b, rng.byte());
}

/// The first frame-control byte: subtype << 4 | type << 2.
uint8_t pickFrameControl(Rng& rng) {
  static const std::vector<uint8_t> mgt = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x80, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0};
  static const std::vector<uint8_t> ctl = {0xa0, 0xb0, 0xc0, 0xd0, 0xd0, 0xe0, 0xf0, 0x80, 0x90, 0x70};
  static const std::vector<uint8_t> data = {0x00, 0x00, 0x80, 0x80, 0x80, 0x40, 0xc0, 0x10, 0x20, 0x30,
                                            0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xe0, 0xf0, 0xd0};
  uint32_t r = rng.below(100);
  uint8_t fc;
  if (r < 58) {
    fc = static_cast<uint8_t>(rng.pick(data) | kTypeData);
  } else if (r < 80) {
    fc = static_cast<uint8_t>(rng.pick(mgt) | kTypeMgt);
  } else if (r < 95) {
    fc = static_cast<uint8_t>(rng.pick(ctl) | kTypeCtl);
  } else {
    fc = static_cast<uint8_t>(rng.below(16) << 4 | kTypeReserved);
  }
  if (rng.chance(3)) fc |= static_cast<uint8_t>(rng.below(4));  // a protocol version other than 0
  return fc;
}

/// The MAC frame: header (with as many addresses as the frame has) and body.
Bytes makeMacFrame(Rng& rng, const WlanPayloads& p, bool padHeader) {
  Bytes b;
  uint8_t fc0 = pickFrameControl(rng);
  uint8_t fc1 = static_cast<uint8_t>(rng.below(4));  // ToDS, FromDS
  if (rng.chance(25)) fc1 |= static_cast<uint8_t>(rng.byte() & 0xfc);  // retry, power management, protected ...
  put8(b, fc0), put8(b, fc1);
  put16(b, rng.u16());  // duration
  const uint32_t type = fc0 & 0x0c;
  if (type == kTypeCtl) {
    // ACK and CTS have addr1 only; RTS, PS-Poll, CF-End, BAR, BA two.
    putMac(b, p.mac(rng));
    uint8_t sub = fc0 & 0xf0;
    if ((sub != 0xc0 && sub != 0xd0) || rng.chance(20)) putMac(b, p.mac(rng));
    if (rng.chance(30)) putRandomBytes(b, rng, rng.range(1, 8));
    return b;
  }
  putMac(b, p.mac(rng));
  putMac(b, p.mac(rng));
  putMac(b, p.mac(rng));
  put16(b, rng.u16());  // sequence control
  if ((fc1 & 3) == 3 || rng.chance(5)) putMac(b, p.mac(rng));
  if (type == kTypeData && (fc0 & 0x80)) put16(b, rng.u16());  // QoS control
  if (padHeader && type == kTypeData)
    while (b.size() % 4) put8(b, 0);
  if (type != kTypeData) {  // management bodies, reserved frames
    putRandomBytes(b, rng, rng.chance(20) ? rng.below(8) : rng.range(8, 80));
    return b;
  }
  if (fc0 & 0x40) {  // the null-data subtypes: no body, mostly
    if (rng.chance(20)) putRandomBytes(b, rng, rng.below(16));
    return b;
  }
  uint32_t r = rng.below(100);
  if (r < 72) {  // LLC/SNAP and an EtherType
    put8(b, 0xaa), put8(b, 0xaa), put8(b, 0x03);
    if (rng.chance(90)) {
      put8(b, 0), put8(b, 0), put8(b, 0);
    } else {
      put8(b, 0x08), put8(b, 0x00), put8(b, 0x07);
    }
    uint16_t etherType = 0;
    Bytes net = p.network(rng, etherType);
    put16(b, etherType);
    append(b, net);
  } else if (r < 92) {
    append(b, p.llc(rng));
  } else {
    putRandomBytes(b, rng, rng.below(48));
  }
  return b;
}

// Radiotap presence bits (little-endian word) and field sizes/alignments
// for the first few fields: TSFT 8/8, flags 1, rate 1, channel 4/2, FHSS 2,
// antenna signal 1, antenna noise 1, lock quality 2/2.
struct RadiotapField {
  uint32_t bit, size, align;
};
constexpr RadiotapField kRadiotapFields[] = {
    {0, 8, 8}, {1, 1, 1}, {2, 1, 1}, {3, 4, 2}, {4, 2, 2}, {5, 1, 1}, {6, 1, 1}, {7, 2, 2},
};

Bytes frameRadiotap(Rng& rng, const WlanPayloads& p) {
  uint32_t present = 0;
  for (const RadiotapField& f : kRadiotapFields)
    if (rng.chance(f.bit == 1 ? 65 : 40)) present |= 1u << f.bit;
  const bool ext = rng.chance(8);
  uint8_t flags = 0;
  if (present & 2) {
    if (rng.chance(30)) flags |= 0x20;  // data pad
    if (rng.chance(20)) flags |= 0x10;  // FCS at the end
    if (rng.chance(20)) flags |= static_cast<uint8_t>(rng.byte() & 0xcf);
  }
  Bytes fields;
  const size_t start = ext ? 12 : 8;
  for (const RadiotapField& f : kRadiotapFields) {
    if (!(present & 1u << f.bit)) continue;
    while ((start + fields.size()) % f.align) put8(fields, 0);
    if (f.bit == 1) {
      put8(fields, flags);
    } else {
      putRandomBytes(fields, rng, f.size);
    }
  }
  if (rng.chance(25)) putRandomBytes(fields, rng, rng.range(1, 12));  // fields this framer does not name
  Bytes b;
  put8(b, rng.chance(95) ? 0 : 1), put8(b, 0);
  uint32_t length = static_cast<uint32_t>(start + fields.size());
  uint32_t claimed = rng.chance(94) ? length : rng.chance(50) ? rng.range(0, 8) : rng.range(length, length + 300);
  putLe16(b, claimed);
  putLe32(b, present | (ext ? 0x80000000u : 0));
  if (ext) putLe32(b, rng.chance(50) ? 0 : rng.u32() & 0x7fffffff);
  append(b, fields);
  // libpcap pads only data frames, by the flags it finds at 8 or 16.
  append(b, makeMacFrame(rng, p, (flags & 0x20) != 0 && !ext));
  if (flags & 0x10) putRandomBytes(b, rng, 4);
  return b;
}

Bytes framePpi(Rng& rng, const WlanPayloads& p) {
  Bytes fields;
  if (rng.chance(70)) putRandomBytes(fields, rng, rng.chance(50) ? 20 : rng.range(4, 40));
  Bytes b;
  put8(b, 0), put8(b, rng.chance(90) ? 0 : 1);
  uint32_t length = static_cast<uint32_t>(8 + fields.size());
  putLe16(b, rng.chance(94) ? length : rng.range(0, length + 200));
  static const std::vector<uint32_t> others = {1, 127, 0, 105 << 8};
  putLe32(b, rng.chance(88) ? 105 : rng.pick(others));
  append(b, fields);
  append(b, makeMacFrame(rng, p, false));
  return b;
}

/// An AVS header (version 0x80211001, big-endian length, then the fields).
Bytes avsHeader(Rng& rng) {
  Bytes b;
  put32(b, rng.chance(90) ? 0x80211001 : 0x80211000 | rng.below(0x1000));
  uint32_t length = rng.chance(80) ? 64 : rng.range(8, 96);
  put32(b, rng.chance(95) ? length : rng.range(0, 4000));
  if (length > 8) putRandomBytes(b, rng, length - 8);
  return b;
}

Bytes frameAvs(Rng& rng, const WlanPayloads& p) {
  Bytes b = avsHeader(rng);
  append(b, makeMacFrame(rng, p, false));
  return b;
}

/// Prism: 144 bytes (message code, length, device name, ten items), or an
/// AVS header under the Prism link type, which libpcap recognises by its
/// cookie.
Bytes framePrism(Rng& rng, const WlanPayloads& p) {
  Bytes b;
  if (rng.chance(25)) {
    b = avsHeader(rng);
  } else {
    putLe32(b, rng.chance(90) ? 0x00000044 : rng.u32());
    putLe32(b, 144);
    putRandomBytes(b, rng, 136);
    if (rng.chance(5)) b[0] = 0x80, b[1] = 0x21, b[2] = 0x10;  // a cookie by accident
  }
  append(b, makeMacFrame(rng, p, false));
  return b;
}

}  // namespace

Bytes frameWlan(Rng& rng, uint32_t dlt, const WlanPayloads& payloads) {
  switch (dlt) {
    case 105: return makeMacFrame(rng, payloads, false);
    case 119: return framePrism(rng, payloads);
    case 127: return frameRadiotap(rng, payloads);
    case 163: return frameAvs(rng, payloads);
    case 192: return framePpi(rng, payloads);
    default: return {};
  }
}

}  // namespace sift::gen::detail
