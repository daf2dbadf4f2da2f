// `sift -d | -dd | -ddd EXPRESSION`: compile an expression for a link type
// and print tcpdump's listing of the program. Also the pieces every mode
// shares: loading the expression (words or -F file), compiling it with
// caret diagnostics, and the error and warning printers.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "sift/compile.h"
#include "sift/linktype.h"

namespace sift::cli {

int fail(int code, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "sift: %s\n", message.c_str());
  return code;
}

void warn(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "sift: warning: %s\n", message.c_str());
}

int loadExpression(const Options& options, std::string& expression) {
  if (!options.filterFile) {
    expression = joinExpression(options.expressionWords);
    return ExitOk;
  }
  const std::string& path = *options.filterFile;
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ExitNoInput, "cannot read '" + path + "': " + std::strerror(errno));
    text << in.rdbuf();
    if (in.bad()) return fail(ExitNoInput, "cannot read '" + path + "': " + std::strerror(errno));
  }
  expression = stripFilterComments(text.str());
  return ExitOk;
}

int compileExpression(const std::string& expression, uint32_t linktype, uint32_t snaplen,
                      int optimizeLevel, std::optional<bpf::ValidatedProgram>& out, bpf::Program* raw) {
  CompileOptions compileOptions;
  compileOptions.linktype = linktype;
  compileOptions.snaplen = snaplen;
  compileOptions.optimizeLevel = optimizeLevel;
  auto program = compile(expression, compileOptions);
  if (!program) {
    std::fflush(stdout);
    std::fprintf(stderr, "sift: %s", render(program.error(), expression).c_str());
    return ExitExpression;
  }
  if (raw) *raw = *program;
  auto validated = bpf::validate(*program, bpf::Profile::Libpcap);
  if (!validated)
    return fail(ExitInternal, "internal error: the program for '" + expression +
                                  "' fails validation: " + validated.error().message);
  out.emplace(std::move(validated.value()));
  return ExitOk;
}

int printListing(const bpf::Program& program, int dumpLevel) {
  bpf::ListingFormat format = dumpLevel <= 1   ? bpf::ListingFormat::Image
                              : dumpLevel == 2 ? bpf::ListingFormat::CArray
                                               : bpf::ListingFormat::Decimal;
  std::string text = bpf::listing(program, format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return fail(ExitIo, std::string("cannot write the listing: ") + std::strerror(errno));
  return ExitOk;
}

int runCompile(const Options& options, const std::string& expression) {
  uint32_t linktype = 1;  // DLT_EN10MB, as tcpdump assumes without an interface
  if (options.linktype) {
    auto parsed = parseLinktype(*options.linktype);
    if (!parsed)
      return fail(ExitUsage, "unknown link type '" + *options.linktype + "' (see 'sift --list-linktypes')");
    linktype = *parsed;
  }
  uint32_t snaplen = options.snaplen.value_or(kMaxSnaplen);
  std::optional<bpf::ValidatedProgram> validated;
  bpf::Program program;
  int status = compileExpression(expression, linktype, snaplen, options.optimizeLevel, validated, &program);
  if (status == ExitExpression) return status;
  // A program that fails validation is still printed: it is what the
  // compiler produced, and the listing is what a bug report needs.
  int printed = printListing(program, options.dumpLevel);
  return status != ExitOk ? status : printed;
}

}  // namespace sift::cli
