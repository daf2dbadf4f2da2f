// The modes of `sift`, one file each: listings (compile_cmd.cpp), reading
// capture files (read_cmd.cpp) and the informational options (help.cpp).
// Each returns the process exit status (cli/exit_codes.h) and prints its
// own messages, prefixed "sift: ", on stderr.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "cli/options.h"
#include "sift/bpf.h"
#include "sift/compile.h"

namespace sift::cli {

/// Prints "sift: MESSAGE" on stderr and returns `code`.
int fail(int code, const std::string& message);
/// Prints "sift: warning: MESSAGE" on stderr.
void warn(const std::string& message);

/// The expression to compile: the -F file (comments blanked) or the
/// command-line words. Returns the exit code on failure.
int loadExpression(const Options& options, std::string& expression);

/// Compiles `expression` for `linktype` and validates the result under the
/// libpcap profile. On failure prints the diagnostic (with a caret under
/// the span) and returns the exit code; `raw`, when given, receives the
/// program even if validation fails.
int compileExpression(const std::string& expression, uint32_t linktype, uint32_t snaplen,
                      int optimizeLevel, std::optional<bpf::ValidatedProgram>& out,
                      bpf::Program* raw = nullptr, CompileTrace* trace = nullptr);

/// The observers --print-after and --stats ask for, or none (`out` left
/// empty). An unknown pass name is a usage error: printed, and its exit
/// code returned. The IR printed after a pass goes to stderr at once.
int makeTrace(const Options& options, std::optional<CompileTrace>& out);
/// The --stats lines, on stderr: one per pass, then the final size.
void printStats(const CompileTrace& trace, size_t finalInstructions);

/// `sift bench -r FILE EXPRESSION`: time the filter on each engine.
int runBench(const Options& options, const std::string& expression);

/// Prints the listing of `program` in the format chosen by -d, -dd, -ddd.
int printListing(const bpf::Program& program, int dumpLevel);

/// `sift [-d|-dd|-ddd] [-y LINKTYPE] [-s SNAPLEN] [-O...] EXPRESSION`
int runCompile(const Options& options, const std::string& expression);
/// `sift -r FILE [-w OUT] [-c COUNT] EXPRESSION`
int runRead(const Options& options, const std::string& expression);

/// `sift -i IFACE [-w OUT] [-c COUNT] [-p] EXPRESSION`
int runLive(const Options& options, const std::string& expression);
/// `sift -D`: the interfaces -i can capture on.
int printInterfaces();

/// "EN10MB (Ethernet)": a link type's name and description, as tcpdump
/// prints it in "reading from file ..." and "listening on ...".
std::string describeLinktype(uint32_t dlt);

int printHelp(std::FILE* out);
int printVersion();
int printLinktypes();
/// The short usage line printed after a usage error.
void printUsageHint();
/// The usage synopsis and that line, for `sift` run with no arguments.
void printUsage();

}  // namespace sift::cli
