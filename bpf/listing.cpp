// tcpdump's three listing formats (-d, -dd, -ddd), byte-identical to
// tcpdump 4.99.3 with libpcap 1.10.3: bpf_image() lines for -d, a C
// initializer for -dd and decimal "code jt jf k" for -ddd.
#include <cstdio>
#include <string>

#include "bpf/opcodes.h"
#include "sift/bpf.h"

namespace sift::bpf {
namespace {

// libpcap prints unsigned k with %d; reproduce the two's-complement view.
int32_t asSigned(uint32_t v) { return static_cast<int32_t>(v); }

std::string operandText(const OpInfo& info, const Insn& insn, size_t pc) {
  char buf[64];
  switch (info.operand) {
    case Operand::NoOperand:
      return "";
    case Operand::HexImm:
      std::snprintf(buf, sizeof buf, "#0x%x", insn.k);
      break;
    case Operand::DecImm:
      std::snprintf(buf, sizeof buf, "#%d", asSigned(insn.k));
      break;
    case Operand::Abs:
      if (const ExtensionInfo* ext = extensionAt(insn.k)) {
        std::snprintf(buf, sizeof buf, "[%.*s]", static_cast<int>(ext->symbol.size()), ext->symbol.data());
      } else {
        std::snprintf(buf, sizeof buf, "[%d]", asSigned(insn.k));
      }
      break;
    case Operand::Ind:
      std::snprintf(buf, sizeof buf, "[x + %d]", asSigned(insn.k));
      break;
    case Operand::Mem:
      std::snprintf(buf, sizeof buf, "M[%d]", asSigned(insn.k));
      break;
    case Operand::Msh:
      std::snprintf(buf, sizeof buf, "4*([%d]&0xf)", asSigned(insn.k));
      break;
    case Operand::PktLen:
      return "#pktlen";
    case Operand::RegX:
      return "x";
    case Operand::JaTarget:
      std::snprintf(buf, sizeof buf, "%d", asSigned(static_cast<uint32_t>(pc + 1 + insn.k)));
      break;
  }
  return buf;
}

// Class BPF_JMP with an operation other than ja.
bool isJumpClassConditional(uint16_t code) { return (code & 0x07) == 0x05 && (code & 0xf0) != 0x00; }

}  // namespace

std::string imageLine(const Insn& insn, size_t pc) {
  char buf[160];
  const OpInfo* info = opInfo(insn.code);
  int n = static_cast<int>(pc);
  std::string mnemonic, operand;
  if (info && info->image) {
    mnemonic = info->mnemonic;
    operand = operandText(*info, insn, pc);
  } else {
    char code[16];
    std::snprintf(code, sizeof code, "0x%x", insn.code);
    mnemonic = "unimp";
    operand = code;
  }
  // libpcap picks the layout from the code's bits, so an unknown code in
  // the jump class with a conditional op also gets "jt/jf" columns.
  if (isJumpClassConditional(insn.code)) {
    std::snprintf(buf, sizeof buf, "(%03d) %-8s %-16s jt %d\tjf %d", n, mnemonic.c_str(), operand.c_str(),
                  n + 1 + insn.jt, n + 1 + insn.jf);
  } else {
    std::snprintf(buf, sizeof buf, "(%03d) %-8s %s", n, mnemonic.c_str(), operand.c_str());
  }
  return buf;
}

std::string listing(const Program& p, ListingFormat format) {
  std::string out;
  char buf[96];
  switch (format) {
    case ListingFormat::Image:
      for (size_t i = 0; i < p.insns.size(); ++i) {
        out += imageLine(p.insns[i], i);
        out += '\n';
      }
      break;
    case ListingFormat::CArray:
      for (const Insn& insn : p.insns) {
        std::snprintf(buf, sizeof buf, "{ 0x%x, %d, %d, 0x%08x },\n", insn.code, insn.jt, insn.jf, insn.k);
        out += buf;
      }
      break;
    case ListingFormat::Decimal:
      std::snprintf(buf, sizeof buf, "%d\n", static_cast<int>(p.insns.size()));
      out += buf;
      for (const Insn& insn : p.insns) {
        std::snprintf(buf, sizeof buf, "%u %u %u %u\n", insn.code, insn.jt, insn.jf, insn.k);
        out += buf;
      }
      break;
  }
  return out;
}

}  // namespace sift::bpf
