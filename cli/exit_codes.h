// The exit status of `sift`, one per kind of failure (see docs/cli.md).
// The numbers follow <sysexits.h>, as libpcap's filtertest does, so a
// script can tell a bad expression from a bad command line or a bad file.
#pragma once

namespace sift::cli {

enum ExitCode : int {
  ExitOk = 0,
  ExitUsage = 64,        // EX_USAGE: unknown option, missing or bad argument
  ExitExpression = 65,   // EX_DATAERR: the filter expression was rejected
  ExitNoInput = 66,      // EX_NOINPUT: an input file is missing, unreadable or damaged
  ExitInternal = 70,     // EX_SOFTWARE: sift produced a program that fails validation
  ExitCantCreate = 73,   // EX_CANTCREAT: the -w output file cannot be created
  ExitIo = 74,           // EX_IOERR: writing output failed
  ExitInterrupted = 130, // 128 + the signal: SIGINT 130, SIGTERM 143; -w output left untouched
};

}  // namespace sift::cli
