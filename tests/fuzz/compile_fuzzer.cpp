// libFuzzer target: the compiler on arbitrary expressions.
//
// The input is [link type index] [flags] expression bytes, then (after a
// NUL) packet bytes. The expression is compiled for one of the link types
// sift supports, with a fixed resolver (no name service is ever asked),
// and these must hold for every input, or the target aborts with the
// expression:
//   - compiling never crashes, hangs or leaks (the sanitizers see to it);
//   - an error has a message, and its span lies inside the expression;
//   - a compiled program passes the validator (libpcap profile): the
//     compiler never emits what the engines would refuse. (Not the kernel
//     profile: `ether[-14:2]` is a valid libpcap expression whose offset
//     the kernel would read as an ancillary load.)
//   - compiling is deterministic: the same options give the same program;
//   - the optimizer changes no verdict: -O0, -O1 and -O2 return the same
//     value on the packet, whole and cut short; where the optimized
//     compile says "expression rejects all packets", -O0's program
//     rejects the packet.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/link_layer.h"
#include "sift/bpf.h"
#include "sift/compile.h"
#include "sift/vm.h"

namespace {

using namespace sift;

// Long enough for every construct, short enough that one input compiles
// in well under a second at -O0.
constexpr size_t kMaxExpression = 1024;

[[noreturn]] void fail(std::string_view expr, uint32_t dlt, const std::string& what) {
  std::fprintf(stderr, "link type %u, expression '%.*s': %s\n", dlt, static_cast<int>(expr.size()),
               expr.data(), what.c_str());
  std::abort();
}

const NameResolver& resolver() {
  static const FixedResolver r = [] {
    FixedResolver f = FixedResolver::standard();
    f.hosts.push_back({"gw", {0x0a000001}, {}});
    f.hosts.push_back({"dual", {0xc0a80101, 0xc0a80102}, {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}});
    f.networks.push_back({"lan", 0xc0a80000});
    f.ethers.push_back({"gw", {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}});
    return f;
  }();
  return r;
}

std::optional<bpf::ValidatedProgram> compileChecked(std::string_view expr, uint32_t dlt, int level,
                                                    bool& rejectsAll) {
  CompileOptions options;
  options.linktype = dlt;
  options.optimizeLevel = level;
  options.resolver = &resolver();
  auto program = compile(expr, options);
  rejectsAll = false;
  if (!program) {
    const Diagnostic& d = program.error();
    if (d.message.empty()) fail(expr, dlt, "an error without a message");
    if (d.span && (d.span->begin > d.span->end || d.span->end > expr.size()))
      fail(expr, dlt, "error span [" + std::to_string(d.span->begin) + ", " + std::to_string(d.span->end) +
                          ") outside the expression: " + d.message);
    rejectsAll = d.message.find("rejects all packets") != std::string::npos;
    return std::nullopt;
  }
  auto again = compile(expr, options);
  if (!again || !(*again == *program)) fail(expr, dlt, "two compiles gave different results");
  auto validated = bpf::validate(*program, bpf::Profile::Libpcap);
  if (!validated)
    fail(expr, dlt, "-O" + std::to_string(level) + " program fails validation: " + validated.error().message +
                        "\n" + bpf::listing(*program, bpf::ListingFormat::Image));
  return std::move(*validated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto links = compiler::linkLayers();
  const uint32_t dlt = links[data[0] % links.size()].dlt;
  const int level = 1 + (data[1] & 1);  // the optimized level to compare with -O0
  const uint8_t* body = data + 2;
  const size_t bodySize = size - 2;
  const void* nul = std::memchr(body, 0, bodySize);
  const size_t exprSize = nul ? static_cast<const uint8_t*>(nul) - body : bodySize;
  if (exprSize > kMaxExpression) return 0;
  const std::string_view expr(reinterpret_cast<const char*>(body), exprSize);
  std::span<const uint8_t> packet;
  if (nul) packet = std::span<const uint8_t>(body + exprSize + 1, bodySize - exprSize - 1);

  bool plainRejectsAll = false, optimizedRejectsAll = false;
  auto plain = compileChecked(expr, dlt, 0, plainRejectsAll);
  auto optimized = compileChecked(expr, dlt, level, optimizedRejectsAll);
  if (plain.has_value() != optimized.has_value() && !(plain && optimizedRejectsAll))
    fail(expr, dlt, std::string("-O0 ") + (plain ? "compiles" : "refuses") + " but -O" + std::to_string(level) +
                        (optimized ? " compiles" : " refuses"));
  if (!plain) return 0;

  const size_t cuts[] = {packet.size(), packet.size() / 2, std::min<size_t>(packet.size(), 14)};
  for (size_t captured : cuts) {
    auto bytes = packet.first(captured);
    const uint32_t wire = static_cast<uint32_t>(packet.size());
    const uint32_t want = vm::run(*plain, bytes, wire);
    const uint32_t got = optimized ? vm::run(*optimized, bytes, wire) : 0;
    if (want != got)
      fail(expr, dlt, "-O0 returns " + std::to_string(want) + ", -O" + std::to_string(level) + " returns " +
                          std::to_string(got) + " on " + std::to_string(captured) + " of " +
                          std::to_string(wire) + " bytes");
  }
  return 0;
}
