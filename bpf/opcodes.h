// Facts about classic BPF opcodes, generated from opcodes.def.
//
// bpf::Op names every valid instruction code; bpf::opInfo(code) answers
// what an instruction is (shape, operand, mnemonic), whether the Linux
// kernel accepts it, and what it reads and writes. The optimizer's def/use
// analyses, the validator, the printers and the VM all ask this table.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sift/bpf.h"

namespace sift::bpf {

/// Every valid instruction code; the value is the code itself.
enum class Op : uint16_t {
#define SIFT_BPF_OP(Name, Code, ...) Name = Code,
#include "bpf/opcodes.def"
};

/// How an instruction behaves; the interpreter has one case per shape.
enum class Shape : uint8_t {
  LoadImm,    // A or X = k
  LoadAbs,    // A = packet[k], size from Arg
  LoadInd,    // A = packet[X + k]
  LoadMem,    // A or X = M[k]
  LoadLen,    // A or X = wire length
  LoadMsh,    // X = 4 * (packet[k] & 0xf)
  Store,      // M[k] = A or X
  AluK,       // A = A op k
  AluX,       // A = A op X
  Negate,     // A = -A
  Jump,       // pc += k
  JumpK,      // pc += (A cond k) ? jt : jf
  JumpX,      // pc += (A cond X) ? jt : jf
  ReturnK,    // return k
  ReturnReg,  // return A or X
  Move,       // tax (to X) / txa (to A)
};

/// The shape's parameter, as written in the Arg column.
enum class Arg : uint8_t {
  None,
  A,
  X,
  W,
  H,
  B,
  Add,
  Sub,
  Mul,
  Div,
  Or,
  And,
  Lsh,
  Rsh,
  Mod,
  Xor,
  Eq,
  Gt,
  Ge,
  Set,
};

/// How the operand appears in libpcap's -d listing.
enum class Operand : uint8_t {
  NoOperand,  // ""
  HexImm,     // "#0x%x"
  DecImm,     // "#%d"
  Abs,        // "[%d]", or "[name]" for an ancillary offset
  Ind,        // "[x + %d]"
  Mem,        // "M[%d]"
  Msh,        // "4*([%d]&0xf)"
  PktLen,     // "#pktlen"
  RegX,       // "x"
  JaTarget,   // absolute target pc + 1 + k, "%d"
};

/// Def/use flags for OpInfo::uses and OpInfo::defs.
namespace fx {
inline constexpr uint8_t A = 1;           // accumulator
inline constexpr uint8_t X = 2;           // index register
inline constexpr uint8_t Mem = 4;         // scratch cell M[k]
inline constexpr uint8_t Packet = 8;      // packet bytes
inline constexpr uint8_t Length = 16;     // wire length
inline constexpr uint8_t MayReject = 32;  // may end the program with 0 (in uses)
// Spellings used by opcodes.def.
inline constexpr uint8_t RA = A, RX = X, RM = Mem, RP = Packet, RL = Length;
inline constexpr uint8_t WA = A, WX = X, WM = Mem;
}  // namespace fx

struct OpInfo {
  Op op;
  uint16_t code;
  std::string_view name;      // enum member name, e.g. "LdAbsH"
  std::string_view mnemonic;  // "ldh"
  Shape shape;
  Arg arg;
  Operand operand;
  bool kernel;   // accepted by Linux's classic BPF checker
  bool image;    // printed by libpcap 1.10.3's bpf_image
  uint8_t uses;  // fx flags read (plus fx::MayReject)
  uint8_t defs;  // fx flags written

  bool isJump() const { return shape == Shape::Jump || isConditional(); }
  bool isConditional() const { return shape == Shape::JumpK || shape == Shape::JumpX; }
  bool isReturn() const { return shape == Shape::ReturnK || shape == Shape::ReturnReg; }
  /// Ends a basic block: a jump or a return.
  bool isTerminator() const { return isJump() || isReturn(); }
  bool readsScratch() const { return uses & fx::Mem; }
  bool writesScratch() const { return defs & fx::Mem; }
  bool readsPacket() const { return uses & fx::Packet; }
  /// Bytes read by a packet load (4, 2, 1), 0 for other instructions.
  uint32_t loadSize() const;
};

/// The facts for `code`, or nullptr if it is not a valid opcode.
const OpInfo* opInfo(uint16_t code);
const OpInfo& opInfo(Op op);
/// Every opcode in table order.
std::span<const OpInfo> allOps();

/// The length of the run of `jeq #k` that starts at `pc` and in which every
/// false branch falls through to the next (the shape of host and port lists
/// at -O1), or 0 when `pc` is not the first jeq of such a run. The engines
/// run such a run as one search (vm::Prepared, the JIT's switch).
size_t jeqChainLength(std::span<const Insn> insns, size_t pc);

/// The Linux ancillary loads; the value is the SKF_AD_* offset.
enum class Extension : uint8_t {
#define SIFT_BPF_EXT(Name, Offset, Symbol) Name = Offset,
#include "bpf/extensions.def"
};

struct ExtensionInfo {
  Extension ext;
  std::string_view name;    // "VlanTag"
  uint32_t offset;          // SKF_AD_* value, 44
  std::string_view symbol;  // "vlan_tci"
};

std::span<const ExtensionInfo> allExtensions();
/// The extension an absolute load at `k` reads (k = SKF_AD_OFF + offset),
/// or nullptr if k is not a known ancillary offset.
const ExtensionInfo* extensionAt(uint32_t k);
const ExtensionInfo& extensionInfo(Extension ext);
/// The k an absolute load uses to read `ext`.
inline constexpr uint32_t extensionK(Extension ext) {
  return static_cast<uint32_t>(kSkfAdOff) + static_cast<uint32_t>(ext);
}

}  // namespace sift::bpf
