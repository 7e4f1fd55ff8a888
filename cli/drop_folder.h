// DropFolder: `scan --follow DIR`, files taken from a drop folder as they
// appear, each scanned once across restarts.
//
// A file is taken when it is complete: when its writer closes it
// (IN_CLOSE_WRITE) or when it is moved in (IN_MOVED_TO; writers that write
// elsewhere and rename into the folder are never seen half-written). Files
// already in the folder when the scan starts are taken first, in name order
// (one still being written at that moment would be taken early: writers
// should write elsewhere and move files in).
// The folder itself is watched, not its subfolders.
//
// Once: every record the scan writes is appended to a journal file (one JSON
// line, written with one write(2) and fdatasync'ed before the next file is
// taken) that also says which file it was (path, size, modification time).
// At start the journal is read back: a file it holds with the same size and
// time is not scanned again; a line cut short by a crash is dropped (that
// file is scanned again: its record never reached the journal whole).
//
// Thread safety: none; Next is called from one thread (the input reader),
// Journal from the emitting thread.
#ifndef HASHWATCH_CLI_DROP_FOLDER_H_
#define HASHWATCH_CLI_DROP_FOLDER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "input_paths.h"
#include "record_writer.h"

namespace hashwatch::cli {

class DropFolder {
 public:
  // Opens (creating, mode 0600) the journal and starts watching `dir`.
  static absl::StatusOr<std::unique_ptr<DropFolder>> Open(const std::string& dir,
                                                          const std::string& journal,
                                                          std::function<bool()> stop);
  ~DropFolder();
  DropFolder(const DropFolder&) = delete;
  DropFolder& operator=(const DropFolder&) = delete;

  // The next complete file not scanned before; waits for one. nullopt when
  // `stop` says so.
  std::optional<InputPath> Next();

  // Appends the file's record (with its identity) to the journal, durably.
  absl::Status Journal(const std::string& path, Record record);

  int64_t already_done() const { return already_done_; }

 private:
  DropFolder(std::string dir, int inotify_fd, int journal_fd, std::function<bool()> stop)
      : dir_(std::move(dir)),
        inotify_fd_(inotify_fd),
        journal_fd_(journal_fd),
        stop_(std::move(stop)) {}
  // "size:mtime_ns" of a regular file, or "" when it is not one.
  static std::string Identity(const std::string& path);
  void Offer(const std::string& path);

  std::string dir_;
  int inotify_fd_;
  int journal_fd_;
  std::function<bool()> stop_;
  std::deque<std::string> pending_;
  std::mutex mu_;                  // done_ (Next and Record run on different threads)
  std::set<std::string> done_;     // "path\tidentity" of journalled files
  std::set<std::string> offered_;  // taken in this run (an event may repeat)
  int64_t already_done_ = 0;
};

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_DROP_FOLDER_H_
