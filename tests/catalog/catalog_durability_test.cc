// Catalog durability: a process enrolling items is killed with SIGKILL at
// random moments; everything it acknowledged must survive, matchable, and
// nothing half-written may appear (design.md section 6).
//
// The enrolling process is this test binary itself, re-executed to run the
// hidden test case "durability child" (a fresh process, not a fork of one
// that has threads). It writes "item hex\n" to a pipe after each call that
// returned OK: that line is its acknowledgement.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "catalog_fixtures.h"
#include "hashwatch/catalog.h"

extern char** environ;

namespace hashwatch {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDbVar = "HASHWATCH_DURABILITY_DB";
constexpr const char* kFdVar = "HASHWATCH_DURABILITY_FD";
constexpr const char* kRoundVar = "HASHWATCH_DURABILITY_ROUND";
constexpr int kChildItems = 3000;  // more than any kill point below

// A small random image whose PDQ hash is as random as its seed.
std::vector<uint8_t> NoisePng(uint64_t seed) {
  cv::Mat img(48, 48, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  std::vector<uint8_t> png;
  cv::imencode(".png", img, png);
  return png;
}

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) std::_Exit(3);
    done += static_cast<size_t>(n);
  }
}

// The child: only runs when re-executed by the test below.
TEST_CASE("durability child", "[.][durability_child]") {
  const char* db = std::getenv(kDbVar);
  const char* fd_text = std::getenv(kFdVar);
  const char* round_text = std::getenv(kRoundVar);
  if (db == nullptr || fd_text == nullptr || round_text == nullptr) return;
  const int fd = std::atoi(fd_text);
  const int round = std::atoi(round_text);
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db);
  if (!catalog.ok()) {
    WriteAll(fd, "E " + catalog.status().ToString() + "\n");
    std::_Exit(2);
  }
  std::mt19937_64 rng(1000 + round);
  const std::string case_id = "round-" + std::to_string(round);
  for (int i = 0; i < kChildItems; ++i) {
    std::string line;
    if (i % 10 == 9) {
      // Every tenth: a real enrolment of image bytes.
      absl::StatusOr<EnrollResult> r = (*catalog)->EnrollBytes(
          {.case_id = case_id, .label = "", .source_note = "noise.png", .operator_name = "child"},
          NoisePng(rng()));
      if (!r.ok()) {
        WriteAll(fd, "E " + r.status().ToString() + "\n");
        std::_Exit(2);
      }
      if (!r->indexed || r->already_enrolled) continue;  // not expected to match
      line = std::to_string(r->item) + " " + r->pdq_hex + "\n";
    } else {
      // Otherwise: a one-line import, one transaction each.
      const std::string hex = testing::RandomPdqHex(rng);
      std::istringstream in(hex + "\n");
      absl::StatusOr<ImportResult> r = (*catalog)->ImportHashes(
          {.case_id = case_id, .label = "", .source_name = "child", .operator_name = "child"}, in);
      if (!r.ok()) {
        WriteAll(fd, "E " + r.status().ToString() + "\n");
        std::_Exit(2);
      }
      if (r->item_ids.size() != 1) continue;  // a duplicate (vanishingly rare)
      line = std::to_string(r->item_ids[0]) + " " + hex + "\n";
    }
    WriteAll(fd, line);  // the acknowledgement: after the call returned OK
  }
  std::_Exit(0);
}

struct Acknowledged {
  ItemId item;
  std::string hex;
};

// Starts the child for `round`, reads acknowledgements until `kill_after`
// of them arrived, kills it with SIGKILL and returns every acknowledgement
// it made (including any written between our last read and the kill).
std::vector<Acknowledged> RunAndKill(const fs::path& db, int round, int kill_after,
                                     int extra_micros) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kDbVar) + "=" + db.string());
  env_strings.push_back(std::string(kFdVar) + "=" + std::to_string(fds[1]));
  env_strings.push_back(std::string(kRoundVar) + "=" + std::to_string(round));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string test_name = "durability child";
  std::string out_flag = "-o", out_file = "/dev/null";  // Catch2's report: not wanted
  char* argv[] = {exe.data(), test_name.data(), out_flag.data(), out_file.data(), nullptr};

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::execve(exe.c_str(), argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::vector<Acknowledged> acks;
  std::string pending;
  char buf[4096];
  bool killed = false;
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is gone
    pending.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      const std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      INFO("child said: " << line);
      REQUIRE(line.rfind("E ", 0) != 0);
      std::istringstream fields(line);
      Acknowledged a;
      fields >> a.item >> a.hex;
      acks.push_back(a);
    }
    if (!killed && static_cast<int>(acks.size()) >= kill_after) {
      // A random moment inside the next transaction(s).
      ::usleep(static_cast<useconds_t>(extra_micros));
      ::kill(pid, SIGKILL);
      killed = true;  // keep reading: acknowledgements already in the pipe count
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO("child status " << status);
  CHECK(killed);
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  return acks;
}

TEST_CASE("Everything acknowledged before a kill -9 survives it, matchable and whole",
          "[catalog]") {
  testing::TempDir dir;
  const fs::path db = dir.path() / "c.db";
  std::random_device seed_source;
  const unsigned seed = seed_source();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  std::map<ItemId, std::string> acknowledged;
  const int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    // Kill points spread from the very first transaction to over a thousand in.
    const int kill_after = round == 0 ? 1 : std::uniform_int_distribution<int>(2, 1500)(rng);
    const int extra = std::uniform_int_distribution<int>(0, 3000)(rng);
    INFO("round " << round << ": kill after " << kill_after << " acks + " << extra << " us");
    for (const Acknowledged& a : RunAndKill(db, round, kill_after, extra)) {
      acknowledged[a.item] = a.hex;
    }

    // The catalog reopens; SQLite finds it intact.
    CHECK(testing::SqlText(db, "PRAGMA integrity_check") == "ok");
    absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db.string());
    INFO(catalog.status().ToString());
    REQUIRE(catalog.ok());
    // Every acknowledged item is there and matches at distance 0.
    int missing = 0;
    for (const auto& [item, hex] : acknowledged) {
      absl::StatusOr<MatchResult> m = (*catalog)->MatchSignal(testing::PdqSignal(hex));
      bool found = false;
      if (m.ok()) {
        for (const Match& x : m->matches) found |= x.item == item && x.distance == 0;
      }
      if (!found) ++missing;
    }
    CHECK(missing == 0);
    // Nothing half-written: every item has its hash and its audit entry;
    // at most the one transaction in flight per kill committed unacknowledged.
    CHECK(testing::SqlInt(db,
                          "SELECT count(*) FROM items i WHERE NOT EXISTS "
                          "(SELECT 1 FROM signals s WHERE s.item_id = i.id)") == 0);
    CHECK(testing::SqlInt(db,
                          "SELECT count(*) FROM signals s WHERE NOT EXISTS "
                          "(SELECT 1 FROM items i WHERE i.id = s.item_id)") == 0);
    const int64_t items = testing::SqlInt(db, "SELECT count(*) FROM items");
    CHECK(testing::SqlInt(db, "SELECT count(*) FROM audit_log") == items);
    CHECK(items >= static_cast<int64_t>(acknowledged.size()));
    CHECK(items <= static_cast<int64_t>(acknowledged.size()) + round + 1);
  }
  CHECK(acknowledged.size() >= static_cast<size_t>(kRounds));
}

}  // namespace
}  // namespace hashwatch
