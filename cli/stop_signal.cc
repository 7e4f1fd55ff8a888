#include "stop_signal.h"

#include <signal.h>

#include <atomic>

namespace hashwatch::cli {
namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "read from a signal handler");

void OnStopSignal(int signal) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, signal);
}

}  // namespace

void InstallStopHandlers() {
  static const bool installed = [] {
    struct sigaction term = {};
    term.sa_handler = OnStopSignal;
    term.sa_flags = SA_RESTART;  // other threads' reads and writes carry on
    sigemptyset(&term.sa_mask);
    sigaction(SIGTERM, &term, nullptr);
    struct sigaction interrupt = term;
    interrupt.sa_flags = SA_RESTART | SA_RESETHAND;  // a second Ctrl-C ends the process
    sigaction(SIGINT, &interrupt, nullptr);
    return true;
  }();
  (void)installed;
}

int StopSignal() {
  return g_stop_signal.load();
}

int StoppedExitCode(int signal) {
  return 128 + signal;
}

}  // namespace hashwatch::cli
