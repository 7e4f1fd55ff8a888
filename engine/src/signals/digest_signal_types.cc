// "sha256" and "md5": cryptographic digests of the file's bytes, for exact
// copies and for exchanging with lists keyed by them (many platforms' hash
// lists are MD5). Computed with OpenSSL's EVP interface. Two digests match
// only when equal.
#include <openssl/evp.h>

#include "absl/status/status.h"
#include "hashwatch/signal_type.h"
#include "signals/builtin_signal_types.h"

namespace hashwatch::signals {
namespace {

class DigestSignalType final : public SignalType {
 public:
  DigestSignalType(std::string_view name, const EVP_MD* (*md)(), size_t size)
      : name_(name), md_(md), size_(size) {}

  std::string_view name() const override { return name_; }
  size_t hash_size() const override { return size_; }
  bool needs_pixels() const override { return false; }
  int default_threshold() const override { return 0; }
  int Distance(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) const override {
    return a == b ? 0 : static_cast<int>(8 * size_);
  }

  absl::StatusOr<Signal> Compute(const SignalInput& input) const override {
    Signal s;
    s.type = std::string(name_);
    s.hash.resize(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(input.bytes.data(), input.bytes.size(), s.hash.data(), &len, md_(), nullptr) !=
            1 ||
        len != size_) {
      return absl::InternalError("OpenSSL digest failed");
    }
    s.hash.resize(len);
    return s;
  }

 private:
  std::string_view name_;
  const EVP_MD* (*md_)();
  size_t size_;
};

}  // namespace

const SignalType& Sha256Type() {
  static const DigestSignalType type("sha256", EVP_sha256, 32);
  return type;
}

const SignalType& Md5Type() {
  static const DigestSignalType type("md5", EVP_md5, 16);
  return type;
}

}  // namespace hashwatch::signals
