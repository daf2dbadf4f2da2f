// Reader for the decimal program format: tcpdump -ddd output (a count line,
// then "code jt jf k" per line) and the one-line comma-separated form used
// by `iptables -m bpf --bytecode` ("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sift/bpf.h"

namespace sift::bpf {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !isSpace(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// A decimal number no larger than `max`.
bool parseNumber(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > max) return false;
  }
  *out = v;
  return true;
}

// One "code jt jf k" group; `where` is "line 3" or "line 1, item 3".
Expected<Insn> parseInsn(std::string_view text, const std::string& where) {
  std::vector<std::string_view> fields = splitFields(text);
  if (fields.size() != 4) {
    return Diagnostic::error(where + ": expected 'code jt jf k', got '" + std::string(trim(text)) + "'");
  }
  static constexpr const char* kNames[] = {"code", "jt", "jf", "k"};
  static constexpr uint64_t kMax[] = {0xffff, 0xff, 0xff, 0xffffffff};
  uint64_t v[4];
  for (int i = 0; i < 4; ++i) {
    if (!parseNumber(fields[i], kMax[i], &v[i])) {
      return Diagnostic::error(where + ": " + kNames[i] + " '" + std::string(fields[i]) +
                               "' is not a decimal number from 0 to " + std::to_string(kMax[i]));
    }
  }
  return Insn{static_cast<uint16_t>(v[0]), static_cast<uint8_t>(v[1]), static_cast<uint8_t>(v[2]),
              static_cast<uint32_t>(v[3])};
}

Expected<size_t> parseCount(std::string_view text, const std::string& where) {
  uint64_t n = 0;
  std::string_view t = trim(text);
  if (!parseNumber(t, 0xffffffffu, &n)) {
    return Diagnostic::error(where + ": expected an instruction count, got '" + std::string(t) + "'");
  }
  return static_cast<size_t>(n);
}

Expected<Program> parseCommaForm(std::string_view text) {
  std::vector<std::string_view> items;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      items.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  // Allow one trailing comma.
  if (items.size() > 1 && trim(items.back()).empty()) items.pop_back();
  auto count = parseCount(items[0], "line 1, item 1");
  if (!count) return count.takeError();
  Program p;
  for (size_t i = 1; i < items.size(); ++i) {
    auto insn = parseInsn(items[i], "line 1, item " + std::to_string(i + 1));
    if (!insn) return insn.takeError();
    p.insns.push_back(*insn);
  }
  if (p.insns.size() != *count) {
    return Diagnostic::error("line 1: count says " + std::to_string(*count) + " instructions but " +
                             std::to_string(p.insns.size()) + " follow");
  }
  return p;
}

}  // namespace

Expected<Program> parseDecimal(std::string_view text) {
  // Split into lines, remembering each line's number; skip blank lines.
  std::vector<std::pair<size_t, std::string_view>> lines;
  size_t lineNo = 1, start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      std::string_view line = text.substr(start, i - start);
      if (!trim(line).empty()) lines.emplace_back(lineNo, line);
      ++lineNo;
      start = i + 1;
    }
  }
  if (lines.empty()) return Diagnostic::error("line 1: expected an instruction count, got an empty text");
  if (lines.size() == 1 && lines[0].second.find(',') != std::string_view::npos) {
    if (lines[0].first != 1) {
      // Keep line numbers truthful when blank lines precede the program.
      auto p = parseCommaForm(lines[0].second);
      if (!p) {
        std::string msg = p.error().message;
        if (msg.rfind("line 1", 0) == 0) msg = "line " + std::to_string(lines[0].first) + msg.substr(6);
        return Diagnostic::error(msg);
      }
      return p;
    }
    return parseCommaForm(lines[0].second);
  }
  auto where = [](size_t n) { return "line " + std::to_string(n); };
  auto count = parseCount(lines[0].second, where(lines[0].first));
  if (!count) return count.takeError();
  Program p;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto insn = parseInsn(lines[i].second, where(lines[i].first));
    if (!insn) return insn.takeError();
    p.insns.push_back(*insn);
  }
  if (p.insns.size() != *count) {
    return Diagnostic::error(where(lines[0].first) + ": count says " + std::to_string(*count) +
                             " instructions but " + std::to_string(p.insns.size()) + " follow");
  }
  return p;
}

}  // namespace sift::bpf
