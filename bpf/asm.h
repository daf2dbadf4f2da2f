// The bpf_asm language (Linux tools/bpf/bpf_asm): assembling it into a
// program and writing a program in it.
//
//   ldh [12]
//   jneq #0x800, drop
//   ldb [23]
//   jeq #6, keep, drop
//   keep: ret #-1
//   drop: ret #0
//
// Labels name instructions ("name:"); jumps take labels, a conditional's
// false label defaults to the next instruction. jneq/jne, jlt and jle are
// jeq, jge and jgt with the label as the false branch. Ancillary loads are
// written "ld #proto", "ldh #vlan_tci", ...; "#len" is the wire length.
// Numbers are decimal, 0x-hex, 0b-binary or 0-octal, optionally negative.
// ';' starts a comment.
#pragma once

#include <string>
#include <string_view>

#include "sift/bpf.h"

namespace sift::bpf {

/// Assembles bpf_asm text; errors name the line and quote the text.
Expected<Program> assemble(std::string_view source);

/// Writes `p` in bpf_asm syntax, one instruction per line, with labels
/// "L<pc>" on jump targets. Fields an instruction does not use are not
/// written (like the -d listing, which hides the stale k libpcap's
/// optimizer leaves on some "tax"), so assemble(disassemble(p)) == p when
/// they are zero. Fails for an unknown code or a jump past the end.
Expected<std::string> disassemble(const Program& p);

/// The one-line decimal form `iptables -m bpf --bytecode` takes (and
/// bpf_asm prints): "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0". parseDecimal
/// reads it back.
std::string bytecode(const Program& p);

}  // namespace sift::bpf
