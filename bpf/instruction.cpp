// Decoding raw instructions into typed ones and back, driven by the shape
// and argument columns of the opcode table.
#include "bpf/instruction.h"

#include <optional>

namespace sift::bpf {
namespace {

std::optional<uint32_t> sizeOf(Arg arg) {
  switch (arg) {
    case Arg::W:
      return 4;
    case Arg::H:
      return 2;
    case Arg::B:
      return 1;
    default:
      return std::nullopt;
  }
}

std::optional<Register> registerOf(Arg arg) {
  if (arg == Arg::A) return Register::A;
  if (arg == Arg::X) return Register::X;
  return std::nullopt;
}

std::optional<AluOp> aluOf(Arg arg) {
  switch (arg) {
    case Arg::Add:
      return AluOp::Add;
    case Arg::Sub:
      return AluOp::Sub;
    case Arg::Mul:
      return AluOp::Mul;
    case Arg::Div:
      return AluOp::Div;
    case Arg::Or:
      return AluOp::Or;
    case Arg::And:
      return AluOp::And;
    case Arg::Lsh:
      return AluOp::Lsh;
    case Arg::Rsh:
      return AluOp::Rsh;
    case Arg::Mod:
      return AluOp::Mod;
    case Arg::Xor:
      return AluOp::Xor;
    default:
      return std::nullopt;
  }
}

std::optional<JumpCond> condOf(Arg arg) {
  switch (arg) {
    case Arg::Eq:
      return JumpCond::Eq;
    case Arg::Gt:
      return JumpCond::Gt;
    case Arg::Ge:
      return JumpCond::Ge;
    case Arg::Set:
      return JumpCond::Set;
    default:
      return std::nullopt;
  }
}

// The table entry with this shape whose Arg satisfies `match`.
template <class Match>
const OpInfo* findOp(Shape shape, Match match) {
  for (const OpInfo& info : allOps())
    if (info.shape == shape && match(info)) return &info;
  return nullptr;
}

const OpInfo* findOp(Shape shape) {
  return findOp(shape, [](const OpInfo&) { return true; });
}

Arg sizeArg(uint32_t size) {
  return size == 4 ? Arg::W : size == 2 ? Arg::H : size == 1 ? Arg::B : Arg::None;
}

Diagnostic badSize(const char* what, uint32_t size) {
  return Diagnostic::error(std::string(what) + " of " + std::to_string(size) +
                           " bytes, loads take 1, 2 or 4 bytes");
}

Diagnostic badCell(uint32_t n) {
  return Diagnostic::error("scratch cell 'M[" + std::to_string(n) + "]' out of range, cells are M[0] to M[" +
                           std::to_string(kMemWords - 1) + "]");
}

Insn make(const OpInfo* info, uint32_t k = 0, uint8_t jt = 0, uint8_t jf = 0) {
  return Insn{info->code, jt, jf, k};
}

}  // namespace

Instruction decode(const Insn& insn) {
  const OpInfo* info = opInfo(insn.code);
  if (!info) return RawInstruction{insn};
  bool noJumps = insn.jt == 0 && insn.jf == 0;
  bool noK = insn.k == 0;
  Arg arg = info->arg;
  switch (info->shape) {
    case Shape::LoadImm:
      if (noJumps) return LoadConstant{*registerOf(arg), insn.k};
      break;
    case Shape::LoadAbs:
      if (!noJumps) break;
      if (const ExtensionInfo* ext = extensionAt(insn.k)) return LoadExtension{ext->ext, *sizeOf(arg)};
      return LoadAbsolute{insn.k, *sizeOf(arg)};
    case Shape::LoadInd:
      if (noJumps) return LoadIndirect{insn.k, *sizeOf(arg)};
      break;
    case Shape::LoadMem:
      if (noJumps && insn.k < kMemWords) return LoadScratch{*registerOf(arg), insn.k};
      break;
    case Shape::LoadLen:
      if (noJumps && noK) return LoadLength{*registerOf(arg)};
      break;
    case Shape::LoadMsh:
      if (noJumps) return LoadMemShift{insn.k};
      break;
    case Shape::Store:
      if (noJumps && insn.k < kMemWords) return StoreScratch{*registerOf(arg), insn.k};
      break;
    case Shape::AluK:
      if (noJumps) return AluConstant{*aluOf(arg), insn.k};
      break;
    case Shape::AluX:
      if (noJumps && noK) return AluX{*aluOf(arg)};
      break;
    case Shape::Negate:
      if (noJumps && noK) return Negate{};
      break;
    case Shape::Jump:
      if (noJumps) return Jump{insn.k};
      break;
    case Shape::JumpK:
      return JumpIf{*condOf(arg), insn.k, insn.jt, insn.jf};
    case Shape::JumpX:
      if (noK) return JumpIfX{*condOf(arg), insn.jt, insn.jf};
      break;
    case Shape::ReturnK:
      if (noJumps) return RetConstant{insn.k};
      break;
    case Shape::ReturnReg:
      if (noJumps && noK) {
        if (arg == Arg::A) return RetA{};
        return RetX{};
      }
      break;
    case Shape::Move:
      if (noJumps && noK) {
        if (arg == Arg::X) return Tax{};
        return Txa{};
      }
      break;
  }
  return RawInstruction{insn};
}

namespace {

struct Encoder {
  Expected<Insn> operator()(const LoadConstant& i) const {
    Arg want = i.dst == Register::A ? Arg::A : Arg::X;
    return make(findOp(Shape::LoadImm, [&](const OpInfo& o) { return o.arg == want; }), i.value);
  }
  Expected<Insn> operator()(const LoadScratch& i) const {
    if (i.n >= kMemWords) return badCell(i.n);
    Arg want = i.dst == Register::A ? Arg::A : Arg::X;
    return make(findOp(Shape::LoadMem, [&](const OpInfo& o) { return o.arg == want; }), i.n);
  }
  Expected<Insn> operator()(const StoreScratch& i) const {
    if (i.n >= kMemWords) return badCell(i.n);
    Arg want = i.src == Register::A ? Arg::A : Arg::X;
    return make(findOp(Shape::Store, [&](const OpInfo& o) { return o.arg == want; }), i.n);
  }
  Expected<Insn> operator()(const LoadAbsolute& i) const {
    Arg want = sizeArg(i.size);
    if (want == Arg::None) return badSize("absolute load", i.size);
    return make(findOp(Shape::LoadAbs, [&](const OpInfo& o) { return o.arg == want; }), i.off);
  }
  Expected<Insn> operator()(const LoadIndirect& i) const {
    Arg want = sizeArg(i.size);
    if (want == Arg::None) return badSize("indirect load", i.size);
    return make(findOp(Shape::LoadInd, [&](const OpInfo& o) { return o.arg == want; }), i.off);
  }
  Expected<Insn> operator()(const LoadMemShift& i) const { return make(findOp(Shape::LoadMsh), i.off); }
  Expected<Insn> operator()(const LoadExtension& i) const {
    Arg want = sizeArg(i.size);
    if (want == Arg::None) return badSize("ancillary load", i.size);
    bool known = false;
    for (const ExtensionInfo& e : allExtensions()) known = known || e.ext == i.ext;
    if (!known) {
      return Diagnostic::error("unknown ancillary offset '" + std::to_string(static_cast<unsigned>(i.ext)) +
                               "'");
    }
    return make(findOp(Shape::LoadAbs, [&](const OpInfo& o) { return o.arg == want; }), extensionK(i.ext));
  }
  Expected<Insn> operator()(const LoadLength& i) const {
    Arg want = i.dst == Register::A ? Arg::A : Arg::X;
    return make(findOp(Shape::LoadLen, [&](const OpInfo& o) { return o.arg == want; }));
  }
  Expected<Insn> operator()(const AluConstant& i) const {
    const OpInfo* info = findOp(Shape::AluK, [&](const OpInfo& o) { return aluOf(o.arg) == i.op; });
    if (!info) return Diagnostic::error("unknown alu operation '" + std::to_string(unsigned(i.op)) + "'");
    return make(info, i.val);
  }
  Expected<Insn> operator()(const AluX& i) const {
    const OpInfo* info = findOp(Shape::AluX, [&](const OpInfo& o) { return aluOf(o.arg) == i.op; });
    if (!info) return Diagnostic::error("unknown alu operation '" + std::to_string(unsigned(i.op)) + "'");
    return make(info);
  }
  Expected<Insn> operator()(const Negate&) const { return make(findOp(Shape::Negate)); }
  Expected<Insn> operator()(const Jump& i) const { return make(findOp(Shape::Jump), i.skip); }
  Expected<Insn> operator()(const JumpIf& i) const {
    const OpInfo* info = findOp(Shape::JumpK, [&](const OpInfo& o) { return condOf(o.arg) == i.cond; });
    if (!info) return Diagnostic::error("unknown jump condition '" + std::to_string(unsigned(i.cond)) + "'");
    return make(info, i.val, i.skipTrue, i.skipFalse);
  }
  Expected<Insn> operator()(const JumpIfX& i) const {
    const OpInfo* info = findOp(Shape::JumpX, [&](const OpInfo& o) { return condOf(o.arg) == i.cond; });
    if (!info) return Diagnostic::error("unknown jump condition '" + std::to_string(unsigned(i.cond)) + "'");
    return make(info, 0, i.skipTrue, i.skipFalse);
  }
  Expected<Insn> operator()(const RetA&) const {
    return make(findOp(Shape::ReturnReg, [](const OpInfo& o) { return o.arg == Arg::A; }));
  }
  Expected<Insn> operator()(const RetX&) const {
    return make(findOp(Shape::ReturnReg, [](const OpInfo& o) { return o.arg == Arg::X; }));
  }
  Expected<Insn> operator()(const RetConstant& i) const { return make(findOp(Shape::ReturnK), i.val); }
  Expected<Insn> operator()(const Tax&) const {
    return make(findOp(Shape::Move, [](const OpInfo& o) { return o.arg == Arg::X; }));
  }
  Expected<Insn> operator()(const Txa&) const {
    return make(findOp(Shape::Move, [](const OpInfo& o) { return o.arg == Arg::A; }));
  }
  Expected<Insn> operator()(const RawInstruction& i) const { return i.insn; }
};

}  // namespace

Expected<Insn> encode(const Instruction& instruction) { return std::visit(Encoder{}, instruction); }

std::vector<Instruction> decode(const Program& p) {
  std::vector<Instruction> out;
  out.reserve(p.insns.size());
  for (const Insn& insn : p.insns) out.push_back(decode(insn));
  return out;
}

Expected<Program> encode(std::span<const Instruction> instructions) {
  Program p;
  p.insns.reserve(instructions.size());
  for (size_t i = 0; i < instructions.size(); ++i) {
    auto insn = encode(instructions[i]);
    if (!insn) return Diagnostic::error("instruction " + std::to_string(i) + ": " + insn.error().message);
    p.insns.push_back(*insn);
  }
  return p;
}

std::string toText(const Instruction& instruction) {
  auto insn = encode(instruction);
  if (!insn) return "<invalid: " + insn.error().message + ">";
  std::string s = imageLine(*insn, 0).substr(6);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace sift::bpf
