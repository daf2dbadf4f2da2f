// Lowering of `inbound`, `outbound` and `ifindex N`.
//
// Link types whose header records the direction or the interface (Linux
// cooked captures, ...) test that field, as libpcap 1.10.3 does. Any other
// link type has them only on a live Linux socket, where the kernel's
// ancillary loads give the packet type (PACKET_OUTGOING = 4) and the
// interface index; sift emits those only when CompileOptions says the
// program is for such a socket (libpcap 1.10.3 emits them for capture
// files too, where they reject every packet).
#include <string>

#include "compiler/lower_internal.h"

namespace sift::compiler::detail {

namespace {

constexpr uint32_t kSkfAdOff = 0xfffff000;  // SKF_AD_OFF (-4096)
constexpr uint32_t kSkfAdPktType = 4, kSkfAdIfindex = 8;
constexpr uint32_t kPacketOutgoing = 4;

}  // namespace

std::string Lowerer::rowsWith(bool (*has)(const LinkLayer&)) const {
  std::string with;
  for (const LinkLayer& row : linkLayers())
    if (has(row)) with += (with.empty() ? "DLT_" : ", DLT_") + std::string(row.name);
  return with;
}

ir::Fragment Lowerer::direction(const ast::Node& n) {
  const bool outbound = n.keyword == ast::Keyword::Outbound;
  if (link().direction) {
    const DirectionField& d = *link().direction;
    std::optional<uint32_t> mine = outbound ? d.outboundValue : d.inboundValue;
    if (mine) return loadTest(linkHeader().plus(d.offset), d.size, d.mask, op::kJeq, *mine);
    std::optional<uint32_t> other = outbound ? d.inboundValue : d.outboundValue;
    return negate(loadTest(linkHeader().plus(d.offset), d.size, d.mask, op::kJeq, other.value_or(0)));
  }
  if (options.liveLinuxSocket) {
    ir::Fragment out = loadTest(kSkfAdOff + kSkfAdPktType, 2, 0xffff, op::kJeq, kPacketOutgoing);
    return outbound ? std::move(out) : negate(std::move(out));
  }
  return fail(n.span, "'" + n.keywordText + "' is not supported on " + linkName() +
                          ", whose headers do not record the direction; it works on " +
                          rowsWith([](const LinkLayer& l) { return l.direction.has_value(); }) +
                          " and on live Linux captures");
}

ir::Fragment Lowerer::ifindex(const ast::Node& n) {
  const uint32_t index = n.keywordArg ? n.keywordArg->number : 0;
  if (link().ifindexOffset) return loadTest(linkHeader().plus(*link().ifindexOffset), 4, 0xffffffff, op::kJeq, index);
  if (options.liveLinuxSocket) return loadTest(kSkfAdOff + kSkfAdIfindex, 4, 0xffffffff, op::kJeq, index);
  return fail(n.span, "'ifindex' is not supported on " + linkName() +
                          ", whose headers do not record the interface; it works on " +
                          rowsWith([](const LinkLayer& l) { return l.ifindexOffset.has_value(); }) +
                          " and on live Linux captures");
}

}  // namespace sift::compiler::detail
