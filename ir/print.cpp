#include <string>

#include "ir/ir.h"

namespace sift::ir {

std::string print(const Program& p) {
  std::string out = "entry: b" + std::to_string(p.entry) + "\n";
  for (size_t i = 0; i < p.blocks.size(); ++i) {
    const Block& b = p.blocks[i];
    out += "b" + std::to_string(i) + ":\n";
    for (const auto& s : b.stmts) out += "  " + bpf::imageLine(s, 0).substr(6) + "\n";
    std::string term = bpf::imageLine(b.term, 0).substr(6);
    if (b.termKind == TermKind::Branch && b.jt == b.jf) {
      out += "  ja       -> b" + std::to_string(b.jt) + "\n";
    } else if (b.termKind == TermKind::Branch) {
      // imageLine prints "jt 1\tjf 1" for a zero-offset jump; replace with block names.
      auto cut = term.find(" jt ");
      if (cut != std::string::npos) term = term.substr(0, cut);
      while (!term.empty() && term.back() == ' ') term.pop_back();
      out += "  " + term + " -> b" + std::to_string(b.jt) + ", b" + std::to_string(b.jf) + "\n";
    } else {
      while (!term.empty() && term.back() == ' ') term.pop_back();
      out += "  " + term + "\n";
    }
  }
  return out;
}

std::string toDot(const Program& p) {
  std::string out = "digraph sift {\n  node [shape=box fontname=monospace];\n";
  for (size_t i = 0; i < p.blocks.size(); ++i) {
    const Block& b = p.blocks[i];
    std::string label = "b" + std::to_string(i) + "\\l";
    for (const auto& s : b.stmts) label += bpf::imageLine(s, 0).substr(6) + "\\l";
    std::string term = bpf::imageLine(b.term, 0).substr(6);
    auto cut = term.find(" jt ");
    if (cut != std::string::npos) term = term.substr(0, cut);
    while (!term.empty() && term.back() == ' ') term.pop_back();
    if (b.termKind == TermKind::Branch && b.jt == b.jf) term = "ja";
    label += term + "\\l";
    out += "  b" + std::to_string(i) + " [label=\"" + label + "\"];\n";
    if (b.termKind == TermKind::Branch && b.jt == b.jf) {
      out += "  b" + std::to_string(i) + " -> b" + std::to_string(b.jt) + ";\n";
    } else if (b.termKind == TermKind::Branch) {
      out += "  b" + std::to_string(i) + " -> b" + std::to_string(b.jt) + " [label=T];\n";
      out += "  b" + std::to_string(i) + " -> b" + std::to_string(b.jf) + " [label=F style=dashed];\n";
    }
  }
  out += "  entry -> b" + std::to_string(p.entry) + ";\n  entry [shape=point];\n}\n";
  return out;
}

}  // namespace sift::ir
