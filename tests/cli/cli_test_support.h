// Helpers for the end-to-end CLI tests: reading the JSON lines a command
// prints, and talking to a command that runs on (Conversation).
#ifndef HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

extern "C" char** environ;

namespace hashwatch::testing {

// Shorthands for building command lines: a quoted path, and the CLI.
inline std::string Q(const std::filesystem::path& p) {
  return ShellQuote(p);
}
inline std::string Hw() {
  return HashwatchCommand();
}

// One parsed JSON value per non-empty line of `out`.
inline std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

// A command run by sh with pipes to its standard input, output and error,
// for a conversation: write a line, read the answer.
class Conversation {
 public:
  // `env`: variable assignments for the command ("NAME=value ...").
  explicit Conversation(const std::string& command, const std::string& env = "") {
    int in[2], out[2], err[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // exec: the signals the test sends reach hashwatch itself.
    const std::string exec_command = env + " exec " + command;
    const char* argv[] = {"sh", "-c", exec_command.c_str(), nullptr};
    REQUIRE(::posix_spawn(&pid_, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ) ==
            0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  ~Conversation() {
    CloseInput();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
    ::close(err_);
  }

  void WriteLine(const std::string& line) {
    const std::string text = line + "\n";
    REQUIRE(::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void CloseInput() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }

  // The next line of standard output, or "" when none came within
  // `seconds` (a command that waits for the end of its input before
  // answering never gives one: the test fails instead of hanging).
  std::string ReadLine(double seconds = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      if (const size_t nl = buffered_.find('\n'); nl != std::string::npos) {
        std::string line = buffered_.substr(0, nl);
        buffered_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{.fd = out_, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n <= 0) return "";
      buffered_.append(buf, static_cast<size_t>(n));
    }
  }

  void Signal(int signal) { REQUIRE(::kill(pid_, signal) == 0); }

  // Waits up to `seconds` for the exit; its status (128 + signal when a
  // signal ended it), or -1 when it did not exit in time.
  int Wait(double seconds = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  std::string Errors() {
    std::string all;
    char buf[4096];
    ::fcntl(err_, F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(err_, buf, sizeof(buf))) > 0;) all.append(buf, n);
    return all;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string buffered_;
};

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_
