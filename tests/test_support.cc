#include "test_support.h"

#include <sys/wait.h>
#include <zlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace hashwatch::testing {
namespace fs = std::filesystem;

fs::path SourceDir() {
  return HASHWATCH_SOURCE_DIR;
}
fs::path TestdataDir() {
  return SourceDir() / "testdata";
}
fs::path BinDir() {
  return HASHWATCH_BIN_DIR;
}

fs::path ConformanceDir() {
  fs::path dir = SourceDir().parent_path() / "shared" / "conformance";
  return fs::is_directory(dir) ? dir : fs::path();
}

std::vector<uint8_t> ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteFileBytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void WriteFileText(const fs::path& path, const std::string& text) {
  WriteFileBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::vector<uint8_t> PngHeaderClaiming(uint32_t width, uint32_t height) {
  auto be32 = [](std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
  };
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr = {'I', 'H', 'D', 'R'};
  be32(ihdr, width);
  be32(ihdr, height);
  for (uint8_t b : {8, 2, 0, 0, 0}) ihdr.push_back(b);  // 8-bit RGB
  be32(png, 13);
  png.insert(png.end(), ihdr.begin(), ihdr.end());
  be32(png, static_cast<uint32_t>(crc32(0, ihdr.data(), static_cast<uInt>(ihdr.size()))));
  const uint8_t iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  png.insert(png.end(), iend, iend + 12);
  return png;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path p = fs::temp_directory_path() / ("hashwatch-test-" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ShellQuote(const fs::path& p) {
  // Appending, not operator+: GCC 12 warns falsely about "'" + s + "'"
  // under -Werror=restrict.
  std::string q = "'";
  q += p.string();
  q += '\'';
  return q;
}

std::string HashwatchCommand() { return ShellQuote(BinDir() / "hashwatch"); }

CommandResult RunCommand(const std::string& command, const std::string& stdin_text) {
  TempDir tmp;
  fs::path in = tmp.path() / "stdin", out = tmp.path() / "stdout", err = tmp.path() / "stderr";
  WriteFileText(in, stdin_text);
  std::string full =
      "(" + command + ") <'" + in.string() + "' >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace hashwatch::testing
