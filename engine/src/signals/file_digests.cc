#include "signals/file_digests.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"

namespace hashwatch::signals {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const EVP_MD* DigestByName(std::string_view name) {
  if (name == "sha256") return EVP_sha256();
  if (name == "md5") return EVP_md5();
  return nullptr;
}

}  // namespace

struct FileDigests::State {
  std::vector<std::string> names;
  std::vector<std::unique_ptr<EVP_MD_CTX, MdCtxFree>> contexts;
  bool failed = false;
};

bool IsDigestType(std::string_view name) {
  return DigestByName(name) != nullptr;
}

absl::StatusOr<FileDigests> FileDigests::Create(const std::vector<std::string>& names) {
  auto state = std::make_unique<State>();
  for (const std::string& name : names) {
    const EVP_MD* md = DigestByName(name);
    if (md == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", name, "' is not a file digest (sha256 or md5)"));
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
      return absl::InternalError("OpenSSL digest initialisation failed");
    }
    state->names.push_back(name);
    state->contexts.push_back(std::move(ctx));
  }
  return FileDigests(std::move(state));
}

FileDigests::FileDigests(std::unique_ptr<State> state) : state_(std::move(state)) {}
FileDigests::FileDigests(FileDigests&&) noexcept = default;
FileDigests& FileDigests::operator=(FileDigests&&) noexcept = default;
FileDigests::~FileDigests() = default;

void FileDigests::Update(absl::Span<const uint8_t> piece) {
  for (auto& ctx : state_->contexts) {
    if (EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()) != 1) state_->failed = true;
  }
}

absl::StatusOr<std::vector<Signal>> FileDigests::Finish() {
  if (state_->failed) return absl::InternalError("OpenSSL digest failed");
  std::vector<Signal> out;
  for (size_t i = 0; i < state_->names.size(); ++i) {
    Signal s;
    s.type = state_->names[i];
    s.hash.resize(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(state_->contexts[i].get(), s.hash.data(), &len) != 1) {
      return absl::InternalError("OpenSSL digest failed");
    }
    s.hash.resize(len);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace hashwatch::signals
