#include "pg_test_support.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "test_support.h"

namespace hashwatch::testing {
namespace fs = std::filesystem;
namespace {

constexpr char kPsql[] = "/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 ";

// A cluster this process started, stopped at exit.
struct OwnCluster {
  fs::path dir;
  ~OwnCluster() {
    if (dir.empty()) return;
    RunCommand(ShellQuote(SourceDir() / "scripts" / "pg_cluster.sh") + " stop " + ShellQuote(dir));
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// "127.0.0.1:PORT" of the server, or "" with `error` set.
std::string ServerHostPort(std::string* error) {
  static std::mutex mu;
  static std::string host_port, why_not;
  static OwnCluster own;
  std::lock_guard lock(mu);
  if (!host_port.empty() || !why_not.empty()) {
    *error = why_not;
    return host_port;
  }
  std::string uri;
  if (const char* given = std::getenv("HASHWATCH_TEST_PG_URI"); given != nullptr && *given) {
    uri = given;
  } else if (!fs::exists("/usr/lib/postgresql/15/bin/postgres")) {
    why_not = "no PostgreSQL 15 server here (scripts/run.sh test installs and starts one)";
  } else {
    char templ[] = "/tmp/hashwatch-test-pg-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
      why_not = "cannot make a folder for a test cluster";
    } else {
      own.dir = templ;
      CommandResult r = RunCommand(ShellQuote(SourceDir() / "scripts" / "pg_cluster.sh") +
                                   " start " + ShellQuote(own.dir));
      if (r.exit_code != 0) {
        why_not = "could not start a test cluster: " + r.err;
      } else {
        uri = r.out;
        while (!uri.empty() && (uri.back() == '\n' || uri.back() == ' ')) uri.pop_back();
      }
    }
  }
  if (!uri.empty()) {
    // postgresql://hashwatch_owner@HOST:PORT/hashwatch
    const size_t at = uri.find('@'), slash = uri.find('/', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || slash == std::string::npos) {
      why_not = "HASHWATCH_TEST_PG_URI is not postgresql://USER@HOST:PORT/DB: " + uri;
    } else {
      host_port = uri.substr(at + 1, slash - at - 1);
    }
  }
  *error = why_not;
  return host_port;
}

// Any text single-quoted for /bin/sh (quotes inside included).
std::string ShellWord(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string Psql(const std::string& host_port, const std::string& user, const std::string& db,
                 const std::string& sql) {
  return kPsql + ShellWord("postgresql://" + user + "@" + host_port + "/" + db) + " -c " +
         ShellWord(sql);
}

}  // namespace

OwnTestCluster::OwnTestCluster() {
  if (!fs::exists("/usr/lib/postgresql/15/bin/postgres")) {
    error_ = "no PostgreSQL 15 server here (scripts/run.sh test installs it)";
    return;
  }
  char templ[] = "/tmp/hashwatch-test-pg-own-XXXXXX";
  if (::mkdtemp(templ) == nullptr) {
    error_ = "cannot make a folder for a test cluster";
    return;
  }
  dir_ = templ;
  CommandResult r = RunCommand(ShellQuote(SourceDir() / "scripts" / "pg_cluster.sh") + " start " +
                               ShellQuote(dir_));
  if (r.exit_code != 0) {
    error_ = "could not start a test cluster: " + r.err;
    return;
  }
  const std::string uri = r.out;
  const size_t at = uri.find('@'), slash = uri.find('/', at == std::string::npos ? 0 : at);
  host_port_ = uri.substr(at + 1, slash - at - 1);
}

OwnTestCluster::~OwnTestCluster() {
  if (dir_.empty()) return;
  RunCommand(ShellQuote(SourceDir() / "scripts" / "pg_cluster.sh") + " stop " + ShellQuote(dir_));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

bool OwnTestCluster::Restart() {
  return RunCommand(ShellQuote(SourceDir() / "scripts" / "pg_cluster.sh") + " restart " +
                    ShellQuote(dir_))
             .exit_code == 0;
}

TestDatabase::TestDatabase(const OwnTestCluster& cluster) {
  host_port_ = cluster.host_port();
  error_ = cluster.error();
  if (!error_.empty()) return;
  static std::atomic<int> counter{0};
  name_ = "hwown_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  CommandResult r =
      RunCommand(Psql(host_port_, "hashwatch_owner", "hashwatch", "CREATE DATABASE " + name_));
  if (r.exit_code != 0) error_ = "cannot create a test database: " + r.err;
}

TestDatabase::TestDatabase() {
  host_port_ = ServerHostPort(&error_);
  if (!error_.empty()) return;
  static std::atomic<int> counter{0};
  name_ = "hwtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  CommandResult r =
      RunCommand(Psql(host_port_, "hashwatch_owner", "hashwatch", "CREATE DATABASE " + name_));
  if (r.exit_code != 0) error_ = "cannot create a test database: " + r.err;
}

TestDatabase::~TestDatabase() {
  if (!error_.empty() || name_.empty()) return;
  RunCommand(Psql(host_port_, "hashwatch_owner", "hashwatch",
                  "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"));
  for (const std::string& role : roles_) {
    RunCommand(Psql(host_port_, "hashwatch_owner", "hashwatch", "DROP ROLE IF EXISTS " + role));
  }
}

std::string TestDatabase::UriAs(const std::string& role) const {
  return "postgresql://" + role + "@" + host_port_ + "/" + name_;
}

std::string TestDatabase::CreateLoginRole(const std::string& base) {
  const std::string role = name_ + "_" + base;
  CommandResult r =
      RunCommand(Psql(host_port_, "hashwatch_owner", name_, "CREATE ROLE " + role + " LOGIN"));
  if (r.exit_code != 0) return "";
  roles_.push_back(role);
  return role;
}

bool TestDatabase::RunAsSuperuser(const std::string& sql) {
  return RunCommand(Psql(host_port_, "postgres", name_, sql)).exit_code == 0;
}

}  // namespace hashwatch::testing
