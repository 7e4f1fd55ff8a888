// DefaultOperatorName: who the audit log names when a call gives no operator.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "hashwatch/catalog.h"

namespace hashwatch {

std::string DefaultOperatorName() {
  // getpwuid_r: reentrant, so enrolments on several threads are safe.
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr && user[0] != '\0') return user;
  return "unknown";
}

}  // namespace hashwatch
