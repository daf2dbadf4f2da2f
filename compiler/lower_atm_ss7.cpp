// Lowering of the SunATM and SS7 keywords, as libpcap 1.10.3 compiles
// them.
//
// SunATM (DLT_SUNATM) frames start with a 4-byte pseudo-header: flags and
// the traffic type (low nibble of byte 0: 1 LANE, 2 LLC), the VPI (byte
// 1) and the VCI (bytes 2-3). `vpi N` and `vci N` compare those; the cell
// types are VPI 0 with a VCI (metac 1, bcc 2, oamf4sc 3, oamf4ec 4, sc 5,
// ilmic 16; oam and oamf4 are VCI 3 or 4), connectmsg and metaconnect add
// the Q.2931 message type at payload byte 5. `lane` tests the LANE
// traffic type and then, like an encapsulation, moves everything after it
// to the LAN-emulated Ethernet frame behind the 2-byte LE header (an
// Ethernet link at offset 6), whose EtherType, VLAN, MAC address, broadcast and
// multicast tests first exclude LE control frames (LE header 0xff00).
//
// SS7 (MTP2, MTP2 with its pseudo-header, ERF): fisu, lssu, msu test the
// MTP2 length indicator (low 6 bits: 0, 1-2, more); hfisu, hlssu, hmsu the
// 16-bit one of high-speed links (its top 9 bits). sio, opc, dpc and sls
// compare the service information octet and the MTP3 routing label, whose
// point codes are stored little-endian across byte boundaries: the value
// is rearranged into that layout and compared under a mask. The h- forms
// read 3 bytes later.
//
// Relations keep libpcap 1.10.3's rule: `<` and `<=` negate a `jge`/`jgt`
// test, while `!=` compiles to the same test as `=` (fixed in later
// libpcap); sift returns the verdicts libpcap returns.
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kTrafficTypeOffset = 0, kVpiOffset = 1, kVciOffset = 2, kAtmPayload = 4;
constexpr uint32_t kLaneTraffic = 1, kLeHeaderBytes = 2, kLeControlMarker = 0xff00;
constexpr uint32_t kMsgTypeOffset = 5;  // Q.2931 message type, in the payload
constexpr uint32_t kDltEn10mb = 1;

struct AtmCellType {
  const char* name;
  uint32_t vci;     // with VPI 0
  uint32_t vci2;    // oam/oamf4: also this VCI; 0: none
  bool connectMsgs; // connectmsg / metaconnect: and one of the message types
};

constexpr AtmCellType kAtmCellTypes[] = {
    {"metac", 1, 0, false},   {"bcc", 2, 0, false},        {"oamf4sc", 3, 0, false}, {"oamf4ec", 4, 0, false},
    {"sc", 5, 0, false},      {"ilmic", 16, 0, false},     {"oam", 3, 4, false},     {"oamf4", 3, 4, false},
    {"connectmsg", 5, 0, true}, {"metaconnect", 1, 0, true},
};

// Q.2931 message types: call proceeding, connect, connect ack, release,
// setup, release done (connectmsg); metaconnect leaves out connect ack.
constexpr uint32_t kConnectMsgTypes[] = {0x5a, 0x4d, 0x0f, 0x07, 0x05, 0x02};
constexpr uint32_t kMetaConnectMsgTypes[] = {0x5a, 0x4d, 0x07, 0x05, 0x02};

/// An SS7 field: where it is after the SIO, its load and mask, its range,
/// and how a value is laid out in the packet.
struct Ss7Field {
  const char* name;
  uint32_t offset;  // from the SIO
  uint8_t size;
  uint32_t mask;
  uint32_t max;
  uint32_t (*layout)(uint32_t);
};

uint32_t asIs(uint32_t v) { return v; }
// OPC: 14 bits, stored little-endian after the 14-bit DPC.
uint32_t opcLayout(uint32_t v) { return ((v & 0x3c00) >> 10) + ((v & 0x03fc) << 6) + ((v & 0x0003) << 22); }
uint32_t dpcLayout(uint32_t v) { return ((v & 0x00ff) << 24) + ((v & 0x3f00) << 8); }
uint32_t slsLayout(uint32_t v) { return v << 4; }

constexpr Ss7Field kSs7Fields[] = {
    {"sio", 0, 1, 0xffffffff, 255, asIs},
    {"opc", 1, 4, 0x00c0ff0f, 16383, opcLayout},
    {"dpc", 1, 4, 0xff3f0000, 16383, dpcLayout},
    {"sls", 4, 1, 0xf0, 15, slsLayout},
};

constexpr uint32_t kHighSpeedShift = 3;  // hsio, hopc, ...: 3 bytes later
constexpr uint32_t kSioFromLi = 1, kHslLiFromLi = 2;

uint16_t jumpFor(ast::RelOp op) {
  switch (op) {
    case ast::RelOp::Gt: case ast::RelOp::Le: return op::kJgt;
    case ast::RelOp::Ge: case ast::RelOp::Lt: return op::kJge;
    default: return op::kJeq;
  }
}

}  // namespace

ir::Fragment Lowerer::notLeControl() {
  return negate(loadTest(*state.leControl, 2, 0xffff, op::kJeq, kLeControlMarker));
}

ir::Fragment Lowerer::atmKeyword(const ast::Node& n) {
  const Span kw{n.span.begin, n.span.begin + static_cast<uint32_t>(n.keywordText.size())};
  if (!row_->sunatmHeader)
    return fail(kw, "'" + n.keywordText + "' is not supported on " + linkName() +
                        ", which has no ATM header; it works on " +
                        rowsWith([](const LinkLayer& r) { return r.sunatmHeader; }) + " (raw ATM with its pseudo-header)");
  const Offset header = linkHeader();
  auto field = [&](bool vpi, uint16_t jump, uint32_t value) {
    return loadTest(header.plus(vpi ? kVpiOffset : kVciOffset), vpi ? 1 : 2, 0xffffffff, jump, value);
  };
  if (n.keyword == ast::Keyword::AtmField) {
    const bool vpi = n.keywordText == "vpi";
    ir::Fragment f = field(vpi, jumpFor(n.relOp), n.keywordArg->number);
    return n.relOp == ast::RelOp::Lt || n.relOp == ast::RelOp::Le ? negate(std::move(f)) : std::move(f);
  }
  if (n.keyword == ast::Keyword::Lane) {
    ir::Fragment f = loadTest(header.plus(kTrafficTypeOffset), 1, 0x0f, op::kJeq, kLaneTraffic);
    beginMoving();
    // Later EtherType tests exclude LE control frames only while the link
    // before this one was SunATM (a second lane follows Ethernet).
    const bool fromAtm = state.layer == row_;
    const Offset ethernet{row_->linkHeaderOffset + kAtmPayload + kLeHeaderBytes};
    state.leControl = fromAtm ? std::optional<Offset>(state.header.plus(kAtmPayload)) : std::nullopt;
    state.layer = findLinkLayer(kDltEn10mb);
    state.header = ethernet;
    state.type = ethernet.plus(link().typeOffset);
    state.llc = ethernet.plus(link().llcOffset);
    state.net = ethernet.plus(link().netOffset);
    return f;
  }
  for (const AtmCellType& t : kAtmCellTypes) {
    if (n.keywordText != t.name) continue;
    ir::Fragment vpi0 = field(true, op::kJeq, 0);
    ir::Fragment vci = field(false, op::kJeq, t.vci);
    if (t.vci2) vci = either(std::move(vci), field(false, op::kJeq, t.vci2));
    ir::Fragment f = both(std::move(vpi0), std::move(vci));
    if (!t.connectMsgs) return f;
    std::optional<ir::Fragment> msg;
    auto add = [&](uint32_t type) {
      ir::Fragment m = loadTest(header.plus(kAtmPayload + kMsgTypeOffset), 1, 0xff, op::kJeq, type);
      msg = msg ? either(std::move(*msg), std::move(m)) : std::move(m);
    };
    if (t.vci == 5)
      for (uint32_t type : kConnectMsgTypes) add(type);
    else
      for (uint32_t type : kMetaConnectMsgTypes) add(type);
    return both(std::move(f), std::move(*msg));
  }
  return fail(kw, "unknown ATM keyword '" + n.keywordText + "'");
}

ir::Fragment Lowerer::ss7Keyword(const ast::Node& n) {
  const Span kw{n.span.begin, n.span.begin + static_cast<uint32_t>(n.keywordText.size())};
  const bool highSpeed = n.keywordText[0] == 'h';
  const std::string base = highSpeed ? n.keywordText.substr(1) : n.keywordText;
  const std::optional<uint32_t> li = link().mtp2LengthIndicator;
  if (!li || state.moved)
    return fail(kw, "'" + n.keywordText + "' is not supported on " + linkName() +
                        ", which has no MTP2 header; it works on " +
                        rowsWith([](const LinkLayer& r) { return r.mtp2LengthIndicator.has_value(); }));
  if (n.keyword == ast::Keyword::Ss7) {
    // fisu (0), lssu (1 or 2), msu (more): the low 6 bits of the length
    // indicator, or the top 9 bits of the 16-bit one.
    const Offset at{highSpeed ? *li + kHslLiFromLi : *li};
    const uint8_t size = highSpeed ? 2 : 1;
    const uint32_t mask = highSpeed ? 0xff80 : 0x3f, two = highSpeed ? 0x100 : 2;
    if (base == "fisu") return loadTest(at, size, mask, op::kJeq, 0);
    if (base == "msu") return loadTest(at, size, mask, op::kJgt, two);
    // lssu (also spelled lsu): more than 0, not more than 2.
    ir::Fragment some = loadTest(at, size, mask, op::kJgt, 0);
    return both(std::move(some), negate(loadTest(at, size, mask, op::kJgt, two)));
  }
  for (const Ss7Field& f : kSs7Fields) {
    if (base != f.name) continue;
    const uint32_t v = n.keywordArg->number;
    if (v > f.max)
      return fail(n.keywordArg->span, "'" + n.keywordText + "' takes a number from 0 to " + std::to_string(f.max) +
                                          ", not " + std::to_string(v));
    const Offset at{*li + kSioFromLi + f.offset + (highSpeed ? kHighSpeedShift : 0)};
    ir::Fragment t = loadTest(at, f.size, f.mask, jumpFor(n.relOp), f.layout(v));
    return n.relOp == ast::RelOp::Lt || n.relOp == ast::RelOp::Le ? negate(std::move(t)) : std::move(t);
  }
  return fail(kw, "unknown SS7 keyword '" + n.keywordText + "'");
}

}  // namespace sift::compiler::detail
