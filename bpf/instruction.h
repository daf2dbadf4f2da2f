// Typed classic BPF instructions.
//
// bpf::Instruction is a variant with one struct per kind of instruction
// and a RawInstruction fallback. decode() never fails: an Insn that is not
// a canonical encoding of a typed instruction (unknown code, or a nonzero
// field the instruction does not use) decodes to RawInstruction, so
// encode(decode(insn)) == insn for every insn. encode() fails only for
// typed values no code can express (a load of 3 bytes, scratch cell 16).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "bpf/opcodes.h"
#include "sift/bpf.h"
#include "sift/diagnostics.h"

namespace sift::bpf {

enum class Register : uint8_t { A, X };
enum class AluOp : uint8_t { Add, Sub, Mul, Div, Or, And, Lsh, Rsh, Mod, Xor };
enum class JumpCond : uint8_t { Eq, Gt, Ge, Set };

/// ld #k / ldx #k
struct LoadConstant {
  Register dst = Register::A;
  uint32_t value = 0;
  friend bool operator==(const LoadConstant&, const LoadConstant&) = default;
};
/// ld M[n] / ldx M[n]
struct LoadScratch {
  Register dst = Register::A;
  uint32_t n = 0;
  friend bool operator==(const LoadScratch&, const LoadScratch&) = default;
};
/// st M[n] / stx M[n]
struct StoreScratch {
  Register src = Register::A;
  uint32_t n = 0;
  friend bool operator==(const StoreScratch&, const StoreScratch&) = default;
};
/// ld/ldh/ldb [off]; size is 4, 2 or 1
struct LoadAbsolute {
  uint32_t off = 0;
  uint32_t size = 4;
  friend bool operator==(const LoadAbsolute&, const LoadAbsolute&) = default;
};
/// ld/ldh/ldb [x + off]
struct LoadIndirect {
  uint32_t off = 0;
  uint32_t size = 4;
  friend bool operator==(const LoadIndirect&, const LoadIndirect&) = default;
};
/// ldxb 4*([off]&0xf)
struct LoadMemShift {
  uint32_t off = 0;
  friend bool operator==(const LoadMemShift&, const LoadMemShift&) = default;
};
/// ld/ldh/ldb [SKF_AD_OFF + ext]: Linux ancillary data
struct LoadExtension {
  Extension ext = Extension::Protocol;
  uint32_t size = 4;
  friend bool operator==(const LoadExtension&, const LoadExtension&) = default;
};
/// ld #pktlen / ldx #pktlen
struct LoadLength {
  Register dst = Register::A;
  friend bool operator==(const LoadLength&, const LoadLength&) = default;
};
/// A = A op k
struct AluConstant {
  AluOp op = AluOp::Add;
  uint32_t val = 0;
  friend bool operator==(const AluConstant&, const AluConstant&) = default;
};
/// A = A op X
struct AluX {
  AluOp op = AluOp::Add;
  friend bool operator==(const AluX&, const AluX&) = default;
};
/// A = -A
struct Negate {
  friend bool operator==(const Negate&, const Negate&) = default;
};
/// ja: skip `skip` instructions
struct Jump {
  uint32_t skip = 0;
  friend bool operator==(const Jump&, const Jump&) = default;
};
/// jeq/jgt/jge/jset #val
struct JumpIf {
  JumpCond cond = JumpCond::Eq;
  uint32_t val = 0;
  uint8_t skipTrue = 0;
  uint8_t skipFalse = 0;
  friend bool operator==(const JumpIf&, const JumpIf&) = default;
};
/// jeq/jgt/jge/jset x
struct JumpIfX {
  JumpCond cond = JumpCond::Eq;
  uint8_t skipTrue = 0;
  uint8_t skipFalse = 0;
  friend bool operator==(const JumpIfX&, const JumpIfX&) = default;
};
/// ret a
struct RetA {
  friend bool operator==(const RetA&, const RetA&) = default;
};
/// ret x (libpcap's validator accepts it, the kernel does not)
struct RetX {
  friend bool operator==(const RetX&, const RetX&) = default;
};
/// ret #val
struct RetConstant {
  uint32_t val = 0;
  friend bool operator==(const RetConstant&, const RetConstant&) = default;
};
/// X = A
struct Tax {
  friend bool operator==(const Tax&, const Tax&) = default;
};
/// A = X
struct Txa {
  friend bool operator==(const Txa&, const Txa&) = default;
};
/// Anything else, kept bit for bit.
struct RawInstruction {
  Insn insn;
  friend bool operator==(const RawInstruction&, const RawInstruction&) = default;
};

using Instruction = std::variant<LoadConstant, LoadScratch, StoreScratch, LoadAbsolute, LoadIndirect,
                                 LoadMemShift, LoadExtension, LoadLength, AluConstant, AluX, Negate, Jump,
                                 JumpIf, JumpIfX, RetA, RetX, RetConstant, Tax, Txa, RawInstruction>;

Instruction decode(const Insn& insn);
Expected<Insn> encode(const Instruction& instruction);

std::vector<Instruction> decode(const Program& p);
/// Encodes every instruction; the error names the failing index.
Expected<Program> encode(std::span<const Instruction> instructions);

/// The -d text of the instruction without the pc column, e.g. "ldh [12]".
std::string toText(const Instruction& instruction);

}  // namespace sift::bpf
