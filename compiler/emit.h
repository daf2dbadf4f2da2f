// Emit: linearises an ir::Program into a classic BPF program.
#pragma once

#include "ir/ir.h"
#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift::compiler {

/// Lays out the blocks reachable from the entry so that every jump goes
/// forward (reverse post-order, the true successor's chain placed right
/// after its branch where possible), then resolves jump offsets. A
/// conditional whose target lies 256 or more instructions away jumps to a
/// `ja` placed right after it, which carries the 32-bit offset.
Expected<bpf::Program> emit(const ir::Program& program);

}  // namespace sift::compiler
