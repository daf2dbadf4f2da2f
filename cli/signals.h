// SIGINT and SIGTERM while sift reads a file or captures: the first one
// asks the current run to stop between packets; a second one ends the
// process at once.
#pragma once

namespace sift::cli {

/// The signal that asked the run to stop, or 0.
int stopSignal();

/// Catches SIGINT and SIGTERM while it lives. A SIGINT that was ignored
/// when sift started (a background job of a script) stays ignored, as is
/// the custom for Unix tools. `onStop`, when given, is also called from the
/// signal handler, so it must be async-signal-safe.
class StopSignalGuard {
 public:
  explicit StopSignalGuard(void (*onStop)(void*) = nullptr, void* context = nullptr);
  ~StopSignalGuard();
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;
};

}  // namespace sift::cli
