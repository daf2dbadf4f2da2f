// Lowering of the PFLOG header fields (`on`, `ruleset`, `rnr`, `srnr`,
// `reason`, `action`) and the hooks of the PFLOG row (its address-family
// byte, the payload after its variable-length header).
//
// As libpcap 1.10.3 does: an interface or ruleset name is compared for as
// many bytes as it has, without the NUL (so `on em0` also matches `em0.1`),
// the last four bytes first; rule numbers are 32-bit compares; reason and
// action one byte each. The payload starts at the header's length byte
// rounded up to a multiple of 4.
#include <string>

#include "compiler/lower_internal.h"
#include "compiler/pflog.h"

namespace sift::compiler::detail {

namespace {

std::string pflogLinks() {
  std::string out;
  for (const LinkLayer& row : linkLayers())
    if (row.features & kPflogFields) out += (out.empty() ? "DLT_" : ", DLT_") + std::string(row.name);
  return out;
}

}  // namespace

ir::Fragment pflogLinkType(Lowerer& lw, uint32_t etherType) {
  // The address family, one byte (AF_INET, AF_INET6 as Linux numbers them).
  uint32_t af = etherType == kEtherTypeIp ? kAfInet : etherType == kEtherTypeIp6 ? kAfInet6 : 0;
  if (af == 0) return lw.always(false);
  return lw.loadTest(lw.linkHeader().plus(pflog::kAfOffset), 1, 0xff, op::kJeq, af);
}

ir::Fragment pflogPayload(Lowerer& lw, Offset, int cell) {
  return lw.straight({op::insn(op::kLdAbsB, pflog::kLengthOffset), op::insn(op::kAluK | op::kAdd, 3),
                      op::insn(op::kAluK | op::kAnd, 0xfffffffc), op::insn(op::kSt, static_cast<uint32_t>(cell)),
                      op::insn(op::kTax)});
}

ir::Fragment Lowerer::pflogField(const ast::Node& n) {
  const Span kwSpan{n.span.begin, n.span.begin + static_cast<uint32_t>(n.keywordText.size())};
  if (!(link().features & kPflogFields))
    return fail(kwSpan, "'" + n.keywordText + "' tests a PFLOG header field; it works on " + pflogLinks() +
                            ", not " + linkName());
  const Offset header = linkHeader();
  switch (n.keyword) {
    case ast::Keyword::Ifname:
    case ast::Keyword::Ruleset: {
      const ast::Id& arg = *n.keywordArg;
      const bool ifname = n.keyword == ast::Keyword::Ifname;
      if (arg.text.size() >= pflog::kNameFieldSize)
        return fail(arg.span, std::string(ifname ? "an interface" : "a ruleset") + " name in a PFLOG header is at most " +
                                  std::to_string(pflog::kNameFieldSize - 1) + " characters, not " +
                                  std::to_string(arg.text.size()));
      const Offset at = header.plus(ifname ? pflog::kIfnameOffset : pflog::kRulesetOffset);
      const std::string& v = arg.text;
      // Four bytes at a time from the end, then two, then one.
      std::optional<ir::Fragment> f;
      auto add = [&](ir::Fragment t) { f = f ? both(std::move(*f), std::move(t)) : std::move(t); };
      size_t size = v.size();
      auto byteAt = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(v[i])); };
      while (size >= 4) {
        const size_t i = size - 4;
        add(loadTest(at.plus(static_cast<uint32_t>(i)), 4, 0xffffffff, op::kJeq,
                     byteAt(i) << 24 | byteAt(i + 1) << 16 | byteAt(i + 2) << 8 | byteAt(i + 3)));
        size -= 4;
      }
      while (size >= 2) {
        const size_t i = size - 2;
        add(loadTest(at.plus(static_cast<uint32_t>(i)), 2, 0xffff, op::kJeq, byteAt(i) << 8 | byteAt(i + 1)));
        size -= 2;
      }
      if (size > 0) add(loadTest(at, 1, 0xff, op::kJeq, byteAt(0)));
      return std::move(*f);
    }
    case ast::Keyword::Rnr:
      return loadTest(header.plus(pflog::kRuleNumberOffset), 4, 0xffffffff, op::kJeq, n.number);
    case ast::Keyword::Srnr:
      return loadTest(header.plus(pflog::kSubruleNumberOffset), 4, 0xffffffff, op::kJeq, n.number);
    case ast::Keyword::Reason:
      return loadTest(header.plus(pflog::kReasonOffset), 1, 0xff, op::kJeq, n.number);
    case ast::Keyword::Action:
      return loadTest(header.plus(pflog::kActionOffset), 1, 0xff, op::kJeq, n.number);
    default:
      break;
  }
  return fail(n.span, "unknown PFLOG keyword");
}

}  // namespace sift::compiler::detail
