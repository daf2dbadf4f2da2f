#include "sift/diagnostics.h"

namespace sift {

std::string render(const Diagnostic& d, std::string_view source) {
  std::string out;
  switch (d.severity) {
    case Severity::Error: out += "error: "; break;
    case Severity::Warning: out += "warning: "; break;
    case Severity::Note: out += "note: "; break;
  }
  out += d.message;
  out += '\n';
  if (d.span && !source.empty()) {
    // Find the line that holds the span's first byte.
    size_t begin = d.span->begin <= source.size() ? d.span->begin : source.size();
    size_t lineStart = 0;
    if (begin > 0) {
      size_t nl = source.rfind('\n', begin - 1);
      if (nl != std::string_view::npos) lineStart = nl + 1;
    }
    size_t lineEnd = source.find('\n', lineStart);
    if (lineEnd == std::string_view::npos) lineEnd = source.size();
    std::string_view line = source.substr(lineStart, lineEnd - lineStart);
    out += "  ";
    for (char c : line) out += (c == '\t' || c == '\r') ? ' ' : c;
    out += "\n  ";
    out.append(begin - lineStart, ' ');
    out += '^';
    size_t end = d.span->end < lineEnd ? d.span->end : lineEnd;
    if (end > begin + 1) out.append(end - begin - 1, '~');
    out += '\n';
  }
  for (const auto& n : d.notes) {
    out += "note: ";
    out += n;
    out += '\n';
  }
  return out;
}

}  // namespace sift
