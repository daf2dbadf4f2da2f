// The stop-signal handler shared by `sift -r` and `sift -i` (signals.h).
#include "cli/signals.h"

#include <csignal>

namespace sift::cli {
namespace {

volatile std::sig_atomic_t caught = 0;
void (*volatile stopCallback)(void*) = nullptr;
void* volatile stopContext = nullptr;
struct sigaction previousInt {}, previousTerm {};

extern "C" void onStopSignal(int signal) {
  caught = signal;
  if (auto callback = stopCallback) callback(stopContext);
  std::signal(signal, SIG_DFL);  // a second signal ends the process
}

}  // namespace

int stopSignal() { return caught; }

StopSignalGuard::StopSignalGuard(void (*onStop)(void*), void* context) {
  stopContext = context;
  stopCallback = onStop;
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, nullptr, &previousInt);
  if (previousInt.sa_handler != SIG_IGN) sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, &previousTerm);
}

StopSignalGuard::~StopSignalGuard() {
  sigaction(SIGINT, &previousInt, nullptr);
  sigaction(SIGTERM, &previousTerm, nullptr);
  stopCallback = nullptr;
  stopContext = nullptr;
}

}  // namespace sift::cli
