#include "input_paths.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace hashwatch::cli {
namespace fs = std::filesystem;
namespace {

// Lists `dir` and, depth first, its subfolders (not following symlinked
// folders, so a link cannot make a cycle). Entries are visited in name order.
// A folder that cannot be listed (permissions, I/O error, too many open
// files) becomes an input with an error, so the command reports it and
// exits 1 rather than silently scanning less than asked.
void WalkFolder(const fs::path& dir, std::vector<InputPath>& out) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(*it);
  if (ec) {
    // Worded like the engine's per-file errors: "<path>: <what went wrong>".
    out.push_back({dir.string(), dir.string() + ": cannot list folder: " + ec.message()});
    return;
  }
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path() < b.path();
            });
  for (const fs::directory_entry& e : entries) {
    std::error_code type_ec;
    if (e.is_directory(type_ec) && !e.is_symlink(type_ec)) {
      WalkFolder(e.path(), out);
    } else if (e.is_regular_file(type_ec)) {
      out.push_back({e.path().string(), ""});
    }
  }
}

void AddPath(const std::string& arg, std::vector<InputPath>& out) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    WalkFolder(arg, out);
  } else {
    out.push_back({arg, ""});  // a missing file is reported when it is read
  }
}

}  // namespace

std::vector<InputPath> ExpandInputPaths(const std::vector<std::string>& args,
                                        std::istream& stdin_stream) {
  std::vector<InputPath> out;
  for (const std::string& arg : args) {
    if (arg == "-") {
      std::string line;
      while (std::getline(stdin_stream, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) AddPath(line, out);
      }
    } else {
      AddPath(arg, out);
    }
  }
  return out;
}

}  // namespace hashwatch::cli
