// End-to-end: `scan -` and `hash -` as long-running pipeline stages: each
// path's record comes out while standard input is still open, a withdrawal by
// another process is respected within --freshness, and SIGTERM finishes the
// file in flight before a clean exit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../catalog/catalog_fixtures.h"
#include "cli_test_support.h"
#include "test_support.h"

extern char** environ;

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

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

nlohmann::json Parsed(const std::string& line) {
  INFO("line: " << line);
  REQUIRE(!line.empty());  // no record came
  return nlohmann::json::parse(line);
}

fs::path EnrolledCatalog(const TempDir& dir) {
  const fs::path db = dir.path() / "c.db";
  const CommandResult enroll = RunCommand(Hw() + " enroll --db " + Q(db) + " --case K " +
                                          Q(TestdataDir() / "known" / "coffee.jpg"));
  INFO(enroll.err);
  REQUIRE(enroll.exit_code == 0);
  return db;
}

TEST_CASE("scan - answers each path while standard input stays open", "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  const std::string other = (TestdataDir() / "known" / "rocket.jpg").string();
  const std::string missing = (dir.path() / "gone.jpg").string();
  for (int jobs : {1, 2}) {
    INFO("--jobs " << jobs);
    // The writer sends the next path only after it has read the record of
    // the one before: a scan that waited for the end of its input would
    // answer nothing, and ReadLine would give up.
    Conversation scan(Hw() + " scan --db " + Q(db) + " --jobs " + std::to_string(jobs) + " -");
    scan.WriteLine(copy);
    nlohmann::json r = Parsed(scan.ReadLine());
    CHECK(r["path"] == copy);
    REQUIRE(r["matches"].size() == 1);
    CHECK(r["matches"][0]["case"] == "K");
    scan.WriteLine(other);
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == other);
    CHECK(r["matches"].empty());
    scan.WriteLine(missing);
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == missing);
    CHECK(r.contains("error"));
    scan.CloseInput();
    CHECK(scan.ReadLine(5).empty());  // nothing more
    CHECK(scan.Wait() == 1);          // one path could not be read
  }
  // hash - streams the same way.
  Conversation hash(Hw() + " hash --jobs 2 -");
  for (const std::string& path : {copy, other}) {
    hash.WriteLine(path);
    const nlohmann::json r = Parsed(hash.ReadLine());
    CHECK(r["path"] == path);
    CHECK(r["pdq"].get<std::string>().size() == 64);
  }
  hash.CloseInput();
  CHECK(hash.Wait() == 0);
}

TEST_CASE("A running scan stops matching a case another process withdrew, within --freshness",
          "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  Conversation scan(Hw() + " scan --db " + Q(db) + " --freshness 0.5 -");
  scan.WriteLine(copy);
  REQUIRE(Parsed(scan.ReadLine())["matches"].size() == 1);
  const CommandResult w = RunCommand(Hw() + " withdraw --db " + Q(db) + " --case K");
  REQUIRE(w.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the bound
  scan.WriteLine(copy);
  CHECK(Parsed(scan.ReadLine())["matches"].empty());
  scan.CloseInput();
  CHECK(scan.Wait() == 0);
}

TEST_CASE("SIGTERM: a scan finishes and reports the file in flight, records the run, exits 143",
          "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  // A file whose worker hangs (test hook) stays in flight until its
  // --file-seconds limit: long enough to send the signal meanwhile.
  const fs::path slow = dir.path() / "slow_hangme.jpg";
  fs::copy_file(copy, slow);
  Conversation scan(Hw() + " scan --db " + Q(db) + " --isolate --jobs 2 --file-seconds 3 -",
                    "HASHWATCH_WORKER_TEST_FAULT=hang:hangme");
  scan.WriteLine(copy);
  REQUIRE(Parsed(scan.ReadLine())["matches"].size() == 1);
  scan.WriteLine(slow.string());
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the scan has taken it
  scan.Signal(SIGTERM);
  // Standard input is still open: the scan must not wait for it.
  const nlohmann::json r = Parsed(scan.ReadLine());
  CHECK(r["path"] == slow.string());
  CHECK_THAT(r["error"].get<std::string>(), Catch::Contains("time limit"));
  const int status = scan.Wait();
  CHECK(status == 143);
  CHECK_THAT(scan.Errors(), Catch::Contains("stopped by SIGTERM"));
  CHECK(SqlText(db,
                "SELECT json_extract(details, '$.files') FROM audit_log WHERE action = "
                "'scan'") == "2");
}

}  // namespace
}  // namespace hashwatch::testing
