// Lowering driver: walks the resolved tree, combines primitives with
// true/false jump lists (and: left true exits -> right entry; or: left false
// exits -> right entry; not: swap the lists) and closes the program with
// `ret #snaplen` / `ret #0`. The primitives themselves are lowered by the
// protocol-family files listed in lower_internal.h.
#include <string>
#include <vector>

#include "compiler/lower_internal.h"
#include "sift/linktype.h"

namespace sift::compiler {

namespace detail {

uint16_t op::loadAbs(uint8_t size) { return size == 4 ? kLdAbsW : size == 2 ? kLdAbsH : kLdAbsB; }
uint16_t op::loadInd(uint8_t size) { return size == 4 ? kLdIndW : size == 2 ? kLdIndH : kLdIndB; }

std::string protoText(const ast::Node& n) {
  const ast::Qualifiers& q = finalQuals(n);
  if (!q.protoText.empty()) return q.protoText;
  if (!n.quals.protoText.empty()) return n.quals.protoText;
  if (!n.protoText.empty()) return n.protoText;
  ast::Proto p = n.kind == ast::NodeKind::Primitive ? q.proto : n.proto;
  return ast::protoName(p);
}

ir::Fragment Lowerer::fail(Span span, std::string message) {
  if (!error) error = Diagnostic::error(span, std::move(message));
  return always(false);
}

void Lowerer::discard(const ir::Fragment& f) {
  if (deadEnd == ir::kNoBlock) deadEnd = builder.returnBlock(0);
  builder.patch(f.trueExits, deadEnd);
  builder.patch(f.falseExits, deadEnd);
}

ir::Fragment Lowerer::node(const ast::Node& n) {
  if (failed()) return always(false);
  if (n.kind != ast::NodeKind::And && n.kind != ast::NodeKind::Or && n.kind != ast::NodeKind::Not) leafSpan = n.span;
  switch (n.kind) {
    case ast::NodeKind::And:
    case ast::NodeKind::Or: {
      // `a or b or c ...` parses into a left-deep chain as long as the
      // expression; walk its spine with a loop, not recursion.
      std::vector<const ast::Node*> spine;
      const ast::Node* leftmost = &n;
      while (leftmost->kind == ast::NodeKind::And || leftmost->kind == ast::NodeKind::Or) {
        spine.push_back(leftmost);
        leftmost = leftmost->children.at(0).get();
      }
      ir::Fragment f = node(*leftmost);
      for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
        ir::Fragment right = node(*(*it)->children.at(1));
        f = (*it)->kind == ast::NodeKind::And ? both(std::move(f), std::move(right))
                                              : either(std::move(f), std::move(right));
      }
      return f;
    }
    case ast::NodeKind::Not:
      return negate(node(*n.children.at(0)));
    case ast::NodeKind::Primitive:
      switch (finalQuals(n).kind) {
        case ast::AddrKind::Default:
        case ast::AddrKind::Host:
        case ast::AddrKind::Net:
          if (n.resolved.decnet) return decnetHost(n);
          if (n.resolved.mac || n.resolved.mac8 || finalQuals(n).proto == ast::Proto::Link) return macHost(n);
          return hostOrNet(n);
        case ast::AddrKind::Port:
        case ast::AddrKind::PortRange:
          return port(n);
        case ast::AddrKind::Proto:
          return protoPrimitive(n);
        case ast::AddrKind::Protochain:
          return protochain(n);
        case ast::AddrKind::Gateway:
          return fail(n.span, "'" + std::string(ast::addrKindName(finalQuals(n).kind)) +
                                  "' is not supported yet");
      }
      return fail(n.span, "unknown primitive");
    case ast::NodeKind::Abbrev:
      return abbrev(n.proto, n.span, protoText(n));
    case ast::NodeKind::Broadcast:
      return broadcast(n);
    case ast::NodeKind::Multicast:
      return multicast(n);
    case ast::NodeKind::Less:
    case ast::NodeKind::Greater:
      return lengthTest(n);
    case ast::NodeKind::Relation:
      return relation(n);
    case ast::NodeKind::Keyword:
      switch (n.keyword) {
        case ast::Keyword::Llc: return llcKeyword(n);
        case ast::Keyword::Inbound:
        case ast::Keyword::Outbound: return direction(n);
        case ast::Keyword::Ifindex: return ifindex(n);
        case ast::Keyword::Type:
        case ast::Keyword::Subtype:
        case ast::Keyword::WlanDir: return wlanField(n);
        case ast::Keyword::Vlan:
        case ast::Keyword::Mpls:
        case ast::Keyword::Pppoed:
        case ast::Keyword::Pppoes:
        case ast::Keyword::Geneve:
        case ast::Keyword::Vxlan: return encapsulation(n);
        case ast::Keyword::Lane:
        case ast::Keyword::Atm:
        case ast::Keyword::AtmField: return atmKeyword(n);
        case ast::Keyword::Ss7:
        case ast::Keyword::Ss7Field: return ss7Keyword(n);
        case ast::Keyword::Ifname:
        case ast::Keyword::Ruleset:
        case ast::Keyword::Rnr:
        case ast::Keyword::Srnr:
        case ast::Keyword::Reason:
        case ast::Keyword::Action: return pflogField(n);
        default: return fail(n.span, "'" + n.keywordText + "' is not supported yet");
      }
  }
  return fail(n.span, "unknown expression node");
}

}  // namespace detail

namespace {

/// Whether libpcap turns its optimizer off for the expression: it does for
/// `protochain`, `geneve` and `vxlan` wherever they appear (libpcap master
/// turned it off for `vxlan` because its optimizer dropped a live store of
/// the inner offsets).
bool libpcapSkipsOptimizer(const ast::Node& n) {
  if (n.kind == ast::NodeKind::Primitive && detail::finalQuals(n).kind == ast::AddrKind::Protochain) return true;
  if (n.kind == ast::NodeKind::Keyword && (n.keyword == ast::Keyword::Geneve || n.keyword == ast::Keyword::Vxlan))
    return true;
  // Left-deep and/or chains as long as the expression: walk the spine.
  const ast::Node* at = &n;
  while (at->kind == ast::NodeKind::And || at->kind == ast::NodeKind::Or || at->kind == ast::NodeKind::Not) {
    for (size_t i = 1; i < at->children.size(); ++i)
      if (libpcapSkipsOptimizer(*at->children[i])) return true;
    at = at->children.at(0).get();
    if (at->kind != ast::NodeKind::And && at->kind != ast::NodeKind::Or && at->kind != ast::NodeKind::Not)
      return libpcapSkipsOptimizer(*at);
  }
  return false;
}

ir::Program acceptAll(uint32_t snaplen) {
  ir::Builder b;
  ir::Program p = std::move(b.program());
  p.entry = 0;
  p.blocks.push_back(ir::Block{{}, ir::TermKind::Return, detail::op::insn(0x06, snaplen)});
  return p;
}
}  // namespace

Expected<ir::Program> lower(const ast::Tree& tree, const LowerOptions& options) {
  const LinkLayer* link = findLinkLayer(options.linktype);
  if (!link) {
    std::string name = linktypeName(options.linktype);
    Span all{0, static_cast<uint32_t>(tree.source.size())};
    if (awaitingRow(options.linktype)) {
      // libpcap compiles the empty expression there, needing nothing from
      // the link layer.
      if (!tree.root) return acceptAll(options.snaplen);
      return Diagnostic::error(all, "filters on DLT_" + name + " are not supported yet");
    }
    // libpcap refuses any expression, the empty one too, for a link type it
    // does not know.
    return Diagnostic::error(all, "unknown data link type " + std::to_string(options.linktype) +
                                      ": no filter compiles for it, not even the empty one (sift --list-linktypes "
                                      "shows the link types libpcap knows; on DLT 104 to 289 it allows "
                                      "link[...], len, less and greater)");
  }
  if (!tree.root) return acceptAll(options.snaplen);
  detail::Lowerer lw(*link, options);
  lw.libpcapUnoptimized = libpcapSkipsOptimizer(*tree.root);
  ir::Fragment f = lw.prologue(lw.node(*tree.root));
  if (lw.error) return std::move(*lw.error);
  if (lw.libpcapUnoptimized || !lw.offsetCodeUnoptimized) return lw.builder.finish(std::move(f), options.snaplen);
  // The offset code the prologue needs keeps libpcap from optimizing:
  // lower again as its unoptimized code has it.
  detail::Lowerer again(*link, options);
  again.libpcapUnoptimized = true;
  ir::Fragment g = again.prologue(again.node(*tree.root));
  if (again.error) return std::move(*again.error);
  return again.builder.finish(std::move(g), options.snaplen);
}

}  // namespace sift::compiler
