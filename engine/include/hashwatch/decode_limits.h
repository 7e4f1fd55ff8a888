// Limits on untrusted media, checked before the expensive work (from the file
// size and the image header), so a decompression bomb costs microseconds and a
// per-file error, never the batch. Plain data.
#ifndef HASHWATCH_DECODE_LIMITS_H_
#define HASHWATCH_DECODE_LIMITS_H_

#include <cstdint>

namespace hashwatch {

struct DecodeLimits {
  int64_t max_pixels = 100'000'000;         // width * height from the header
  int64_t max_bytes = 256LL * 1024 * 1024;  // size of the encoded file
};

}  // namespace hashwatch

#endif  // HASHWATCH_DECODE_LIMITS_H_
