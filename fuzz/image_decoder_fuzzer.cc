// libFuzzer target: arbitrary bytes through the image pipeline
// (probe, limits, decode, PDQ with dihedral variants), and through the
// decode with a colour copy (the embedding's; for JPEGs the one-pass libjpeg
// path, media/jpeg_ycc_decoder.h). Any crash, hang or
// sanitizer report is a bug: crawled files are hostile.
//
// Build and run: scripts/fuzz.sh (docs/reliability.md, "Fuzzing"), or
//   build-fuzz/bin/image_decoder_fuzzer -max_len=32768 CORPUS testdata/fuzz_seeds/image
// (tiny seeds: testdata/formats' photos run a few inputs a second under the
// coverage instrumentation).
#include <cstddef>
#include <cstdint>

#include "hashwatch/image_hasher.h"
#include "media/image_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hashwatch::ImageHasher hasher = [] {
    hashwatch::HashOptions options;
    options.signals = {"pdq", "phash", "md5"};
    options.variants = true;
    options.limits.max_pixels = 4'000'000;  // keep each run fast; limits are tested elsewhere
    return *hashwatch::ImageHasher::Create(options);
  }();
  const auto bytes = absl::MakeConstSpan(data, size);
  (void)hasher.HashBytes(bytes);
  hashwatch::DecodeLimits limits;
  limits.max_pixels = 4'000'000;
  // Luma and colour sides that share a JPEG scale (one pass) and that may not.
  (void)hashwatch::media::DecodeImage(bytes, limits, 192, false, size % 2 == 0 ? 192 : 224);
  return 0;
}
