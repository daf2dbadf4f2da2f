// `sift -d | -dd | -ddd EXPRESSION`: compile an expression for a link type
// and print tcpdump's listing of the program. Also the pieces every mode
// shares: loading the expression (words or -F file), compiling it with
// caret diagnostics, and the error and warning printers.
#include <algorithm>
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

namespace {

/// The whole text of `path` ("-": standard input), or ExitNoInput with
/// the reason.
int readText(const std::string& path, std::string& out) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ExitNoInput, "cannot read '" + path + "': " + std::strerror(errno));
    text << in.rdbuf();
    if (in.bad()) return fail(ExitNoInput, "cannot read '" + path + "': " + std::strerror(errno));
  }
  out = text.str();
  return ExitOk;
}

}  // namespace

int loadExpression(const Options& options, std::string& expression) {
  if (!options.filterFile) {
    expression = joinExpression(options.expressionWords);
    return ExitOk;
  }
  std::string text;
  if (int rc = readText(*options.filterFile, text); rc != ExitOk) return rc;
  expression = stripFilterComments(text);
  return ExitOk;
}

int compileExpression(const std::string& expression, uint32_t linktype, uint32_t snaplen,
                      int optimizeLevel, std::optional<bpf::ValidatedProgram>& out, bpf::Program* raw,
                      CompileTrace* trace) {
  CompileOptions compileOptions;
  compileOptions.trace = trace;
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

int makeTrace(const Options& options, std::optional<CompileTrace>& out) {
  out.reset();
  if (options.printAfter.empty() && !options.stats) return ExitOk;
  std::vector<std::string> known = {"lower"};  // in pipeline order, each once
  for (auto& pass : optimizerPasses(2))
    if (std::find(known.begin(), known.end(), pass) == known.end()) known.push_back(std::move(pass));
  for (const auto& pass : options.printAfter) {
    if (pass == "all" || std::find(known.begin(), known.end(), pass) != known.end()) continue;
    std::string names;
    for (const auto& name : known) names += (names.empty() ? "" : ", ") + name;
    fail(ExitUsage, "unknown pass '" + pass + "' (passes: " + names + ")");
    printUsageHint();
    return ExitUsage;
  }
  CompileTrace& trace = out.emplace();
  trace.printAfter = options.printAfter;
  trace.collectStats = options.stats;
  trace.onPrint = [](std::string_view pass, std::string_view text) {
    std::fflush(stdout);
    std::fprintf(stderr, "*** IR after %.*s ***\n", static_cast<int>(pass.size()), pass.data());
    std::fwrite(text.data(), 1, text.size(), stderr);
    if (!text.empty() && text.back() != '\n') std::fputc('\n', stderr);
  };
  return ExitOk;
}

void printStats(const CompileTrace& trace, size_t finalInstructions) {
  std::fflush(stdout);
  for (const auto& stat : trace.stats)
    std::fprintf(stderr, "%s: %zu run%s, %zu block%s removed, %zu instruction%s removed\n", stat.pass.c_str(),
                 stat.runs, stat.runs == 1 ? "" : "s", stat.blocksRemoved, stat.blocksRemoved == 1 ? "" : "s",
                 stat.insnsRemoved, stat.insnsRemoved == 1 ? "" : "s");
  std::fprintf(stderr, "final: %zu instruction%s\n", finalInstructions, finalInstructions == 1 ? "" : "s");
}

namespace {

/// --dot: the program's control-flow graph as Graphviz text on stdout.
int printDot(const bpf::Program& program) {
  auto dot = programDot(program);
  if (!dot) return fail(ExitInternal, "cannot draw the program: " + dot.error().message);
  std::fwrite(dot->data(), 1, dot->size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return fail(ExitIo, std::string("cannot write the graph: ") + std::strerror(errno));
  return ExitOk;
}

/// `sift --program FILE [-d | -dd | -ddd | --dot]`: a ready-made program in
/// the -ddd format, printed again or drawn.
int runProgramFile(const Options& options) {
  const std::string& path = *options.programFile;
  std::string text;
  if (int rc = readText(path, text); rc != ExitOk) return rc;
  auto program = bpf::parseDecimal(text);
  if (!program) return fail(ExitNoInput, "'" + path + "' is not a program in the -ddd format: " + program.error().message);
  if (!options.dot) return printListing(*program, options.dumpLevel);
  auto dot = programDot(*program);
  if (!dot) return fail(ExitExpression, "cannot draw the program in '" + path + "': " + dot.error().message);
  std::fwrite(dot->data(), 1, dot->size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return fail(ExitIo, std::string("cannot write the graph: ") + std::strerror(errno));
  return ExitOk;
}

}  // namespace

int runCompile(const Options& options, const std::string& expression) {
  if (options.programFile) return runProgramFile(options);
  uint32_t linktype = 1;  // DLT_EN10MB, as tcpdump assumes without an interface
  if (options.linktype) {
    auto parsed = parseLinktype(*options.linktype);
    if (!parsed)
      return fail(ExitUsage, "unknown link type '" + *options.linktype + "' (see 'sift --list-linktypes')");
    linktype = *parsed;
  }
  uint32_t snaplen = options.snaplen.value_or(kMaxSnaplen);
  std::optional<CompileTrace> trace;
  if (int status = makeTrace(options, trace); status != ExitOk) return status;
  std::optional<bpf::ValidatedProgram> validated;
  bpf::Program program;
  int status = compileExpression(expression, linktype, snaplen, options.optimizeLevel, validated, &program,
                                 trace ? &*trace : nullptr);
  if (status == ExitExpression) return status;
  if (trace && options.stats) printStats(*trace, program.insns.size());
  // A program that fails validation is still printed: it is what the
  // compiler produced, and the listing is what a bug report needs.
  int printed = options.dot ? printDot(program) : printListing(program, options.dumpLevel);
  return status != ExitOk ? status : printed;
}

}  // namespace sift::cli
