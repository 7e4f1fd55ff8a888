// ScratchFolder: a private temporary folder for a fuzz harness's files (a
// catalog and SQLite's -wal/-shm beside it), on tmpfs when there is one so
// that SQLite's fsyncs cost nothing. Named after the harness and the process
// id; removed when the process exits normally. A harness that crashed cannot
// remove its own, so each new one first removes the folders of its harness
// whose process is gone. Header-only; used by hash_list_fuzzer and
// catalog_open_fuzzer.
#ifndef HASHWATCH_FUZZ_SCRATCH_FOLDER_H_
#define HASHWATCH_FUZZ_SCRATCH_FOLDER_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace hashwatch_fuzz {

class ScratchFolder {
 public:
  explicit ScratchFolder(const std::string& harness) {
    namespace fs = std::filesystem;
    const char* tmp = std::getenv("TMPDIR");
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm")
                                                       : fs::path(tmp != nullptr ? tmp : "/tmp");
    const std::string prefix = "hashwatch-" + harness + "-";
    RemoveAbandoned(base, prefix);
    dir_ = base / (prefix + std::to_string(::getpid()));
    std::error_code error;
    fs::remove_all(dir_, error);
    if (::mkdir(dir_.c_str(), 0700) != 0) {
      std::fprintf(stderr, "%s: cannot make %s\n", harness.c_str(), dir_.c_str());
      std::abort();
    }
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;

  std::string File(const std::string& name) const { return (dir_ / name).string(); }

 private:
  // Folders "<prefix><pid>" of processes that no longer exist.
  static void RemoveAbandoned(const std::filesystem::path& base, const std::string& prefix) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      char* end = nullptr;
      const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
      std::filesystem::remove_all(entry.path(), error);
    }
  }

  std::filesystem::path dir_;
};

}  // namespace hashwatch_fuzz

#endif  // HASHWATCH_FUZZ_SCRATCH_FOLDER_H_
