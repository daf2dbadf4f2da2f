// PFLOG reason and action names (compiler/pflog.h).
#include "compiler/pflog.h"

#include <array>

namespace sift::compiler::pflog {

namespace {

struct Name {
  std::string_view name;
  uint32_t number;
};

// OpenBSD's PFRES_* values, the portable ones libpcap knows on Linux.
constexpr std::array<Name, 15> kReasons{{
    {"match", 0}, {"bad-offset", 1}, {"fragment", 2}, {"short", 3}, {"normalize", 4},
    {"memory", 5}, {"bad-timestamp", 6}, {"congestion", 7}, {"ip-option", 8},
    {"proto-cksum", 9}, {"state-mismatch", 10}, {"state-insert", 11}, {"state-limit", 12},
    {"src-limit", 13}, {"synproxy", 14},
}};

// PF_PASS ... PF_SYNPROXY_DROP; accept and block are libpcap's synonyms.
constexpr std::array<Name, 13> kActions{{
    {"pass", 0}, {"accept", 0}, {"drop", 1}, {"block", 1}, {"scrub", 2}, {"noscrub", 3},
    {"nat", 4}, {"nonat", 5}, {"binat", 6}, {"nobinat", 7}, {"rdr", 8}, {"nordr", 9},
    {"synproxy-drop", 10},
}};

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <size_t N>
std::optional<uint32_t> find(const std::array<Name, N>& table, std::string_view name) {
  for (const Name& n : table)
    if (equalsIgnoringCase(n.name, name)) return n.number;
  return std::nullopt;
}

template <size_t N>
std::string join(const std::array<Name, N>& table) {
  std::string out;
  for (const Name& n : table) out += (out.empty() ? "" : ", ") + std::string(n.name);
  return out;
}

}  // namespace

std::optional<uint32_t> reasonNumber(std::string_view name) { return find(kReasons, name); }
std::optional<uint32_t> actionNumber(std::string_view name) { return find(kActions, name); }
std::string reasonNames() { return join(kReasons); }
std::string actionNames() { return join(kActions); }

}  // namespace sift::compiler::pflog
