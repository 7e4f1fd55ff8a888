#include "input_paths.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace hashwatch::cli {
namespace fs = std::filesystem;
namespace {

void WalkFolder(const fs::path& root, std::vector<InputPath>& out) {
  std::error_code ec;
  std::vector<InputPath> found;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    out.push_back({root.string(), "cannot list folder: " + ec.message()});
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      found.push_back({it->path().string(), "cannot list: " + ec.message()});
      ec.clear();
      continue;
    }
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) found.push_back({it->path().string(), ""});
  }
  std::sort(found.begin(), found.end(),
            [](const InputPath& a, const InputPath& b) { return a.path < b.path; });
  out.insert(out.end(), found.begin(), found.end());
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
