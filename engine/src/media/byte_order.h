// Unaligned big- and little-endian loads for header parsing.
// Callers check bounds first; these only assemble bytes.
#ifndef HASHWATCH_MEDIA_BYTE_ORDER_H_
#define HASHWATCH_MEDIA_BYTE_ORDER_H_

#include <cstdint>

namespace hashwatch::media {

inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint16_t LoadLe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[1] << 8 | p[0]);
}
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}
inline uint32_t LoadLe24(const uint8_t* p) {
  return uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_BYTE_ORDER_H_
