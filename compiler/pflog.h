// The PFLOG header (OpenBSD's struct pfloghdr, as libpcap reads it) and the
// names libpcap 1.10.3 accepts for its reason and action fields on Linux.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sift::compiler::pflog {

/// Field offsets from the start of the PFLOG header.
inline constexpr uint32_t kLengthOffset = 0, kAfOffset = 1, kActionOffset = 2, kReasonOffset = 3,
                          kIfnameOffset = 4, kRulesetOffset = 20, kRuleNumberOffset = 36,
                          kSubruleNumberOffset = 40, kDirectionOffset = 60;
/// The ifname and ruleset fields hold up to 15 characters and a NUL.
inline constexpr size_t kNameFieldSize = 16;
/// The direction field: PF_IN, PF_OUT.
inline constexpr uint32_t kDirIn = 1, kDirOut = 2;

/// The number of a reason name (`match`, `bad-offset`, ...), any case.
std::optional<uint32_t> reasonNumber(std::string_view name);
/// The number of an action name (`pass`/`accept`, `drop`/`block`, ...).
std::optional<uint32_t> actionNumber(std::string_view name);
/// The names, comma-separated, for messages.
std::string reasonNames();
std::string actionNames();

}  // namespace sift::compiler::pflog
