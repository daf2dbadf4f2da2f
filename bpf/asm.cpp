// The bpf_asm assembler and writer. A line is tokenized, its operands
// matched against a few operand forms, and the (mnemonic, form) pair
// mapped to a code through the opcode table; labels are resolved after
// the whole text is read.
#include "bpf/asm.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <vector>

#include "bpf/opcodes.h"

namespace sift::bpf {
namespace {

struct Token {
  enum Kind { Ident, Number, Punct } kind;
  std::string text;
  uint32_t value = 0;
};

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isIdentChar(char c) { return isIdentStart(c) || (c >= '0' && c <= '9'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Parses a number at s[i...]; advances i. Returns nullopt if malformed.
std::optional<uint32_t> lexNumber(std::string_view s, size_t& i) {
  bool negative = false;
  if (s[i] == '-') {
    negative = true;
    ++i;
  }
  int base = 10;
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
    base = 16, i += 2;
  else if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B'))
    base = 2, i += 2;
  else if (i + 1 < s.size() && s[i] == '0' && isDigit(s[i + 1]))
    base = 8, i += 1;
  size_t start = i;
  uint64_t v = 0;
  while (i < s.size() && isIdentChar(s[i])) {
    char c = s[i];
    int d = isDigit(c)               ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 99;
    if (d >= base) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xffffffffull) return std::nullopt;
    ++i;
  }
  if (i == start) return std::nullopt;
  if (negative) {
    if (v > 0x80000000ull) return std::nullopt;
    return static_cast<uint32_t>(0u - static_cast<uint32_t>(v));
  }
  return static_cast<uint32_t>(v);
}

// Operand forms of the language.
enum class Form : uint8_t { None, Imm, Bare, Len, Ext, Mem, Abs, Ind, Msh, RegX, RegA };

struct Operand {
  Form form = Form::None;
  uint32_t k = 0;
};

struct Statement {
  size_t line = 0;
  std::string text;
  Insn insn;
  std::string jtLabel, jfLabel, kLabel;  // jumps to resolve
};

const ExtensionInfo* extensionNamed(std::string_view name) {
  // bpf_asm's spellings where they differ from bpf_image's.
  if (name == "vlan_avail" || name == "vlan_pr") name = "vlanp";
  if (name == "rand") name = "random";
  for (const ExtensionInfo& e : allExtensions())
    if (e.symbol == name) return &e;
  return nullptr;
}

std::string_view asmExtensionName(const ExtensionInfo& e) {
  if (e.ext == Extension::VlanTagPresent) return "vlan_avail";
  if (e.ext == Extension::Random) return "rand";
  return e.symbol;
}

const OpInfo* findOp(Shape shape, Arg arg) {
  for (const OpInfo& info : allOps())
    if (info.shape == shape && info.arg == arg) return &info;
  return nullptr;
}

const OpInfo* findByMnemonic(std::string_view mnemonic, Shape shape) {
  for (const OpInfo& info : allOps())
    if (info.mnemonic == mnemonic && info.shape == shape) return &info;
  return nullptr;
}

class Assembler {
 public:
  Expected<Program> run(std::string_view source) {
    size_t lineNo = 0, start = 0;
    for (size_t i = 0; i <= source.size(); ++i) {
      if (i != source.size() && source[i] != '\n') continue;
      ++lineNo;
      std::string_view line = source.substr(start, i - start);
      start = i + 1;
      if (auto err = readLine(line, lineNo)) return *err;
    }
    if (!pendingLabels_.empty()) {
      return Diagnostic::error("line " + std::to_string(lineNo) + ": label '" + pendingLabels_.front() +
                               "' is not followed by an instruction");
    }
    return resolve();
  }

 private:
  Diagnostic error(size_t line, const std::string& what, std::string_view text) {
    std::string t(text);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r')) t.pop_back();
    size_t b = t.find_first_not_of(" \t");
    t = b == std::string::npos ? "" : t.substr(b);
    return Diagnostic::error("line " + std::to_string(line) + ": " + what + " in '" + t + "'");
  }

  std::optional<Diagnostic> tokenize(std::string_view line, size_t lineNo, std::vector<Token>* out) {
    size_t i = 0;
    while (i < line.size()) {
      char c = line[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
      } else if (c == ';') {
        break;
      } else if (isIdentStart(c)) {
        size_t s = i;
        while (i < line.size() && isIdentChar(line[i])) ++i;
        out->push_back({Token::Ident, std::string(line.substr(s, i - s)), 0});
      } else if (isDigit(c) || (c == '-' && i + 1 < line.size() && isDigit(line[i + 1]))) {
        size_t s = i;
        auto v = lexNumber(line, i);
        if (!v) {
          while (i < line.size() && isIdentChar(line[i])) ++i;
          return error(lineNo, "bad number '" + std::string(line.substr(s, i - s)) + "'", line);
        }
        out->push_back({Token::Number, std::string(line.substr(s, i - s)), *v});
      } else if (std::string_view(":,[]()+*&#%").find(c) != std::string_view::npos) {
        out->push_back({Token::Punct, std::string(1, c), 0});
        ++i;
      } else {
        return error(lineNo, "unexpected character '" + std::string(1, c) + "'", line);
      }
    }
    return std::nullopt;
  }

  // Matches one operand at toks[i...]; advances i.
  static std::optional<Operand> matchOperand(const std::vector<Token>& t, size_t& i) {
    auto punct = [&](size_t j, char c) {
      return j < t.size() && t[j].kind == Token::Punct && t[j].text[0] == c;
    };
    auto ident = [&](size_t j, std::string_view s) {
      return j < t.size() && t[j].kind == Token::Ident && t[j].text == s;
    };
    auto number = [&](size_t j) { return j < t.size() && t[j].kind == Token::Number; };
    if (i >= t.size() || punct(i, ',')) return Operand{Form::None, 0};
    if (punct(i, '#')) {
      if (number(i + 1)) {
        i += 2;
        return Operand{Form::Imm, t[i - 1].value};
      }
      if (ident(i + 1, "len")) {
        i += 2;
        return Operand{Form::Len, 0};
      }
      if (i + 1 < t.size() && t[i + 1].kind == Token::Ident) {
        if (const ExtensionInfo* e = extensionNamed(t[i + 1].text)) {
          i += 2;
          return Operand{Form::Ext, extensionK(e->ext)};
        }
      }
      return std::nullopt;
    }
    if (ident(i, "len")) {
      i += 1;
      return Operand{Form::Len, 0};
    }
    if (ident(i, "M") && punct(i + 1, '[') && number(i + 2) && punct(i + 3, ']')) {
      i += 4;
      return Operand{Form::Mem, t[i - 2].value};
    }
    if (punct(i, '[')) {
      if (number(i + 1) && punct(i + 2, ']')) {
        i += 3;
        return Operand{Form::Abs, t[i - 2].value};
      }
      size_t j = i + 1;
      if (punct(j, '%')) ++j;
      if (ident(j, "x") && punct(j + 1, '+') && number(j + 2) && punct(j + 3, ']')) {
        i = j + 4;
        return Operand{Form::Ind, t[j + 2].value};
      }
      return std::nullopt;
    }
    if (number(i) && t[i].value == 4 && punct(i + 1, '*') && punct(i + 2, '(') && punct(i + 3, '[') &&
        number(i + 4) && punct(i + 5, ']') && punct(i + 6, '&') && number(i + 7) && t[i + 7].value == 0xf &&
        punct(i + 8, ')')) {
      i += 9;
      return Operand{Form::Msh, t[i - 5].value};
    }
    if (number(i)) {
      i += 1;
      return Operand{Form::Bare, t[i - 1].value};
    }
    size_t j = i;
    if (punct(j, '%')) ++j;
    if (ident(j, "x")) {
      i = j + 1;
      return Operand{Form::RegX, 0};
    }
    if (ident(j, "a")) {
      i = j + 1;
      return Operand{Form::RegA, 0};
    }
    if (i < t.size() && t[i].kind == Token::Ident) {
      if (const ExtensionInfo* e = extensionNamed(t[i].text)) {
        i += 1;
        return Operand{Form::Ext, extensionK(e->ext)};
      }
    }
    return std::nullopt;
  }

  // The code for (mnemonic, operand), or nullptr.
  static const OpInfo* codeFor(std::string_view m, Form f) {
    Arg size = m == "ldb" ? Arg::B : m == "ldh" ? Arg::H : Arg::W;
    if (m == "ld" || m == "ldh" || m == "ldb") {
      if (f == Form::Abs || f == Form::Ext) return findOp(Shape::LoadAbs, size);
      if (f == Form::Ind) return findOp(Shape::LoadInd, size);
      if (m != "ld") return nullptr;
      if (f == Form::Imm) return &opInfo(Op::LdImm);
      if (f == Form::Len) return &opInfo(Op::LdLen);
      if (f == Form::Mem) return &opInfo(Op::LdMem);
      return nullptr;
    }
    if (m == "ldi") return f == Form::Imm || f == Form::Bare ? &opInfo(Op::LdImm) : nullptr;
    if (m == "ldxi") return f == Form::Imm || f == Form::Bare ? &opInfo(Op::LdxImm) : nullptr;
    if (m == "ldx") {
      if (f == Form::Imm) return &opInfo(Op::LdxImm);
      if (f == Form::Len) return &opInfo(Op::LdxLen);
      if (f == Form::Mem) return &opInfo(Op::LdxMem);
      if (f == Form::Msh) return &opInfo(Op::LdxMsh);
      return nullptr;
    }
    if (m == "ldxb") return f == Form::Msh ? &opInfo(Op::LdxMsh) : nullptr;
    if (m == "st") return f == Form::Mem ? &opInfo(Op::St) : nullptr;
    if (m == "stx") return f == Form::Mem ? &opInfo(Op::Stx) : nullptr;
    if (m == "neg") return f == Form::None ? &opInfo(Op::Neg) : nullptr;
    if (m == "tax") return f == Form::None ? &opInfo(Op::Tax) : nullptr;
    if (m == "txa") return f == Form::None ? &opInfo(Op::Txa) : nullptr;
    if (m == "ret") {
      if (f == Form::Imm) return &opInfo(Op::RetK);
      if (f == Form::RegA) return &opInfo(Op::RetA);
      if (f == Form::RegX) return &opInfo(Op::RetX);
      return nullptr;
    }
    if (f == Form::Imm) return findByMnemonic(m, Shape::AluK);
    if (f == Form::RegX) return findByMnemonic(m, Shape::AluX);
    return nullptr;
  }

  std::optional<Diagnostic> readLine(std::string_view line, size_t lineNo) {
    std::vector<Token> t;
    if (auto err = tokenize(line, lineNo, &t)) return err;
    size_t i = 0;
    while (i + 1 < t.size() && t[i].kind == Token::Ident && t[i + 1].kind == Token::Punct &&
           t[i + 1].text == ":") {
      if (labels_.count(t[i].text) ||
          std::find(pendingLabels_.begin(), pendingLabels_.end(), t[i].text) != pendingLabels_.end()) {
        return error(lineNo, "label '" + t[i].text + "' defined twice", line);
      }
      pendingLabels_.push_back(t[i].text);
      i += 2;
    }
    if (i == t.size()) return std::nullopt;
    if (t[i].kind != Token::Ident) return error(lineNo, "expected an instruction", line);
    std::string m = t[i++].text;
    Statement st{lineNo, std::string(line), {}, {}, {}, {}};

    // Jumps: the condition operand, then labels.
    struct JumpSpelling {
      const char* name;
      Arg cond;
      bool labelIsFalse;  // jneq/jlt/jle: the one label is the false branch
    };
    static constexpr JumpSpelling kJumps[] = {
        {"jeq", Arg::Eq, false}, {"jgt", Arg::Gt, false}, {"jge", Arg::Ge, false}, {"jset", Arg::Set, false},
        {"jneq", Arg::Eq, true}, {"jne", Arg::Eq, true},  {"jlt", Arg::Ge, true},  {"jle", Arg::Gt, true}};
    if (m == "ja" || m == "jmp") {
      if (i + 1 != t.size() || t[i].kind != Token::Ident)
        return error(lineNo, "'" + m + "' takes a label", line);
      st.insn.code = opInfo(Op::Ja).code;
      st.kLabel = t[i].text;
      return add(std::move(st));
    }
    for (const JumpSpelling& j : kJumps) {
      if (m != j.name) continue;
      auto operand = matchOperand(t, i);
      if (!operand || (operand->form != Form::Imm && operand->form != Form::RegX)) {
        return error(lineNo, "'" + m + "' compares with '#k' or 'x'", line);
      }
      std::vector<std::string> targets;
      while (i < t.size()) {
        if (t[i].kind != Token::Punct || t[i].text != "," || i + 1 >= t.size() ||
            t[i + 1].kind != Token::Ident) {
          return error(lineNo, "expected ', label'", line);
        }
        targets.push_back(t[i + 1].text);
        i += 2;
      }
      size_t maxTargets = j.labelIsFalse ? 1 : 2;
      if (targets.empty() || targets.size() > maxTargets) {
        return error(lineNo, "'" + m + "' takes " + (maxTargets == 1 ? "one label" : "one or two labels"),
                     line);
      }
      st.insn.code = findOp(operand->form == Form::Imm ? Shape::JumpK : Shape::JumpX, j.cond)->code;
      st.insn.k = operand->k;
      if (j.labelIsFalse) {
        st.jfLabel = targets[0];
      } else {
        st.jtLabel = targets[0];
        if (targets.size() == 2) st.jfLabel = targets[1];
      }
      return add(std::move(st));
    }
    auto operand = matchOperand(t, i);
    if (!operand) return error(lineNo, "bad operand", line);
    if (i != t.size()) return error(lineNo, "unexpected '" + t[i].text + "'", line);
    const OpInfo* info = codeFor(m, operand->form);
    if (!info) {
      bool known = m == "ldi" || m == "ldxi" || m == "ldxb" || m == "ldx";
      for (const OpInfo& o : allOps()) known = known || o.mnemonic == m;
      return error(
          lineNo, known ? "'" + m + "' does not take this operand" : "unknown instruction '" + m + "'", line);
    }
    st.insn.code = info->code;
    st.insn.k = operand->k;
    return add(std::move(st));
  }

  std::optional<Diagnostic> add(Statement st) {
    for (const std::string& l : pendingLabels_) labels_[l] = statements_.size();
    pendingLabels_.clear();
    statements_.push_back(std::move(st));
    return std::nullopt;
  }

  Expected<Program> resolve() {
    Program p;
    for (size_t pc = 0; pc < statements_.size(); ++pc) {
      Statement& st = statements_[pc];
      auto target = [&](const std::string& label, size_t* out) -> std::optional<Diagnostic> {
        auto it = labels_.find(label);
        if (it == labels_.end()) return error(st.line, "unknown label '" + label + "'", st.text);
        *out = it->second;
        return std::nullopt;
      };
      size_t to = 0;
      if (!st.kLabel.empty()) {
        if (auto err = target(st.kLabel, &to)) return *err;
        st.insn.k = static_cast<uint32_t>(to - pc - 1);  // a backward label wraps, as libpcap reads it
      }
      for (auto [label, field] : {std::pair{&st.jtLabel, &st.insn.jt}, std::pair{&st.jfLabel, &st.insn.jf}}) {
        if (label->empty()) continue;
        if (auto err = target(*label, &to)) return *err;
        if (to <= pc || to - pc - 1 > 255) {
          return error(st.line,
                       "label '" + *label + "' is not 1 to 256 instructions after this one (pc " +
                           std::to_string(pc) + " jumps to " + std::to_string(to) + ")",
                       st.text);
        }
        *field = static_cast<uint8_t>(to - pc - 1);
      }
      p.insns.push_back(st.insn);
    }
    return p;
  }

  std::vector<Statement> statements_;
  std::map<std::string, size_t> labels_;
  std::vector<std::string> pendingLabels_;
};

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

Expected<Program> assemble(std::string_view source) { return Assembler().run(source); }

Expected<std::string> disassemble(const Program& p) {
  const size_t n = p.insns.size();
  std::vector<bool> isTarget(n, false);
  auto mark = [&](uint64_t t) {
    if (t < n) isTarget[t] = true;
  };
  for (size_t pc = 0; pc < n; ++pc) {
    const Insn& in = p.insns[pc];
    const OpInfo* info = opInfo(in.code);
    if (!info) continue;
    if (info->shape == Shape::Jump) mark(static_cast<uint32_t>(pc + 1 + in.k));
    if (info->isConditional()) {
      mark(pc + 1 + in.jt);
      mark(pc + 1 + in.jf);
    }
  }
  auto label = [](uint64_t t) { return "L" + std::to_string(t); };
  std::string out;
  for (size_t pc = 0; pc < n; ++pc) {
    const Insn& in = p.insns[pc];
    const OpInfo* info = opInfo(in.code);
    auto refuse = [&](const std::string& why) {
      return Diagnostic::error("pc " + std::to_string(pc) + ": " + why);
    };
    if (!info) return refuse("unknown opcode " + hex(in.code) + " has no bpf_asm spelling");
    std::string line = isTarget[pc] ? label(pc) + ": " : "";
    std::string m(info->mnemonic);
    std::string k = std::to_string(in.k);
    switch (info->shape) {
      case Shape::LoadImm:
        line += m + " #" + hex(in.k);
        break;
      case Shape::LoadAbs:
        if (const ExtensionInfo* e = extensionAt(in.k))
          line += m + " #" + std::string(asmExtensionName(*e));
        else
          line += m + " [" + k + "]";
        break;
      case Shape::LoadInd:
        line += m + " [x + " + k + "]";
        break;
      case Shape::LoadMem:
      case Shape::Store:
        line += m + " M[" + k + "]";
        break;
      case Shape::LoadLen:
        line += m + " #len";
        break;
      case Shape::LoadMsh:
        line += "ldxb 4*([" + k + "]&0xf)";
        break;
      case Shape::AluK:
        line += m + " #" + (info->operand == bpf::Operand::HexImm ? hex(in.k) : k);
        break;
      case Shape::AluX:
        line += m + " x";
        break;
      case Shape::Negate:
      case Shape::Move:
        line += m;
        break;
      case Shape::Jump:
        line += "ja " + label(static_cast<uint32_t>(pc + 1 + in.k));
        break;
      case Shape::JumpK:
      case Shape::JumpX:
        line += m + (info->shape == Shape::JumpK ? " #" + hex(in.k) : std::string(" x")) + ", " +
                label(pc + 1 + in.jt) + ", " + label(pc + 1 + in.jf);
        break;
      case Shape::ReturnK:
        line += "ret #" + k;
        break;
      case Shape::ReturnReg:
        line += info->arg == Arg::A ? "ret a" : "ret x";
        break;
    }
    out += line + "\n";
  }
  // Jump targets past the end have no instruction to carry the label.
  for (size_t pc = 0; pc < n; ++pc) {
    const OpInfo* info = opInfo(p.insns[pc].code);
    const Insn& in = p.insns[pc];
    bool outside = (info->shape == Shape::Jump && static_cast<uint32_t>(pc + 1 + in.k) >= n) ||
                   (info->isConditional() && (pc + 1 + in.jt >= n || pc + 1 + in.jf >= n));
    if (outside)
      return Diagnostic::error("pc " + std::to_string(pc) + ": jump target past the end of the program");
  }
  return out;
}

std::string bytecode(const Program& p) {
  std::string out = std::to_string(p.insns.size());
  char buf[64];
  for (const Insn& in : p.insns) {
    std::snprintf(buf, sizeof buf, ",%u %u %u %u", in.code, in.jt, in.jf, in.k);
    out += buf;
  }
  return out;
}

}  // namespace sift::bpf
