// Shared helpers for the grammar tests (see support.h).
#include "support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#ifdef SIFT_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

namespace sift::test {

const FixedResolver& testResolver() {
  static const FixedResolver r = [] {
    FixedResolver f = FixedResolver::standard();
    f.hosts.push_back({"gw", {0x0a000001}, {}});
    f.hosts.push_back({"dual", {0x0a000002, 0x0a000003},
                       {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02}}});
    f.hosts.push_back({"six", {}, {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x06}}});
    f.networks.push_back({"lab", 0xc0a8});  // "192.168": a /16
    f.networks.push_back({"full", 0xc0a80100});
    f.ethers.push_back({"printer", {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}});
    f.services.push_back({"split", NameResolver::Service{1000, 1001, std::nullopt}});
    return f;
  }();
  return r;
}

Expected<ast::Tree> parseAndResolve(std::string_view text) {
  auto tree = grammar::parse(text);
  if (!tree) return tree;
  compiler::ResolveOptions opts;
  opts.resolver = &testResolver();
  Status s = compiler::resolve(*tree, opts);
  if (!s) return s.takeError();
  return tree;
}

std::string describe(std::string_view text) {
  auto tree = parseAndResolve(text);
  if (tree) return ast::dump(*tree);
  const Diagnostic& d = tree.error();
  std::string out = "error";
  if (d.span) out += " " + std::to_string(d.span->begin) + "-" + std::to_string(d.span->end);
  return out + ": " + d.message;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> corpusLines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(readFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("# ", 0) == 0 || line == "#") continue;
    lines.push_back(line);
  }
  return lines;
}

bool updating() {
  const char* v = std::getenv("SIFT_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

std::optional<std::optional<std::string>> libpcapCompile(const std::string& expr) {
#ifdef SIFT_HAVE_LIBPCAP
  pcap_t* p = pcap_open_dead(DLT_EN10MB, 262144);
  if (!p) return std::nullopt;
  bpf_program prog;
  std::optional<std::string> result;
  if (pcap_compile(p, &prog, expr.c_str(), 1, 0) < 0) {
    result = std::string(pcap_geterr(p));
  } else {
    pcap_freecode(&prog);
  }
  pcap_close(p);
  return result;
#else
  (void)expr;
  return std::nullopt;
#endif
}

}  // namespace sift::test
