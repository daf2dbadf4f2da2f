// Lowering for the 802.11 link types (IEEE802_11, and 802.11 after a
// radiotap, PPI, AVS or Prism header), as libpcap 1.10.3 builds it:
//  - the row hooks (compiler/ieee80211.h): prefix lengths, the payload
//    offset after the variable-length MAC header, the PPI link-type check,
//    and the link-type test (a data frame, then its LLC/SNAP header);
//  - MAC addresses: `wlan addr1..addr4 / ra / ta`, and `host`, `src`, `dst`
//    (also spelled `ether`), `broadcast` and `multicast`, whose source and
//    destination addresses depend on the frame type and the DS bits;
//  - `type`, `subtype` and `dir`: fields of the frame control.
//
// The 802.11 header: frame control (2 bytes: type in bits 2-3 and subtype
// in bits 4-7 of the first byte, ToDS/FromDS in the low bits of the
// second), duration, addr1 at 4, addr2 at 10, addr3 at 16, sequence, addr4
// at 24 (only with both DS bits). Control frames carry only addr1 (and
// addr2 in most of them).
#include <array>
#include <string>

#include "compiler/ieee80211.h"
#include "compiler/ieee80211_names.h"
#include "compiler/lower_internal.h"

namespace sift::compiler {

namespace {

using detail::Lowerer;
namespace op = detail::op;

// Frame control, first byte.
constexpr uint32_t kTypeMask = 0x0c, kSubtypeMask = 0xf0;
constexpr uint32_t kTypeCtl = 0x04, kTypeData = 0x08;
constexpr uint32_t kSubtypeQos = 0x80;  // of a data frame
constexpr uint32_t kSubtypeCts = 0xc0, kSubtypeAck = 0xd0;  // of a control frame
// Frame control, second byte.
constexpr uint32_t kToDs = 0x01, kFromDs = 0x02, kDirMask = 0x03;
// Address offsets in the MAC header.
constexpr uint32_t kAddr1 = 4, kAddr2 = 10, kAddr3 = 16, kAddr4 = 24;
constexpr uint32_t kDataHeaderLength = 24, kQosControlLength = 2;

// Radiotap: the first presence word (little-endian, loaded big-endian).
constexpr uint32_t kRadiotapPresent = 4;
constexpr uint32_t kPresentTsft = 0x01000000, kPresentFlags = 0x02000000, kPresentExt = 0x00000080;
// Where the flags byte is when it is present: after the TSFT field or not.
constexpr uint32_t kFlagsAfterTsft = 16, kFlagsWithoutTsft = 8;
constexpr uint32_t kFlagDataPad = 0x20;

constexpr uint32_t kPrismAvsCookieMask = 0xfffff000, kPrismAvsCookie = 0x80211000;
constexpr uint32_t kPrismHeaderLength = 144;
constexpr uint32_t kPpiDlt = 4, kPpiDlt80211 = 0x69000000;  // 105, little-endian

// ---- frame-control tests ----

/// (first byte of the frame control & bit) != 0.
ir::Fragment fc0Bit(Lowerer& lw, uint32_t bit) { return lw.loadTest(lw.linkHeader(), 1, 0xff, op::kJset, bit); }
/// (second byte & bit) != 0: the DS bits.
ir::Fragment fc1Bit(Lowerer& lw, uint32_t bit) {
  return lw.loadTest(lw.linkHeader().plus(1), 1, 0xff, op::kJset, bit);
}
/// (first byte & mask) == value.
ir::Fragment fc0Is(Lowerer& lw, uint32_t mask, uint32_t value) {
  return lw.loadTest(lw.linkHeader(), 1, mask, op::kJeq, value);
}

/// The 6 bytes at `offset` in the MAC header are `mac`: the last four
/// first, as libpcap compares them.
ir::Fragment macAt(Lowerer& lw, uint32_t offset, const std::array<uint8_t, 6>& m) {
  const uint32_t head = uint32_t{m[0]} << 8 | m[1];
  const uint32_t tail = uint32_t{m[2]} << 24 | uint32_t{m[3]} << 16 | uint32_t{m[4]} << 8 | m[5];
  ir::Fragment last = lw.loadTest(lw.linkHeader().plus(offset + 2), 4, 0xffffffff, op::kJeq, tail);
  return lw.both(std::move(last), lw.loadTest(lw.linkHeader().plus(offset), 2, 0xffff, op::kJeq, head));
}

/// Not a control frame; then a management frame's address at `mgtOffset`,
/// or a data frame's, which `data` tests.
template <class AddressTest, class DataAddress>
ir::Fragment frameAddress(Lowerer& lw, AddressTest at, uint32_t mgtOffset, DataAddress data) {
  ir::Fragment notCtl = Lowerer::negate(fc0Bit(lw, kTypeCtl));
  ir::Fragment mgt = lw.both(Lowerer::negate(fc0Bit(lw, kTypeData)), at(mgtOffset));
  ir::Fragment isData = fc0Bit(lw, kTypeData);
  ir::Fragment inData = lw.both(std::move(isData), data());
  return lw.both(std::move(notCtl), lw.either(std::move(mgt), std::move(inData)));
}

/// `clear()` when a DS bit is clear, else `set()`.
template <class Clear, class Set>
ir::Fragment byDsBit(Lowerer& lw, uint32_t bit, Clear clear, Set set) {
  ir::Fragment whenClear = lw.both(Lowerer::negate(fc1Bit(lw, bit)), clear());
  ir::Fragment isSet = fc1Bit(lw, bit);
  return lw.either(std::move(whenClear), lw.both(std::move(isSet), set()));
}

/// The source address, tested by `at` (a MAC compare, the broadcast
/// address, the group bit): management frames have it in addr2; data
/// frames without FromDS in addr2, with FromDS only in addr3, with both
/// DS bits in addr4.
template <class AddressTest>
ir::Fragment sourceAddress(Lowerer& lw, AddressTest at) {
  return frameAddress(lw, at, kAddr2, [&] {
    return byDsBit(lw, kFromDs, [&] { return at(kAddr2); },
                   [&] { return byDsBit(lw, kToDs, [&] { return at(kAddr3); }, [&] { return at(kAddr4); }); });
  });
}

/// The destination: addr1 in management frames and in data frames without
/// ToDS, else addr3.
template <class AddressTest>
ir::Fragment destinationAddress(Lowerer& lw, AddressTest at) {
  return frameAddress(lw, at, kAddr1, [&] {
    return byDsBit(lw, kToDs, [&] { return at(kAddr1); }, [&] { return at(kAddr3); });
  });
}

/// addr2, the transmitter, is absent from CTS and ACK frames.
ir::Fragment addr2Present(Lowerer& lw) {
  ir::Fragment ctl = fc0Is(lw, kTypeMask, kTypeCtl);
  ir::Fragment cts = fc0Is(lw, kSubtypeMask, kSubtypeCts);
  ir::Fragment noAddr2 = lw.both(std::move(ctl), lw.either(std::move(cts), fc0Is(lw, kSubtypeMask, kSubtypeAck)));
  return Lowerer::negate(std::move(noAddr2));
}

}  // namespace

// ---- row hooks ----

namespace ieee80211 {

ir::Fragment linkType(Lowerer& lw, uint32_t etherType) {
  ir::Fragment isData = lw.wlanDataFrame();
  return lw.both(std::move(isData), lw.llcProto(lw.llc(), etherType));
}

ir::Fragment littleEndianLength(Lowerer& lw) {
  return lw.straight({op::insn(op::kLdAbsB, 3), op::insn(op::kAluK | op::kLsh, 8), op::insn(op::kTax),
                      op::insn(op::kLdAbsB, 2), op::insn(op::kAluX | op::kOr)});
}

ir::Fragment avsLength(Lowerer& lw) { return lw.straight({op::insn(op::kLdAbsW, 4)}); }

ir::Fragment prismLength(Lowerer& lw) {
  lw.offsetCodeUnoptimized = true;
  ir::Fragment avs = lw.builder.test({op::insn(op::kLdAbsW, 0), op::insn(op::kAluK | op::kAnd, kPrismAvsCookieMask)},
                                     op::kJeq, kPrismAvsCookie);
  ir::Fragment avsLen = lw.straight({op::insn(op::kLdAbsW, 4)});
  ir::Fragment prism = lw.straight({op::insn(op::kLdImm, kPrismHeaderLength)});
  lw.builder.patch(avs.trueExits, avsLen.entry);
  lw.builder.patch(avs.falseExits, prism.entry);
  ir::Fragment out{avs.entry, std::move(avsLen.trueExits), std::move(avsLen.falseExits)};
  for (auto* list : {&prism.trueExits, &prism.falseExits})
    out.trueExits.append(*list);
  return out;
}

namespace {

ir::Fragment payloadOffsetWith(Lowerer& lw, Offset header, int cell, bool radiotapPad) {
  lw.offsetCodeUnoptimized = true;
  const auto k = [](uint16_t code, uint32_t v = 0) { return op::insn(code, v); };
  const uint32_t m = static_cast<uint32_t>(cell);
  ir::JumpList done;
  auto finish = [&](ir::JumpList& exits) { done.append(exits); };
  // X holds the header's offset; the payload is 24 bytes after it.
  std::vector<bpf::Insn> start;
  if (!header.variable()) start.push_back(k(op::kLdxImm, header.constant));
  for (bpf::Insn in : {k(op::kTxa), k(op::kAluK | op::kAdd, kDataHeaderLength), k(op::kSt, m), k(op::kLdIndB, 0)})
    start.push_back(in);
  ir::Fragment data = lw.builder.test(std::move(start), op::kJset, kTypeData);
  ir::Fragment ctl = lw.builder.test({}, op::kJset, kTypeCtl);
  ir::Fragment qos = lw.builder.test({}, op::kJset, kSubtypeQos);
  ir::Fragment addQos = lw.straight({k(op::kLdMem, m), k(op::kAluK | op::kAdd, kQosControlLength), k(op::kSt, m)});
  lw.builder.patch(data.trueExits, ctl.entry);
  finish(data.falseExits);
  finish(ctl.trueExits);
  lw.builder.patch(ctl.falseExits, qos.entry);
  lw.builder.patch(qos.trueExits, addQos.entry);
  if (!radiotapPad) {
    finish(qos.falseExits);
    finish(addQos.trueExits);
    finish(addQos.falseExits);
    return ir::Fragment{data.entry, std::move(done), {}};
  }
  // Atheros pads the header to 4 bytes; radiotap's flags say so. The flags
  // field is only found when the first presence word has it and no
  // extension words follow; it comes after the TSFT field when that is
  // present.
  ir::Fragment flags = lw.builder.test({k(op::kLdAbsW, kRadiotapPresent)}, op::kJset, kPresentFlags);
  ir::Fragment ext = lw.builder.test({}, op::kJset, kPresentExt);
  ir::Fragment tsft = lw.builder.test({}, op::kJset, kPresentTsft);
  ir::Fragment padAfterTsft = lw.builder.test({k(op::kLdAbsB, kFlagsAfterTsft)}, op::kJset, kFlagDataPad);
  ir::Fragment padNoTsft = lw.builder.test({k(op::kLdAbsB, kFlagsWithoutTsft)}, op::kJset, kFlagDataPad);
  ir::Fragment roundUp =
      lw.straight({k(op::kLdMem, m), k(op::kAluK | op::kAdd, 3), k(op::kAluK | op::kAnd, ~3u), k(op::kSt, m)});
  lw.builder.patch(qos.falseExits, flags.entry);
  lw.builder.patch(addQos.trueExits, flags.entry);
  lw.builder.patch(addQos.falseExits, flags.entry);
  lw.builder.patch(flags.trueExits, ext.entry);
  finish(flags.falseExits);
  finish(ext.trueExits);
  lw.builder.patch(ext.falseExits, tsft.entry);
  lw.builder.patch(tsft.trueExits, padAfterTsft.entry);
  lw.builder.patch(tsft.falseExits, padNoTsft.entry);
  for (ir::Fragment* pad : {&padAfterTsft, &padNoTsft}) {
    lw.builder.patch(pad->trueExits, roundUp.entry);
    finish(pad->falseExits);
  }
  finish(roundUp.trueExits);
  finish(roundUp.falseExits);
  return ir::Fragment{data.entry, std::move(done), {}};
}

}  // namespace

ir::Fragment payloadOffset(Lowerer& lw, Offset header, int cell) { return payloadOffsetWith(lw, header, cell, false); }

ir::Fragment radiotapPayloadOffset(Lowerer& lw, Offset header, int cell) {
  // (libpcap looks for the padding only while the link type is still
  // radiotap: not after pppoes.)
  return payloadOffsetWith(lw, header, cell, !lw.linkChanged);
}

ir::Fragment ppiIs80211(Lowerer& lw) { return lw.loadTest(Offset{kPpiDlt}, 4, 0xffffffff, op::kJeq, kPpiDlt80211); }

}  // namespace ieee80211

// ---- Lowerer members ----

namespace detail {

ir::Fragment Lowerer::wlanDataFrame() {
  // Not a control frame, and a data frame (libpcap tests the bits apart).
  ir::Fragment notCtl = negate(fc0Bit(*this, kTypeCtl));
  return both(std::move(notCtl), fc0Bit(*this, kTypeData));
}

std::string Lowerer::wlanRows(bool frameControl) const {
  if (frameControl) return rowsWith([](const LinkLayer& l) { return l.frameControlKeywords; });
  return rowsWith([](const LinkLayer& l) { return l.ieee80211; });
}

bool Lowerer::requireWlan(Span span, const std::string& what) {
  if (link().ieee80211) return true;
  fail(span, what + " works only on 802.11 link types (" + wlanRows(false) + "), not on " + linkName());
  return false;
}

ir::Fragment Lowerer::wlanMacHost(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  const std::array<uint8_t, 6>& mac = *n.resolved.mac;
  auto compare = [&](uint32_t offset) { return macAt(*this, offset, mac); };
  switch (q.dir) {
    case ast::Dir::Src: return sourceAddress(*this, compare);
    case ast::Dir::Dst: return destinationAddress(*this, compare);
    case ast::Dir::Default:
    case ast::Dir::SrcOrDst: {
      ir::Fragment src = sourceAddress(*this, compare);
      return either(std::move(src), destinationAddress(*this, compare));
    }
    case ast::Dir::SrcAndDst: {
      ir::Fragment src = sourceAddress(*this, compare);
      return both(std::move(src), destinationAddress(*this, compare));
    }
    case ast::Dir::Addr1: return compare(kAddr1);
    case ast::Dir::Addr2: {
      ir::Fragment present = addr2Present(*this);
      return both(std::move(present), compare(kAddr2));
    }
    case ast::Dir::Addr3: {
      ir::Fragment notCtl = negate(fc0Is(*this, kTypeMask, kTypeCtl));
      return both(std::move(notCtl), compare(kAddr3));
    }
    case ast::Dir::Addr4: {
      ir::Fragment wds = loadTest(linkHeader().plus(1), 1, kDirMask, op::kJeq, kToDs | kFromDs);
      return both(std::move(wds), compare(kAddr4));
    }
    // libpcap 1.10.3 looks for the receiver and transmitter only in frames
    // with the data bit of the type set.
    case ast::Dir::Ra: {
      ir::Fragment data = fc0Bit(*this, kTypeData);
      return both(std::move(data), compare(kAddr1));
    }
    case ast::Dir::Ta: {
      ir::Fragment data = fc0Bit(*this, kTypeData);
      ir::Fragment present = addr2Present(*this);
      return both(std::move(data), both(std::move(present), compare(kAddr2)));
    }
  }
  return always(false);
}

ir::Fragment Lowerer::wlanBroadcast() {
  return destinationAddress(*this, [&](uint32_t offset) {
    return macAt(*this, offset, std::array<uint8_t, 6>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  });
}

ir::Fragment Lowerer::wlanMulticast() {
  return destinationAddress(*this, [&](uint32_t offset) {
    return loadTest(linkHeader().plus(offset), 1, 0xff, op::kJset, 0x01);
  });
}

std::string Lowerer::wlanDirMisuse(ast::Dir dir) const {
  return "'" + std::string(ast::dirName(dir)) + "' qualifies 802.11 MAC addresses only, as in 'wlan " +
         ast::dirName(dir) + " 00:11:22:33:44:55' on " + wlanRows(false);
}

ir::Fragment Lowerer::wlanField(const ast::Node& n) {
  const std::string word = "'" + n.keywordText + "'";
  if (!requireWlan(n.span, word)) return always(false);
  if (!link().frameControlKeywords) {
    return fail(n.span, word + " is not supported on " + linkName() +
                            " by libpcap 1.10.3 (later versions allow it); it works on " + wlanRows(true) +
                            ", and 'wlan addr1'..'addr4', 'ra', 'ta' work here");
  }
  // (compiler/resolve has looked the name up; a tree from elsewhere gets it here.)
  auto f = n.resolved.frameControl ? Expected<ast::Node::Resolved::FrameControl>(*n.resolved.frameControl)
                                   : ieee80211::frameControl(n);
  if (!f) return fail(f.error().span.value_or(n.span), f.error().message);
  return loadTest(linkHeader().plus(f->byte), 1, f->mask, op::kJeq, f->value);
}

}  // namespace detail

}  // namespace sift::compiler
