// 802.11 frame-control names and values for 'type', 'subtype' and 'dir',
// looked up case-insensitively and range-checked as libpcap 1.10.3's
// grammar does (compiler/resolve calls frameControl(); lowering, in
// compiler/lower_80211.cpp, tests what it returns).
//
// libpcap's quirks kept: a type or subtype number is the field's bits in
// place (data is 8, a subtype is a multiple of 0x10), 'subtype' alone takes
// only a name (searched in the management, control and data tables in that
// order), and 'dir' takes any number, compared with the two DS bits.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "compiler/ieee80211_names.h"

namespace sift::compiler::ieee80211 {

namespace {

constexpr uint32_t kTypeMask = 0x0c, kSubtypeMask = 0xf0, kTypeSubtypeMask = 0xfc, kDirMask = 0x03;
constexpr uint32_t kTypeMgt = 0x00, kTypeCtl = 0x04, kTypeData = 0x08;

// ---- names (case-insensitive, as libpcap looks them up) ----

struct Name {
  std::string_view name;
  uint32_t value;
};

constexpr Name kTypes[] = {
    {"data", kTypeData}, {"mgt", kTypeMgt}, {"management", kTypeMgt}, {"ctl", kTypeCtl}, {"control", kTypeCtl},
};
constexpr Name kMgtSubtypes[] = {
    {"assocreq", 0x00},    {"assoc-req", 0x00},    {"assocresp", 0x10},   {"assoc-resp", 0x10},
    {"reassocreq", 0x20},  {"reassoc-req", 0x20},  {"reassocresp", 0x30}, {"reassoc-resp", 0x30},
    {"probereq", 0x40},    {"probe-req", 0x40},    {"proberesp", 0x50},   {"probe-resp", 0x50},
    {"beacon", 0x80},      {"atim", 0x90},         {"disassoc", 0xa0},    {"disassociation", 0xa0},
    {"auth", 0xb0},        {"authentication", 0xb0}, {"deauth", 0xc0},    {"deauthentication", 0xc0},
};
constexpr Name kCtlSubtypes[] = {
    {"ps-poll", 0xa0}, {"rts", 0xb0}, {"cts", 0xc0}, {"ack", 0xd0}, {"cf-end", 0xe0}, {"cf-end-ack", 0xf0},
};
constexpr Name kDataSubtypes[] = {
    {"data", 0x00},          {"data-cf-ack", 0x10},      {"data-cf-poll", 0x20},
    {"data-cf-ack-poll", 0x30}, {"null", 0x40},          {"cf-ack", 0x50},
    {"cf-poll", 0x60},       {"cf-ack-poll", 0x70},      {"qos-data", 0x80},
    {"qos-data-cf-ack", 0x90}, {"qos-data-cf-poll", 0xa0}, {"qos-data-cf-ack-poll", 0xb0},
    {"qos", 0xc0},           {"qos-cf-poll", 0xe0},      {"qos-cf-ack-poll", 0xf0},
};
struct SubtypeTable {
  uint32_t type;
  std::string_view typeName;
  std::span<const Name> names;
};
// In the order libpcap searches them for a bare `subtype NAME`.
constexpr SubtypeTable kSubtypeTables[] = {
    {kTypeMgt, "mgt", kMgtSubtypes}, {kTypeCtl, "ctl", kCtlSubtypes}, {kTypeData, "data", kDataSubtypes}};
constexpr Name kDirs[] = {{"nods", 0}, {"tods", 1}, {"fromds", 2}, {"dstods", 3}};

bool sameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<uint32_t> lookup(std::span<const Name> names, std::string_view text) {
  for (const Name& n : names)
    if (sameIgnoringCase(n.name, text)) return n.value;
  return std::nullopt;
}

std::string spell(std::span<const Name> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i].name;
  }
  return out;
}

std::string hex(uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + out;
}

using FrameControl = ast::Node::Resolved::FrameControl;

FrameControl test(uint8_t byte, uint32_t mask, uint32_t value) {
  return FrameControl{byte, static_cast<uint8_t>(mask), value};
}

}  // namespace

Expected<FrameControl> frameControl(const ast::Node& n) {
  const ast::Id& arg = *n.keywordArg;
  if (n.keyword == ast::Keyword::WlanDir) {
    if (arg.form == ast::IdForm::Number) return test(1, kDirMask, arg.number);
    if (std::optional<uint32_t> d = lookup(kDirs, arg.text)) return test(1, kDirMask, *d);
    return Diagnostic::error(arg.span, "unknown 802.11 direction '" + arg.text + "'; 'dir' takes " + spell(kDirs) +
                                           " or a number");
  }
  if (n.keyword == ast::Keyword::Subtype) {
    for (const SubtypeTable& t : kSubtypeTables)
      if (std::optional<uint32_t> s = lookup(t.names, arg.text)) return test(0, kTypeSubtypeMask, t.type | *s);
    return Diagnostic::error(arg.span, "unknown 802.11 subtype '" + arg.text +
                                           "'; 'subtype' alone takes a name such as beacon, ack or qos-data "
                                           "('type T subtype N' takes a number)");
  }
  uint32_t type = arg.number;
  if (arg.form == ast::IdForm::Number) {
    if ((type & ~kTypeMask) != 0)
      return Diagnostic::error(arg.span, "invalid 802.11 type " + hex(type) +
                                             "; a type number is the type bits in place: 0 (mgt), 4 (ctl), "
                                             "8 (data) or 0xc");
  } else {
    std::optional<uint32_t> t = lookup(kTypes, arg.text);
    if (!t)
      return Diagnostic::error(arg.span, "unknown 802.11 type '" + arg.text + "'; 'type' takes " + spell(kTypes) +
                                             " or a number");
    type = *t;
  }
  if (!n.keywordArg2) return test(0, kTypeMask, type);
  const ast::Id& sub = *n.keywordArg2;
  if (sub.form == ast::IdForm::Number) {
    if ((sub.number & ~kSubtypeMask) != 0)
      return Diagnostic::error(sub.span, "invalid 802.11 subtype " + hex(sub.number) +
                                             "; a subtype number is the subtype bits in place, a multiple of "
                                             "0x10 up to 0xf0, as in 'type data subtype 0x80'");
    return test(0, kTypeSubtypeMask, type | sub.number);
  }
  const SubtypeTable* table = nullptr;
  for (const SubtypeTable& t : kSubtypeTables)
    if (t.type == type) table = &t;
  if (!table)
    return Diagnostic::error(sub.span, "802.11 type " + hex(type) + " has no subtype names; give the subtype "
                                           "as a number");
  std::optional<uint32_t> s = lookup(table->names, sub.text);
  if (!s)
    return Diagnostic::error(sub.span, "unknown subtype '" + sub.text + "' of 802.11 type " +
                                           std::string(table->typeName) + "; it has " + spell(table->names));
  return test(0, kTypeSubtypeMask, type | *s);
}

}  // namespace sift::compiler::ieee80211
