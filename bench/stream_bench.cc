// hashwatch-bench stream: how soon `hashwatch scan -` answers a path that
// arrives on its standard input (issue 10: within 1 s), beside the batch way
// of scanning one file (a `hashwatch scan --db C FILE` process per file,
// catalog opening included) as the baseline. Results and the command:
// docs/benchmarks.md, "Streaming scan".
//
// A catalog (SQLite, in a temporary folder) gets the photos of --known;
// one long-running `scan -` is started, and each path of --files (cycled,
// --paths of them) is written only after the record of the one before came
// back: the time from writing the line to reading its record is the latency.
// Nothing here asserts a time.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_commands.h"
#include "measure.h"

extern char** environ;

namespace hashwatch::bench {
namespace {

namespace fs = std::filesystem;

struct Config {
  std::string known = std::string(HASHWATCH_SOURCE_DIR) + "/testdata/known";
  std::string files = std::string(HASHWATCH_SOURCE_DIR) + "/testdata/crawled";
  int paths = 50;
  int batch_runs = 10;
  int jobs = 2;
};

std::string Quoted(const std::string& s) {
  return "'" + s + "'";
}

int Run(const Config& config) {
  const std::string hw = std::string(HASHWATCH_BIN_DIR) + "/hashwatch";
  char templ[] = "/tmp/hashwatch-bench-stream-XXXXXX";
  const fs::path dir = ::mkdtemp(templ);
  const std::string db = (dir / "c.db").string();
  const std::string enrol =
      hw + " enroll --db " + Quoted(db) + " --case K " + Quoted(config.known) + " > /dev/null";
  if (std::system(enrol.c_str()) != 0) {
    std::fprintf(stderr, "enrolment failed\n");
    return 1;
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(config.files)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());

  // The long-running scan, fed one path at a time.
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return 1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  const std::string jobs = std::to_string(config.jobs);
  std::vector<const char*> argv = {hw.c_str(), "scan",       "--db", db.c_str(),
                                   "--jobs",   jobs.c_str(), "-",    nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, hw.c_str(), &actions, nullptr, const_cast<char**>(argv.data()),
                    environ) != 0) {
    return 1;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  std::string pending;
  auto read_line = [&](double seconds) -> bool {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (pending.find('\n') == std::string::npos) {
      if (Clock::now() > deadline) return false;
      pollfd p{.fd = out[0], .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) return false;
      pending.append(buf, static_cast<size_t>(n));
    }
    pending.erase(0, pending.find('\n') + 1);
    return true;
  };
  std::vector<double> latency;
  int missing = 0;
  for (int i = 0; i < config.paths; ++i) {
    const std::string line = files[i % files.size()] + "\n";
    const Clock::time_point t0 = Clock::now();
    if (::write(in[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) break;
    if (!read_line(60)) {
      ++missing;
      break;
    }
    latency.push_back(Seconds(t0, Clock::now()));
  }
  ::close(in[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out[0]);

  // The baseline: one process per file.
  std::vector<double> batch;
  for (int i = 0; i < config.batch_runs; ++i) {
    const std::string cmd =
        hw + " scan --db " + Quoted(db) + " " + Quoted(files[i % files.size()]) + " > /dev/null";
    const Clock::time_point t0 = Clock::now();
    if (std::system(cmd.c_str()) != 0) return 1;
    batch.push_back(Seconds(t0, Clock::now()));
  }
  fs::remove_all(dir);
  std::printf(
      "scan -: %zu paths, a record %.0f ms (median), %.0f ms (p99), %.0f ms (max) after its "
      "path was written; %d never answered\n",
      latency.size(), Quantile(latency, 0.5) * 1e3, Quantile(latency, 0.99) * 1e3,
      Quantile(latency, 1.0) * 1e3, missing);
  std::printf("baseline, a scan process per file: %.0f ms (median of %zu)\n",
              Quantile(batch, 0.5) * 1e3, batch.size());
  return missing == 0 ? 0 : 1;
}

}  // namespace

int RunStreamBench(int argc, char** argv) {
  Config config;
  CLI::App app{"How soon `hashwatch scan -` answers a path arriving on stdin"};
  app.name("hashwatch-bench stream");
  app.add_option("--known", config.known, "Photos enrolled")->capture_default_str();
  app.add_option("--files", config.files, "Photos whose paths are written")->capture_default_str();
  app.add_option("--paths", config.paths, "Paths written, one after the other's record")
      ->capture_default_str();
  app.add_option("--batch-runs", config.batch_runs, "One-file scan processes for the baseline")
      ->capture_default_str();
  app.add_option("--jobs", config.jobs, "The scan's --jobs")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(config);
}

}  // namespace hashwatch::bench
