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
/// Last, zeroUnwrittenScratch.
Expected<bpf::Program> emit(const ir::Program& program);

/// Puts `ld #0; st M[k]` in front of the program for every cell k that
/// some path may read before writing (bpf::unwrittenScratchReads): the
/// verdicts stay those of zeroed scratch memory, and Linux's checker
/// accepts the program.
void zeroUnwrittenScratch(bpf::Program& program);

}  // namespace sift::compiler
