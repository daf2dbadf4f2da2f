// The -d listing reader. Each line is split into pc column, mnemonic,
// operand and jump columns; the (mnemonic, operand form) pair is looked up
// in the opcode table, so every instruction the printer writes reads back.
#include "bpf/image_reader.h"

#include <optional>
#include <string>
#include <vector>

#include "bpf/opcodes.h"

namespace sift::bpf {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A 32-bit value written as decimal or 0x-hex, optionally negative.
std::optional<uint32_t> parseValue(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (negative) {
    if (v > 0x80000000ull) return std::nullopt;
    return static_cast<uint32_t>(0u - static_cast<uint32_t>(v));
  }
  if (v > 0xffffffffull) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// The operand forms, coarser than Operand: "#0x10" and "#16" are both Imm.
enum class Form : uint8_t { None, Imm, Abs, Ind, Mem, Msh, PktLen, RegX, RegA, Target };

Form formOf(Operand o) {
  switch (o) {
    case Operand::NoOperand:
      return Form::None;
    case Operand::HexImm:
    case Operand::DecImm:
      return Form::Imm;
    case Operand::Abs:
      return Form::Abs;
    case Operand::Ind:
      return Form::Ind;
    case Operand::Mem:
      return Form::Mem;
    case Operand::Msh:
      return Form::Msh;
    case Operand::PktLen:
      return Form::PktLen;
    case Operand::RegX:
      return Form::RegX;
    case Operand::JaTarget:
      return Form::Target;
  }
  return Form::None;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool endsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

struct ParsedOperand {
  Form form = Form::None;
  uint32_t k = 0;
};

std::optional<ParsedOperand> parseOperand(std::string_view s) {
  s = trim(s);
  if (s.empty()) return ParsedOperand{Form::None, 0};
  if (s == "x") return ParsedOperand{Form::RegX, 0};
  if (s == "a") return ParsedOperand{Form::RegA, 0};
  if (s == "#pktlen") return ParsedOperand{Form::PktLen, 0};
  if (s[0] == '#') {
    if (auto v = parseValue(s.substr(1))) return ParsedOperand{Form::Imm, *v};
    return std::nullopt;
  }
  if (startsWith(s, "4*([") && endsWith(s, "]&0xf)")) {
    if (auto v = parseValue(s.substr(4, s.size() - 10))) return ParsedOperand{Form::Msh, *v};
    return std::nullopt;
  }
  if (startsWith(s, "M[") && endsWith(s, "]")) {
    if (auto v = parseValue(s.substr(2, s.size() - 3))) return ParsedOperand{Form::Mem, *v};
    return std::nullopt;
  }
  if (s[0] == '[' && endsWith(s, "]")) {
    std::string_view inner = trim(s.substr(1, s.size() - 2));
    for (const ExtensionInfo& e : allExtensions())
      if (inner == e.symbol) return ParsedOperand{Form::Abs, extensionK(e.ext)};
    if (startsWith(inner, "x")) {
      std::string_view rest = trim(inner.substr(1));
      if (rest.empty() || rest[0] != '+') return std::nullopt;
      if (auto v = parseValue(rest.substr(1))) return ParsedOperand{Form::Ind, *v};
      return std::nullopt;
    }
    if (auto v = parseValue(inner)) return ParsedOperand{Form::Abs, *v};
    return std::nullopt;
  }
  if (auto v = parseValue(s)) return ParsedOperand{Form::Target, *v};
  return std::nullopt;
}

const OpInfo* findOp(std::string_view mnemonic, Form form) {
  if (mnemonic == "ret" && form == Form::RegA) form = Form::None;  // "ret a" is "ret"
  for (const OpInfo& info : allOps())
    if (info.mnemonic == mnemonic && formOf(info.operand) == form) return &info;
  return nullptr;
}

class Reader {
 public:
  Expected<Program> run(std::string_view text) {
    size_t lineNo = 0, start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
      if (i != text.size() && text[i] != '\n') continue;
      ++lineNo;
      std::string_view line = trim(text.substr(start, i - start));
      start = i + 1;
      if (line.empty()) continue;
      if (auto err = readLine(line, lineNo)) return *err;
    }
    return program_;
  }

 private:
  std::optional<Diagnostic> fail(size_t lineNo, const std::string& what, std::string_view line) {
    return Diagnostic::error("line " + std::to_string(lineNo) + ": " + what + " in '" + std::string(line) +
                             "'");
  }

  // Splits "jt N jf M" off the end of the operand text.
  static bool splitJumps(std::string_view& rest, std::string_view* jt, std::string_view* jf) {
    size_t at = rest.rfind(" jt ");
    size_t tab = rest.rfind("\tjt ");
    if (tab != std::string_view::npos && (at == std::string_view::npos || tab > at)) at = tab;
    if (at == std::string_view::npos) {
      if (!startsWith(rest, "jt ")) return false;
      at = 0;
    } else {
      at += 1;
    }
    std::string_view cols = rest.substr(at + 3);
    size_t jfAt = cols.find("jf ");
    if (jfAt == std::string_view::npos) return false;
    *jt = trim(cols.substr(0, jfAt));
    *jf = trim(cols.substr(jfAt + 3));
    rest = trim(rest.substr(0, at));
    return true;
  }

  std::optional<Diagnostic> readLine(std::string_view line, size_t lineNo) {
    size_t pc = program_.insns.size();
    std::string_view rest = line;
    if (rest[0] == '(') {
      size_t close = rest.find(')');
      std::optional<uint32_t> n;
      if (close != std::string_view::npos) n = parseValue(rest.substr(1, close - 1));
      if (!n) return fail(lineNo, "bad pc column", line);
      if (*n != pc) {
        return fail(lineNo, "pc " + std::to_string(*n) + " out of sequence, expected " + std::to_string(pc),
                    line);
      }
      rest = trim(rest.substr(close + 1));
    }
    size_t sp = 0;
    while (sp < rest.size() && !isSpace(rest[sp])) ++sp;
    std::string_view mnemonic = rest.substr(0, sp);
    rest = trim(rest.substr(sp));
    std::string_view jtText, jfText;
    bool hasJumps = splitJumps(rest, &jtText, &jfText);

    Insn insn;
    if (mnemonic == "unimp") {
      auto code = parseValue(rest);
      if (!code || *code > 0xffff) return fail(lineNo, "bad code", line);
      insn.code = static_cast<uint16_t>(*code);
    } else {
      auto operand = parseOperand(rest);
      if (!operand) return fail(lineNo, "bad operand '" + std::string(rest) + "'", line);
      const OpInfo* info = findOp(mnemonic, operand->form);
      if (!info) return fail(lineNo, "unknown instruction", line);
      insn.code = info->code;
      insn.k = operand->k;
      if (info->shape == Shape::Jump)
        insn.k = operand->k - static_cast<uint32_t>(pc) - 1;  // wraps like libpcap
      if (info->isConditional() && !hasJumps)
        return fail(lineNo, "'" + std::string(mnemonic) + "' needs 'jt N jf N'", line);
      if (!info->isConditional() && hasJumps) return fail(lineNo, "unexpected 'jt/jf' columns", line);
    }
    if (hasJumps) {
      uint8_t* fields[] = {&insn.jt, &insn.jf};
      std::string_view texts[] = {jtText, jfText};
      const char* names[] = {"jt", "jf"};
      for (int i = 0; i < 2; ++i) {
        auto target = parseValue(texts[i]);
        if (!target)
          return fail(lineNo, std::string("bad ") + names[i] + " target '" + std::string(texts[i]) + "'",
                      line);
        if (*target <= pc || *target - pc - 1 > 255) {
          return fail(lineNo,
                      std::string(names[i]) + " target " + std::to_string(*target) +
                          " is not 1 to 256 instructions after pc " + std::to_string(pc),
                      line);
        }
        *fields[i] = static_cast<uint8_t>(*target - pc - 1);
      }
    }
    program_.insns.push_back(insn);
    return std::nullopt;
  }

  Program program_;
};

}  // namespace

Expected<Program> parseImage(std::string_view text) { return Reader().run(text); }

}  // namespace sift::bpf
