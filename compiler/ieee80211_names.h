// 802.11 frame-control names for 'type', 'subtype' and 'dir'
// (compiler/ieee80211_names.cpp): what compiler/resolve looks up, and what
// lowering (compiler/lower_80211.cpp) then tests.
#pragma once

#include "grammar/ast.h"
#include "sift/diagnostics.h"

namespace sift::compiler::ieee80211 {

/// 'type T [subtype S]', 'subtype S', 'dir D': the frame-control test they
/// name, or why the name or number is invalid (with its span).
Expected<ast::Node::Resolved::FrameControl> frameControl(const ast::Node& n);

}  // namespace sift::compiler::ieee80211
