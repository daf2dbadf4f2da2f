// Lowering: a resolved AST -> an ir::Program (a CFG of cBPF blocks) for one
// link type.
//
// Every primitive becomes the tests libpcap 1.10.3 makes for it, in the
// same order (so that a packet too short for some load is rejected exactly
// when libpcap rejects it), combined with true/false jump lists
// (ir::Builder). Constant arithmetic is folded; nothing else is optimized
// here. The link type is read from the table in compiler/link_layer.h.
#pragma once

#include <cstdint>

#include "grammar/ast.h"
#include "ir/ir.h"
#include "sift/diagnostics.h"

namespace sift::compiler {

struct LowerOptions {
  uint32_t linktype = 1;          // DLT_EN10MB
  uint32_t snaplen = 262144;      // what an accepted packet returns
  uint32_t netmask = 0;           // for 'ip broadcast'; 0xffffffff means unknown
  bool liveLinuxSocket = false;   // allow Linux ancillary loads
};

/// Lowers `resolvedTree` (compiler/resolve has filled in every node's
/// `resolved` part). The empty expression accepts every packet. Errors
/// (a primitive the link type cannot express, division by a constant zero,
/// running out of scratch cells, ...) carry the span of the offending text.
Expected<ir::Program> lower(const ast::Tree& resolvedTree, const LowerOptions& options);

}  // namespace sift::compiler
