#include "hashwatch/signal_type.h"

#include <catch2/catch.hpp>

namespace hashwatch {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

TEST_CASE("The built-in signal types are registered with their thresholds") {
  std::vector<std::string> names;
  for (const SignalType* t : AllSignalTypes()) names.emplace_back(t->name());
  CHECK(names == std::vector<std::string>{"md5", "pdq", "phash", "sha256"});
  CHECK(FindSignalType("pdq")->default_threshold() == 31);
  CHECK(FindSignalType("pdq")->hash_size() == 32);
  CHECK(FindSignalType("nope") == nullptr);
}

TEST_CASE("Hashes round-trip through their text form, and bad text is refused") {
  const SignalType* pdq = FindSignalType("pdq");
  const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
  auto bytes = pdq->Parse(hex);
  REQUIRE(bytes.ok());
  CHECK(pdq->Format(*bytes) == hex);
  CHECK_THAT(std::string(pdq->Parse("abc").status().message()), Catch::Contains("64 hex digits"));
  CHECK_THAT(std::string(pdq->Parse(std::string(63, '0') + "g").status().message()),
             Catch::Contains("non-hex"));
}

TEST_CASE("PDQ distance is the Hamming distance") {
  const SignalType* pdq = FindSignalType("pdq");
  std::vector<uint8_t> a(32, 0), b(32, 0);
  CHECK(pdq->Distance(a, b) == 0);
  b[0] = 0xFF;
  b[31] = 0x01;
  CHECK(pdq->Distance(a, b) == 9);
}

TEST_CASE("Digests are the standard SHA-256 and MD5 of the bytes") {
  const auto abc = Bytes("abc");
  SignalInput in{abc, nullptr};
  auto sha = FindSignalType("sha256")->Compute(in);
  REQUIRE(sha.ok());
  CHECK(FindSignalType("sha256")->Format(sha->hash) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2 B.1
  auto md5 = FindSignalType("md5")->Compute(in);
  REQUIRE(md5.ok());
  CHECK(FindSignalType("md5")->Format(md5->hash) ==
        "900150983cd24fb0d6963f7d28e17f72");  // RFC 1321
  CHECK(FindSignalType("md5")->Distance(md5->hash, md5->hash) == 0);
  CHECK(FindSignalType("md5")->Distance(md5->hash, sha->hash) > 0);
}

}  // namespace
}  // namespace hashwatch
