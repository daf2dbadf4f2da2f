// The hooks rows of the link-layer table name (compiler/link_layer.cpp),
// implemented next to the lowering of their protocol family.
#pragma once

#include <cstdint>

#include "compiler/link_layer.h"

namespace sift::compiler::detail {

// compiler/lower_link.cpp: SUNATM's link-type test.
ir::Fragment sunatmLinkType(Lowerer& lowerer, uint32_t etherType);

// compiler/lower_pflog.cpp
ir::Fragment pflogLinkType(Lowerer& lowerer, uint32_t etherType);
ir::Fragment pflogPayload(Lowerer& lowerer, Offset header, int payloadCell);

}  // namespace sift::compiler::detail
