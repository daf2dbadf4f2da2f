// Lowering of the 802.2 LLC and OSI family, as libpcap 1.10.3 builds it:
//  - `llc` and `llc KIND` (I/S/U formats, S and U commands): an 802.2
//    header (on Ethernet: a length, not Novell raw 802.3), then the control
//    byte after DSAP and SSAP;
//  - the abbreviations that name a link-level protocol (atalk aarp decnet
//    lat sca moprc mopdl, and the LLC SAPs stp ipx netbeui iso), tested
//    through the link-type test, and the OSI network-layer ones (clnp esis
//    isis, the IS-IS PDU groups l1 l2 iih lsp snp csnp psnp), which add the
//    NLPID and the IS-IS PDU type;
//  - `iso proto N` and `isis proto N`;
//  - `decnet host/src/dst AREA.NODE`: the four DECnet routing headers
//    (short or long, with or without a padding byte), data packets only.
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kEtherMtu = 1500;
constexpr uint32_t kLlcSapIso = 0xfe;
constexpr uint32_t kNlpidClnp = 0x81, kNlpidEsis = 0x82, kNlpidIsis = 0x83;
constexpr uint32_t kEtherTypeDecnet = 0x6003;
/// The IS-IS PDU type is the fifth byte of the IS-IS header.
constexpr uint32_t kIsisPduTypeOffset = 4;

/// An abbreviation and what it tests: a link-level protocol (EtherType or
/// LLC SAP), an OSI NLPID, or a group of IS-IS PDU types (in the order
/// libpcap ORs them).
struct OsiAbbrev {
  ast::Proto proto;
  enum Kind : uint8_t { Link, Nlpid, IsisPdus } kind;
  uint32_t number;  // Link: EtherType or SAP; Nlpid: the NLPID
  std::initializer_list<uint32_t> pdus;
};

const OsiAbbrev kOsiAbbrevs[] = {
    {ast::Proto::Atalk, OsiAbbrev::Link, 0x809b, {}},
    {ast::Proto::Aarp, OsiAbbrev::Link, 0x80f3, {}},
    {ast::Proto::Decnet, OsiAbbrev::Link, kEtherTypeDecnet, {}},
    {ast::Proto::Lat, OsiAbbrev::Link, 0x6004, {}},
    {ast::Proto::Sca, OsiAbbrev::Link, 0x6007, {}},
    {ast::Proto::Moprc, OsiAbbrev::Link, 0x6002, {}},
    {ast::Proto::Mopdl, OsiAbbrev::Link, 0x6001, {}},
    {ast::Proto::Stp, OsiAbbrev::Link, 0x42, {}},
    {ast::Proto::Ipx, OsiAbbrev::Link, 0xe0, {}},
    {ast::Proto::Netbeui, OsiAbbrev::Link, 0xf0, {}},
    {ast::Proto::Iso, OsiAbbrev::Link, kLlcSapIso, {}},
    {ast::Proto::Clnp, OsiAbbrev::Nlpid, kNlpidClnp, {}},
    {ast::Proto::Esis, OsiAbbrev::Nlpid, kNlpidEsis, {}},
    {ast::Proto::Isis, OsiAbbrev::Nlpid, kNlpidIsis, {}},
    // L1/L2 IIH 15/16, PTP IIH 17, L1/L2 LSP 18/20, L1/L2 CSNP 24/25,
    // L1/L2 PSNP 26/27.
    {ast::Proto::L1, OsiAbbrev::IsisPdus, 0, {26, 24, 18, 15, 17}},
    {ast::Proto::L2, OsiAbbrev::IsisPdus, 0, {27, 25, 20, 16, 17}},
    {ast::Proto::Iih, OsiAbbrev::IsisPdus, 0, {17, 15, 16}},
    {ast::Proto::Lsp, OsiAbbrev::IsisPdus, 0, {18, 20}},
    {ast::Proto::Snp, OsiAbbrev::IsisPdus, 0, {27, 26, 24, 25}},
    {ast::Proto::Csnp, OsiAbbrev::IsisPdus, 0, {24, 25}},
    {ast::Proto::Psnp, OsiAbbrev::IsisPdus, 0, {26, 27}},
};

const OsiAbbrev* findOsiAbbrev(ast::Proto p) {
  for (const OsiAbbrev& a : kOsiAbbrevs)
    if (a.proto == p) return &a;
  return nullptr;
}

uint32_t swap16(uint32_t v) { return (v >> 8 & 0xff) | (v << 8 & 0xff00); }

}  // namespace

bool Lowerer::isOsiAbbrev(ast::Proto proto) { return findOsiAbbrev(proto) != nullptr; }

Offset Lowerer::nlpidPlace() {
  if (!link().nlNoSnapOffset) return network();
  if (state.moved) return state.llc.plus(*link().nlNoSnapOffset - link().llcOffset);
  return (link().payloadOffset ? linkPayload() : linkHeader()).plus(*link().nlNoSnapOffset);
}

ir::Fragment Lowerer::osiAbbrev(ast::Proto proto) {
  const OsiAbbrev* a = findOsiAbbrev(proto);
  switch (a->kind) {
    case OsiAbbrev::Link: return linkProto(a->number);
    case OsiAbbrev::Nlpid: return isoProto(a->number);
    case OsiAbbrev::IsisPdus: {
      std::optional<ir::Fragment> all;
      for (uint32_t t : a->pdus) {
        ir::Fragment f = isisProto(t);
        all = all ? either(std::move(*all), std::move(f)) : std::move(f);
      }
      return std::move(*all);
    }
  }
  return always(false);
}

ir::Fragment Lowerer::isoProto(uint32_t nlpid) {
  if (link().nlpidTypeHigh) return loadTest(typeField(), 2, 0xffff, op::kJeq, link().nlpidTypeHigh << 8 | nlpid);
  ir::Fragment iso = linkProto(kLlcSapIso);
  return both(std::move(iso), loadTest(nlpidPlace(), 1, 0xff, op::kJeq, nlpid));
}

ir::Fragment Lowerer::isisProto(uint32_t pduType) {
  // libpcap 1.10.3 compares the whole byte (later versions mask 5 bits).
  ir::Fragment isis = isoProto(kNlpidIsis);
  const Offset pduType0 = link().isisPduTypeOffset ? linkHeader().plus(*link().isisPduTypeOffset)
                                                 : nlpidPlace().plus(kIsisPduTypeOffset);
  return both(std::move(isis), loadTest(pduType0, 1, 0xff, op::kJeq, pduType));
}

ir::Fragment Lowerer::osiProtoPrimitive(const ast::Node& n) {
  const uint32_t value = n.resolved.portLow;
  return finalQuals(n).proto == ast::Proto::Isis ? isisProto(value) : isoProto(value);
}

ir::Fragment Lowerer::llcKeyword(const ast::Node& n) {
  if (link().llc == LlcFrames::None) {
    return fail(n.span, "'llc' is not supported on " + linkName() +
                            ", whose frames have no 802.2 LLC header; it works on " +
                            rowsWith([](const LinkLayer& l) { return l.llc != LlcFrames::None; }));
  }
  const Offset llcHeader = llc();
  std::optional<ir::Fragment> isLlc;
  if (link().llc == LlcFrames::LengthField) {
    // A length rather than an EtherType, and not Novell's raw 802.3.
    ir::Fragment length = negate(loadTest(typeField(), 2, 0xffff, op::kJgt, kEtherMtu));
    isLlc = both(std::move(length), negate(loadTest(llcHeader, 2, 0xffff, op::kJeq, 0xffff)));
  } else if (link().llc == LlcFrames::Ieee80211Data) {
    isLlc = wlanDataFrame();
  }
  if (link().llc == LlcFrames::Checked)
    isLlc = loadTest(linkHeader().plus(link().magic.offset), link().magic.size, link().magic.mask, op::kJeq, link().magic.value);
  if (!n.resolved.llc) return isLlc ? std::move(*isLlc) : always(true);
  const ast::Node::Resolved::LlcControl& c = *n.resolved.llc;
  // The control field follows DSAP and SSAP.
  const Offset control = llcHeader.plus(2);
  ir::Fragment kind = c.iFrame ? negate(loadTest(control, 1, 0xff, op::kJset, 0x01))
                               : loadTest(control, 1, c.mask, op::kJeq, c.value);
  return isLlc ? both(std::move(*isLlc), std::move(kind)) : std::move(kind);
}

ir::Fragment Lowerer::decnetHost(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  // The address is little-endian in the packet; libpcap (on a
  // little-endian host, like the oracle's) compares it byte-swapped.
  const uint32_t addr = swap16(*n.resolved.decnet);
  const Offset flags = network().plus(2);  // the routing flags, after the 2-byte length
  ir::Fragment dn = linkProto(kEtherTypeDecnet);
  ir::Fragment hosts = directional(q.dir, q.dirSpan.empty() ? n.span : q.dirSpan, [&](bool src) {
    // Offsets of the address from the flags byte: short header
    // (flags, dst, src, ...) and long header (flags, d-area, d-subarea,
    // d-id (HIORD + address), s-area, s-subarea, s-id, ...).
    const uint32_t shortOff = src ? 3 : 1, longOff = src ? 15 : 7;
    auto layout = [&](bool longHeader, bool padded) {
      const uint32_t kindBits = longHeader ? 0x06 : 0x02;
      ir::Fragment kind = padded ? loadTest(flags, 2, 0xff07, op::kJeq, 0x8100 | kindBits)
                                 : loadTest(flags, 1, 0x07, op::kJeq, kindBits);
      const Offset at = flags.plus((padded ? 1 : 0) + (longHeader ? longOff : shortOff));
      return both(std::move(kind), loadTest(at, 2, 0xffff, op::kJeq, addr));
    };
    ir::Fragment f = layout(false, false);
    f = either(std::move(f), layout(false, true));
    f = either(std::move(f), layout(true, false));
    return either(std::move(f), layout(true, true));
  });
  return both(std::move(dn), std::move(hosts));
}

}  // namespace sift::compiler::detail
