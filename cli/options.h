// The command line of `sift`, parsed the way tcpdump parses its own:
// single-letter options may be bundled (-nr FILE, -s0, -ddd), options may
// follow the expression words (GNU getopt permutation), and `--` ends the
// options so an expression may start with '-'.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/summary.h"
#include "sift/diagnostics.h"

namespace sift::cli {

enum class Mode : uint8_t {
  Compile,        // print a listing (the default without -r)
  Read,           // -r FILE: filter a capture file
  Live,           // -i IFACE: capture from a network interface
  ListInterfaces, // -D, --list-interfaces
  Help,           // --help
  Version,        // --version
  ListLinktypes,  // --list-linktypes
  Bench,          // `sift bench`: time the filter over a capture file
};

// Libpcap is libpcap's own bpf_filter() running sift's program; All (only
// for `sift bench`) is every engine of the build.
enum class Engine : uint8_t { Vm, Jit, Libpcap, All };

struct Options {
  Mode mode = Mode::Compile;
  int dumpLevel = 0;        // number of -d: 1 -d, 2 -dd, 3 or more -ddd
  int optimizeLevel = 1;    // -O (none) -O0 -O1 -O2
  std::optional<std::string> linktype;  // -y, as typed (resolved by the caller)
  std::optional<uint32_t> snaplen;   // -s, with 0 already mapped to 262144
  std::optional<std::string> filterFile;  // -F
  std::optional<std::string> readFile;    // -r
  std::optional<std::string> writeFile;   // -w
  std::optional<std::string> interface;   // -i
  bool promiscuous = true;                // -p turns it off, as in tcpdump
  std::optional<uint64_t> count;          // -c
  TimestampStyle timestamps = TimestampStyle::TimeOfDay;  // -t, -tt
  Engine engine = Engine::Vm;             // --engine
  bool engineGiven = false;               // --engine was on the command line
  // Looking inside the compiler (listings and `sift bench`):
  std::vector<std::string> printAfter;    // --print-after=PASS,... ("all": --print-after-all)
  bool stats = false;                     // --stats
  bool dot = false;                       // --dot: Graphviz instead of the listing
  std::optional<std::string> programFile; // --program FILE: a -ddd program instead of an expression
  double minTime = 0.5;                   // --min-time SECONDS (sift bench)
  std::vector<std::string> expressionWords;
  std::vector<std::string> warnings;      // printed as "sift: warning: ..."
};

/// tcpdump's largest snapshot length, and what -s 0 means.
inline constexpr uint32_t kMaxSnaplen = 262144;

/// Parses argv[1..]. A usage error comes back as a Diagnostic whose
/// message is ready to print after "sift: ".
Expected<Options> parseOptions(std::span<const std::string_view> args);

/// The expression words joined with single spaces, as tcpdump joins them.
std::string joinExpression(const std::vector<std::string>& words);

/// The text of a -F file with '#' comments blanked out (to the end of the
/// line, as tcpdump does) and the trailing newline kept out of spans.
std::string stripFilterComments(std::string text);

}  // namespace sift::cli
