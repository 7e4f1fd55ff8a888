// A PostgreSQL server for the tests of the server catalog. The README's test
// command starts one throw-away cluster (scripts/pg_cluster.sh) and passes
// its owner URI in HASHWATCH_TEST_PG_URI; a test binary run by hand without it
// starts its own cluster on first use and stops it at exit. Each test gets a
// database of its own.
#ifndef HASHWATCH_TESTS_PG_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_PG_TEST_SUPPORT_H_

#include <string>
#include <vector>

namespace hashwatch::testing {

// A cluster of a test's own (scripts/pg_cluster.sh), for what would disturb
// other tests on the shared one: restarting the server. Stopped and removed
// when the object goes.
class OwnTestCluster {
 public:
  OwnTestCluster();
  ~OwnTestCluster();
  OwnTestCluster(const OwnTestCluster&) = delete;
  OwnTestCluster& operator=(const OwnTestCluster&) = delete;
  const std::string& error() const { return error_; }
  const std::string& host_port() const { return host_port_; }
  // Restarts the server (fast shutdown: sessions are cut) on the same port.
  bool Restart();

 private:
  std::string dir_, host_port_, error_;
};

// A fresh database owned by hashwatch_owner, dropped (with the login roles
// made for it) when the object goes.
class TestDatabase {
 public:
  // Empty `error()` when it is usable; otherwise why there is no server.
  TestDatabase();
  // On a cluster of the test's own.
  explicit TestDatabase(const OwnTestCluster& cluster);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& error() const { return error_; }
  // The owner's URI for this database.
  std::string OwnerUri() const { return UriAs("hashwatch_owner"); }
  // The same database, connecting as `role` (trust authentication on the
  // test cluster's loopback address).
  std::string UriAs(const std::string& role) const;
  // Creates a login role for this test (its name made unique to this
  // database) and returns the name.
  std::string CreateLoginRole(const std::string& base);
  // Runs SQL as the cluster's superuser on this database (for setting up a
  // scene: e.g. a role that bypasses row-level security).
  bool RunAsSuperuser(const std::string& sql);
  const std::string& name() const { return name_; }

 private:
  std::string host_port_;
  std::string name_;
  std::string error_;
  std::vector<std::string> roles_;
};

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_PG_TEST_SUPPORT_H_
