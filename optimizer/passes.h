// The optimizer's passes. Each is defined in its own file, which opens with
// what it does, what it requires and what it preserves. A pass returns true
// when it changed the program.
#pragma once

#include "ir/ir.h"

namespace sift::optimizer {

/// remove_unreachable.cpp
bool removeUnreachable(ir::Program& program);

}  // namespace sift::optimizer
