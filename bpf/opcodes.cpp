// The opcode and extension tables, expanded from opcodes.def and
// extensions.def into arrays with a direct lookup by code.
#include "bpf/opcodes.h"

#include <array>

namespace sift::bpf {
namespace {

using namespace fx;

constexpr uint8_t mayReject(Shape shape, Arg arg) {
  if (shape == Shape::LoadAbs || shape == Shape::LoadInd || shape == Shape::LoadMsh) return MayReject;
  if (shape == Shape::AluX && (arg == Arg::Div || arg == Arg::Mod)) return MayReject;
  return 0;
}

constexpr OpInfo kOps[] = {
#define SIFT_BPF_OP(Name, Code, Mnemonic, ShapeV, ArgV, OperandV, Kernel, Image, Uses, Defs) \
  OpInfo{Op::Name,                                                                           \
         Code,                                                                               \
         #Name,                                                                              \
         Mnemonic,                                                                           \
         Shape::ShapeV,                                                                      \
         Arg::ArgV,                                                                          \
         Operand::OperandV,                                                                  \
         Kernel != 0,                                                                        \
         Image != 0,                                                                         \
         static_cast<uint8_t>((Uses) | mayReject(Shape::ShapeV, Arg::ArgV)),                 \
         static_cast<uint8_t>(Defs)},
#include "bpf/opcodes.def"
};

constexpr size_t kCodeSpace = 256;  // every classic code fits in 8 bits

constexpr std::array<int16_t, kCodeSpace> makeIndex() {
  std::array<int16_t, kCodeSpace> index{};
  for (auto& i : index) i = -1;
  for (size_t i = 0; i < std::size(kOps); ++i) index[kOps[i].code] = static_cast<int16_t>(i);
  return index;
}
constexpr auto kIndex = makeIndex();

constexpr bool codesAreUnique() {
  for (size_t i = 0; i < std::size(kOps); ++i)
    for (size_t j = i + 1; j < std::size(kOps); ++j)
      if (kOps[i].code == kOps[j].code) return false;
  return true;
}
static_assert(codesAreUnique(), "opcodes.def lists a code twice");

constexpr ExtensionInfo kExtensions[] = {
#define SIFT_BPF_EXT(Name, Offset, Symbol) ExtensionInfo{Extension::Name, #Name, Offset, Symbol},
#include "bpf/extensions.def"
};

}  // namespace

size_t jeqChainLength(std::span<const Insn> insns, size_t pc) {
  auto isJeqK = [&](size_t i) { return i < insns.size() && insns[i].code == static_cast<uint16_t>(Op::JeqK); };
  if (!isJeqK(pc) || (pc > 0 && isJeqK(pc - 1) && insns[pc - 1].jf == 0)) return 0;
  size_t end = pc;
  while (insns[end].jf == 0 && isJeqK(end + 1)) ++end;
  return end - pc + 1;
}

uint32_t OpInfo::loadSize() const {
  if (shape != Shape::LoadAbs && shape != Shape::LoadInd && shape != Shape::LoadMsh) return 0;
  switch (arg) {
    case Arg::W:
      return 4;
    case Arg::H:
      return 2;
    case Arg::B:
      return 1;
    default:
      return 0;
  }
}

const OpInfo* opInfo(uint16_t code) {
  if (code >= kCodeSpace || kIndex[code] < 0) return nullptr;
  return &kOps[kIndex[code]];
}

const OpInfo& opInfo(Op op) { return *opInfo(static_cast<uint16_t>(op)); }

std::span<const OpInfo> allOps() { return kOps; }

std::span<const ExtensionInfo> allExtensions() { return kExtensions; }

const ExtensionInfo* extensionAt(uint32_t k) {
  uint32_t base = static_cast<uint32_t>(kSkfAdOff);
  if (k < base) return nullptr;
  for (const auto& e : kExtensions)
    if (k - base == e.offset) return &e;
  return nullptr;
}

const ExtensionInfo& extensionInfo(Extension ext) {
  for (const auto& e : kExtensions)
    if (e.ext == ext) return e;
  return kExtensions[0];  // unreachable for a valid enum value
}

}  // namespace sift::bpf
