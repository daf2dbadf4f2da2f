// `sift`: the command-line entry point. Parses the options, loads the
// expression and hands over to one mode (listing, reading a file, help).
// Everything a mode prints, and the exit status, is decided in that mode's
// file; see docs/cli.md for the whole reference.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/options.h"

int main(int argc, char** argv) {
  using namespace sift::cli;
  if (argc <= 1) {  // a bare `sift` most likely wants to know how to call it
    printUsage();
    return ExitUsage;
  }
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = parseOptions(args);
  if (!options) {
    fail(ExitUsage, options.error().message);
    printUsageHint();
    return ExitUsage;
  }
  for (const auto& warning : options->warnings) warn(warning);

  switch (options->mode) {
    case Mode::Help: return printHelp(stdout);
    case Mode::Version: return printVersion();
    case Mode::ListLinktypes: return printLinktypes();
    case Mode::ListInterfaces: return printInterfaces();
    case Mode::Compile:
    case Mode::Read:
    case Mode::Live:
    case Mode::Bench: break;
  }
  std::string expression;
  if (int status = loadExpression(*options, expression); status != ExitOk) return status;
  if (options->mode == Mode::Read) return runRead(*options, expression);
  if (options->mode == Mode::Live) return runLive(*options, expression);
  if (options->mode == Mode::Bench) return runBench(*options, expression);
  return runCompile(*options, expression);
}
