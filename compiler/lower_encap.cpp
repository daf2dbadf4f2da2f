// Lowering of the encapsulations: `vlan [N]`, `mpls [N]`, `pppoed`,
// `pppoes [N]`, `geneve [N]` and `vxlan [N]`.
//
// Each one tests its own header and then moves the Lowerer's LinkState so
// that every primitive lowered after it (to its right, also across `or`
// and `not`) looks behind that header, as libpcap 1.10.3 moves its global
// offsets while it parses:
//   vlan    type field and payload 4 bytes later (a stacked tag each time);
//           for a live Linux socket the outermost tag may have been taken
//           out of the frame by the kernel, so the test asks the socket's
//           ancillary data first and the shift becomes a run-time one
//   mpls    network header 4 bytes later; later ip/ip6 tests check the
//           bottom-of-stack bit and the IP version nibble instead of a type
//   pppoes  the link becomes PPP: protocol field right after the 6-byte
//           PPPoE header
//   geneve  the link becomes the encapsulated Ethernet frame (or the bare
//           payload), whose offsets are computed at run time into scratch
//           cells
//   vxlan   the same with an Ethernet frame always inside, as libpcap
//           master has it (libpcap 1.10.3 does not know the keyword)
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kTpids[] = {0x8100, 0x88a8, 0x9100};  // 802.1Q, 802.1ad, old QinQ
constexpr uint32_t kVlanTagBytes = 4, kMplsLabelBytes = 4, kPppoeHeaderBytes = 6;
constexpr uint32_t kEtherTypePppoed = 0x8863, kEtherTypePppoes = 0x8864;
constexpr uint32_t kDltPpp = 9, kDltEn10mb = 1;
constexpr uint32_t kUdp = 17, kGenevePort = 6081, kUdpHeaderBytes = 8, kGeneveHeaderBytes = 8;
constexpr uint32_t kEtherTypeBridging = 0x6558;  // transparent Ethernet bridging
constexpr uint32_t kVxlanPort = 4789, kVxlanHeaderBytes = 8;
constexpr uint32_t kVxlanFlags = 0x08;  // only the I bit (a valid VNI) set
// Linux's ancillary data, SKF_AD_OFF + SKF_AD_VLAN_TAG / _VLAN_TAG_PRESENT.
constexpr uint32_t kAncillaryVlanTag = 0xfffff000u + 44, kAncillaryVlanPresent = 0xfffff000u + 48;

}  // namespace

void Lowerer::beginMoving() {
  if (state.moved) return;
  state.header = linkHeader();
  state.type = typeField();
  if (link().payloadOffset && !row_->ieee80211) {  // (802.11: see pppoe and geneve)
    const Offset payload = rowPayloadPlace();
    state.llc = payload.plus(link().llcOffset);
    state.net = payload.plus(link().netOffset);
  } else {
    state.llc = llc();
    state.net = network();
  }
  state.moved = true;
}

ir::Fragment Lowerer::run(std::vector<bpf::Insn> stmts) {
  stmts.push_back(op::insn(op::kLdImm, 1));
  return builder.test(std::move(stmts), op::kJeq, 1);
}

ir::Fragment Lowerer::encapsulation(const ast::Node& n) {
  beginMoving();
  switch (n.keyword) {
    case ast::Keyword::Vlan: return vlan(n);
    case ast::Keyword::Mpls: return mpls(n);
    case ast::Keyword::Pppoed:
    case ast::Keyword::Pppoes: return pppoe(n);
    case ast::Keyword::Geneve: return geneve(n);
    case ast::Keyword::Vxlan: return vxlan(n);
    default: break;
  }
  return fail(n.span, "'" + n.keywordText + "' is not supported yet");
}

ir::Fragment Lowerer::vlan(const ast::Node& n) {
  const Span kw{n.span.begin, n.span.begin + static_cast<uint32_t>(n.keywordText.size())};
  if (state.mplsDepth > 0)
    return fail(kw, "'vlan' cannot follow 'mpls': a VLAN tag is never inside MPLS labels; "
                    "write 'vlan' before 'mpls'");
  if (!link().vlanTags)
    return fail(kw, "'vlan' is not supported on " + linkName() + ", whose frames carry no 802.1Q tags; it works on " +
                        rowsWith([](const LinkLayer& r) { return r.vlanTags; }));
  const bool hasVid = n.keywordArg.has_value();
  const uint32_t vid = hasVid ? n.keywordArg->number : 0;
  auto tpidTest = [&] {
    std::optional<ir::Fragment> data;
    if (state.leControl) data = notLeControl();  // after lane: not an LE control frame
    std::optional<ir::Fragment> any;
    for (uint32_t tpid : kTpids) {
      // (802.11 tests the type through its row hook: a data frame, SNAP.)
      ir::Fragment t = link().typeField == TypeField::Hook ? linkProto(tpid)
                                                           : loadTest(state.type, 2, 0xffff, op::kJeq, tpid);
      any = any ? either(std::move(*any), std::move(t)) : std::move(t);
    }
    return data ? both(std::move(*data), std::move(*any)) : std::move(*any);
  };

  // Outermost: no tag yet and the link-layer header still where the row
  // has it (not inside PPPoE or Geneve), as libpcap asks; 802.11 tests
  // its tags in the SNAP header, never in the socket's ancillary data.
  const bool outermost = state.vlanDepth == 0 && !state.header.variable() &&
                         state.header.constant == row_->linkHeaderOffset && link().typeField != TypeField::Hook;
  ir::Fragment f;
  if (options.liveLinuxSocket && outermost) {
    // The kernel may have moved the outermost tag into the socket's
    // ancillary data: either it did (the frame has no tag), or the tag is
    // in the frame and everything after it moves by 4 at run time.
    const Offset type{state.type.constant}, payload{state.net.constant};
    if (!state.net.variable()) {
      state.net.cell = reserveOffsetCell();
      vlanCellInit.push_back(op::insn(op::kSt, static_cast<uint32_t>(state.net.cell)));
    }
    if (!state.type.variable()) {
      state.type.cell = reserveOffsetCell();
      vlanCellInit.push_back(op::insn(op::kSt, static_cast<uint32_t>(state.type.cell)));
    }
    if (vlanCellInit.size() == 2) vlanCellInit.insert(vlanCellInit.begin(), op::insn(op::kLdImm, 0));
    state.llc.cell = state.net.cell;  // the LLC header moves with the payload
    ir::Fragment present = loadTest(Offset{kAncillaryVlanPresent}, 1, 0xff, op::kJeq, 1);
    std::vector<bpf::Insn> shift;
    for (int cell : {state.net.cell, state.type.cell}) {
      shift.push_back(op::insn(op::kLdMem, static_cast<uint32_t>(cell)));
      shift.push_back(op::insn(op::kAluK | op::kAdd, kVlanTagBytes));
      shift.push_back(op::insn(op::kSt, static_cast<uint32_t>(cell)));
    }
    std::optional<ir::Fragment> inFrame;
    for (uint32_t tpid : kTpids) {
      std::vector<bpf::Insn> stmts;
      if (!inFrame) stmts = shift;
      for (const bpf::Insn& i : loadAt(type, 0, 2)) stmts.push_back(i);
      ir::Fragment t = builder.test(std::move(stmts), op::kJeq, tpid);
      inFrame = inFrame ? either(std::move(*inFrame), std::move(t)) : std::move(t);
    }
    f = either(std::move(present), std::move(*inFrame));
    if (hasVid) {
      // The TCI from the ancillary data when the kernel took the tag,
      // else from the frame; then the 12-bit VLAN ID.
      ir::Fragment ask = loadTest(Offset{kAncillaryVlanPresent}, 1, 0xff, op::kJeq, 1);
      ir::Fragment fromData = builder.test({op::insn(op::kLdAbsB, kAncillaryVlanTag)}, op::kJeq, 0);
      ir::Fragment fromFrame = builder.test(loadAt(payload, 0, 2), op::kJeq, 0);
      ir::Fragment vidTest = builder.test({op::insn(op::kAluK | op::kAnd, 0xfff)}, op::kJeq, vid);
      builder.patch(ask.trueExits, fromData.entry);
      builder.patch(ask.falseExits, fromFrame.entry);
      for (const ir::Fragment* g : {&fromData, &fromFrame}) {
        builder.patch(g->trueExits, vidTest.entry);
        builder.patch(g->falseExits, vidTest.entry);
      }
      f = both(std::move(f), ir::Fragment{ask.entry, vidTest.trueExits, vidTest.falseExits});
    }
  } else {
    f = tpidTest();
    if (hasVid) f = both(std::move(f), loadTest(state.net, 2, 0xfff, op::kJeq, vid));
    state.type.constant += kVlanTagBytes;
    state.llc.constant += kVlanTagBytes;
    state.net.constant += kVlanTagBytes;
  }
  ++state.vlanDepth;
  return f;
}

ir::Fragment Lowerer::mpls(const ast::Node& n) {
  const Span kw{n.span.begin, n.span.begin + static_cast<uint32_t>(n.keywordText.size())};
  ir::Fragment f;
  if (state.mplsDepth > 0) {
    // Another label: the one before it is not the bottom of the stack.
    f = loadTest(Offset{state.net.constant - 2, state.net.cell}, 1, 0x01, op::kJeq, 0);
  } else {
    if (link().mplsType == 0)
      return fail(kw, "'mpls' is not supported on " + linkName() + ", which does not carry MPLS; it works on " +
                          rowsWith([](const LinkLayer& r) { return r.mplsType != 0; }));
    f = linkProto(link().mplsType);
  }
  if (n.keywordArg)  // the 20-bit label at the top of the label word
    f = both(std::move(f), loadTest(state.net, 4, 0xfffff000, op::kJeq, n.keywordArg->number << 12));
  state.net.constant += kMplsLabelBytes;
  ++state.mplsDepth;
  return f;
}

ir::Fragment Lowerer::mplsLinkProto(uint32_t etherType) {
  uint32_t version = etherType == kEtherTypeIp ? 0x40 : etherType == kEtherTypeIp6 ? 0x60 : 0;
  if (version == 0)
    return fail(leafSpan, "only IPv4 and IPv6 can be tested after 'mpls' (the labels do not say what they carry); "
                          "use ip, ip6 or what builds on them (tcp, udp, host, port, ...)");
  const Offset nl = network();
  ir::Fragment bottom = loadTest(Offset{nl.constant - 2, nl.cell}, 1, 0x01, op::kJeq, 1);
  return both(std::move(bottom), loadTest(nl, 1, 0xf0, op::kJeq, version));
}

ir::Fragment Lowerer::pppoe(const ast::Node& n) {
  if (n.keyword == ast::Keyword::Pppoed) return linkProto(kEtherTypePppoed);
  ir::Fragment f = linkProto(kEtherTypePppoes);
  if (failed()) return f;
  if (n.keywordArg)  // the 16-bit session ID after version/type and code
    f = both(std::move(f), loadTest(state.net, 4, 0xffff, op::kJeq, n.keywordArg->number));
  // libpcap 1.10.3 gives the PPP header the payload's scratch register,
  // and then stores a radio header's length there too: the register that
  // held the 802.11 header's offset is never written, and every test that
  // used it reads the frame from offset 0 (lower_offsets.cpp).
  if (row_->ieee80211 && row_->prefixLength) headerCellUnwritten_ = true;
  // What follows is a PPP frame without address and control bytes.
  const Offset ppp = state.net.plus(kPppoeHeaderBytes);
  state.layer = findLinkLayer(kDltPpp);
  state.header = ppp;
  state.type = ppp;
  if (ppp.cell < Offset::kNoCell && !pendingReserved(ppp)) {
    // libpcap copies the payload's offset, register not yet allocated,
    // into the PPP header's and type field's: each gets a register of its
    // own at its first load, which the prologue never writes.
    state.header.cell = pendingCell();
    state.type.cell = pendingCell();
  }
  state.llc = ppp.plus(2);
  state.net = ppp.plus(2);
  return f;
}

ir::Fragment Lowerer::udpTunnel(const ast::Node& n, uint32_t port, uint32_t firstByteMask, uint32_t firstByte) {
  const bool hasVni = n.keywordArg.has_value();
  const uint32_t vni = hasVni ? n.keywordArg->number << 8 : 0;  // the VNI fills the word's upper 3 bytes
  const Offset nl = state.net;
  // Over IPv4: UDP to the port, not a fragment, the header's first byte,
  // the VNI; then A = X = the IPv4 header length.
  auto v4Field = [&](uint32_t at, uint8_t size, uint32_t mask, uint32_t k) {
    std::vector<bpf::Insn> code = ipv4PayloadToX(nl);
    code.push_back(op::insn(op::loadInd(size), nl.constant + at));
    if (mask != (size == 2 ? 0xffffu : size == 1 ? 0xffu : 0xffffffffu)) code.push_back(op::insn(op::kAluK | op::kAnd, mask));
    return builder.test(std::move(code), op::kJeq, k);
  };
  ir::Fragment v4 = linkProto(kEtherTypeIp);
  v4 = both(std::move(v4), both(loadTest(nl.plus(kIpProtoOffset), 1, 0xff, op::kJeq, kUdp), notFragment()));
  v4 = both(std::move(v4), v4Field(2, 2, 0xffff, port));
  v4 = both(std::move(v4), v4Field(kUdpHeaderBytes, 1, firstByteMask, firstByte));
  if (hasVni) v4 = both(std::move(v4), v4Field(kUdpHeaderBytes + 4, 4, 0xffffff00, vni));
  std::vector<bpf::Insn> hlen = ipv4PayloadToX(nl);
  hlen.push_back(op::insn(op::kTxa));
  v4 = both(std::move(v4), builder.test(std::move(hlen), op::kJeq | op::kJumpX, 0));
  // Over IPv6 (no extension headers): the same at fixed offsets; then
  // A = X = 40 plus the run-time part of the network offset, if any.
  const Offset udp6 = nl.plus(kIp6HeaderLength);
  ir::Fragment v6 = linkProto(kEtherTypeIp6);
  v6 = both(std::move(v6), both(loadTest(nl.plus(kIp6NextHeaderOffset), 1, 0xff, op::kJeq, kUdp),
                                loadTest(udp6.plus(2), 2, 0xffff, op::kJeq, port)));
  v6 = both(std::move(v6), loadTest(udp6.plus(kUdpHeaderBytes), 1, firstByteMask, op::kJeq, firstByte));
  if (hasVni) v6 = both(std::move(v6), loadTest(udp6.plus(kUdpHeaderBytes + 4), 4, 0xffffff00, op::kJeq, vni));
  std::vector<bpf::Insn> hlen6{op::insn(op::kLdImm, kIp6HeaderLength)};
  if (nl.variable()) {  // plus the run-time part of the network offset
    hlen6.insert(hlen6.begin(), op::insn(op::kLdxMem, cellOf(nl)));
    hlen6.push_back(op::insn(op::kAluX | op::kAdd));
  }
  hlen6.push_back(op::insn(op::kTax));
  v6 = both(std::move(v6), builder.test(std::move(hlen6), op::kJeq | op::kJumpX, 0));
  ir::Fragment f = either(std::move(v4), std::move(v6));
  if (!failed() && reservedCells() + 3 > bpf::kMemWords)
    return fail(n.span, "too many registers needed to evaluate expression (each '" + n.keywordText +
                            "' takes 3 of the 16)");
  return f;
}

void Lowerer::enterTunnel(const ast::Node& n, uint32_t headerCell, uint32_t typeCell, uint32_t payloadCell) {
  // libpcap's prologue writes the row's run-time offsets into the
  // registers the link header and payload have when parsing ends: the
  // tunnel's (lower_offsets.cpp). The cells its own tests read stay
  // unwritten.
  retargetRowOffsets(static_cast<int>(headerCell), static_cast<int>(payloadCell));
  state.layer = findLinkLayer(kDltEn10mb);
  state.header = Offset{0, static_cast<int>(headerCell)};
  state.type = Offset{0, static_cast<int>(typeCell)};
  state.llc = Offset{0, static_cast<int>(payloadCell)};
  state.net = Offset{0, static_cast<int>(payloadCell)};
  state.tunnel = n.keyword == ast::Keyword::Vxlan ? "vxlan" : "geneve";
}

ir::Fragment Lowerer::geneve(const ast::Node& n) {
  const uint32_t nl = state.net.constant;
  ir::Fragment f = udpTunnel(n, kGenevePort, 0xc0, 0);  // version 0
  if (failed()) return f;

  // From A = the IP header length: where the inner frame's type field,
  // header and payload are, into three new cells.
  const auto typeCell = static_cast<uint32_t>(reserveOffsetCell()),
             headerCell = static_cast<uint32_t>(reserveOffsetCell()),
             payloadCell = static_cast<uint32_t>(reserveOffsetCell());
  ir::Fragment start = builder.test(
      {op::insn(op::kAluK | op::kAdd, nl + kUdpHeaderBytes), op::insn(op::kTax),  // X = Geneve header
       op::insn(op::kAluK | op::kAdd, 2), op::insn(op::kSt, typeCell),           // its protocol type
       op::insn(op::kLdIndB, 0), op::insn(op::kAluK | op::kAnd, 0x3f),             // options, in words
       op::insn(op::kAluK | op::kMul, 4), op::insn(op::kAluK | op::kAdd, kGeneveHeaderBytes),
       op::insn(op::kAluX | op::kAdd), op::insn(op::kSt, headerCell),            // the inner frame
       op::insn(op::kLdIndH, 2), op::insn(op::kLdxMem, headerCell)},
      op::kJeq, kEtherTypeBridging);
  // An Ethernet frame inside: its type field at 12, its payload at 14;
  // else the payload starts right after the Geneve header.
  ir::Fragment ethernet =
      builder.test({op::insn(op::kTxa), op::insn(op::kAluK | op::kAdd, 12), op::insn(op::kSt, typeCell),
                    op::insn(op::kAluK | op::kAdd, 2), op::insn(op::kTax)},
                   op::kJeq, 0);
  ir::Fragment done = run({op::insn(op::kStx, payloadCell)});
  builder.patch(start.trueExits, ethernet.entry);
  builder.patch(start.falseExits, done.entry);
  builder.patch(ethernet.trueExits, done.entry);
  builder.patch(ethernet.falseExits, done.entry);
  f = both(std::move(f), ir::Fragment{start.entry, done.trueExits, done.falseExits});
  enterTunnel(n, headerCell, typeCell, payloadCell);
  return f;
}

ir::Fragment Lowerer::vxlan(const ast::Node& n) {
  const uint32_t nl = state.net.constant;
  ir::Fragment f = udpTunnel(n, kVxlanPort, 0xff, kVxlanFlags);
  if (failed()) return f;

  // From A = the IP header length: the inner Ethernet frame starts right
  // after the 8-byte VXLAN header, its type field 12 bytes in, its
  // payload 14 (libpcap master takes the cells in this order).
  const auto headerCell = static_cast<uint32_t>(reserveOffsetCell()),
             typeCell = static_cast<uint32_t>(reserveOffsetCell()),
             payloadCell = static_cast<uint32_t>(reserveOffsetCell());
  f = both(std::move(f), run({op::insn(op::kAluK | op::kAdd, nl + kUdpHeaderBytes + kVxlanHeaderBytes),
                              op::insn(op::kSt, headerCell), op::insn(op::kAluK | op::kAdd, 12),
                              op::insn(op::kSt, typeCell), op::insn(op::kAluK | op::kAdd, 2),
                              op::insn(op::kSt, payloadCell)}));
  enterTunnel(n, headerCell, typeCell, payloadCell);
  return f;
}

ir::Fragment Lowerer::encapsulatedLinkCheck() {
  // Inside Geneve there is a MAC header only when the inner frame is
  // Ethernet, i.e. its header does not start where its payload does;
  // inside VXLAN there always is one, but libpcap asks all the same.
  if (!state.tunnel) return always(true);
  return negate(builder.test({op::insn(op::kLdMem, static_cast<uint32_t>(state.header.cell)),
                              op::insn(op::kLdxMem, static_cast<uint32_t>(state.net.cell))},
                             op::kJeq | op::kJumpX, 0));
}

}  // namespace sift::compiler::detail
