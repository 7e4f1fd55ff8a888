#include "media/tiff_tags.h"

#include <cstring>

#include "media/byte_order.h"

namespace hashwatch::media {

std::optional<Ifd0Tags> ReadIfd0Tags(absl::Span<const uint8_t> data) {
  if (data.size() >= 6 && std::memcmp(data.data(), "Exif\0\0", 6) == 0) data.remove_prefix(6);
  if (data.size() < 8) return std::nullopt;
  bool little;
  if (std::memcmp(data.data(), "II*\0", 4) == 0) {
    little = true;
  } else if (std::memcmp(data.data(), "MM\0*", 4) == 0) {
    little = false;
  } else {
    return std::nullopt;
  }
  auto u16 = [&](size_t off) { return little ? LoadLe16(&data[off]) : LoadBe16(&data[off]); };
  auto u32 = [&](size_t off) { return little ? LoadLe32(&data[off]) : LoadBe32(&data[off]); };

  Ifd0Tags tags;
  const size_t ifd = u32(4);
  if (ifd > data.size() - 2) return tags;
  const size_t count = u16(ifd);
  bool seen_width = false, seen_height = false, seen_orientation = false;
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = ifd + 2 + i * 12;
    if (entry + 12 > data.size()) break;
    const uint16_t tag = u16(entry);
    if (tag != 256 && tag != 257 && tag != 274) continue;
    // Like libtiff, the first entry of a tag counts and repeats are ignored,
    // so a later, smaller size cannot hide the one the decoder will use.
    bool& seen = tag == 256 ? seen_width : tag == 257 ? seen_height : seen_orientation;
    if (seen) continue;
    seen = true;
    // One integer of any type libtiff accepts sits in the entry itself
    // (TIFF 6.0 section 2: BYTE 1, SHORT 3, LONG 4, SBYTE 6, SSHORT 8,
    // SLONG 9); anything else leaves the value unknown.
    const uint16_t type = u16(entry + 2);
    const uint32_t n = u32(entry + 4);
    std::optional<uint32_t> value;
    if (n == 1) {
      switch (type) {
        case 1:
        case 6: value = data[entry + 8]; break;
        case 3:
        case 8: value = u16(entry + 8); break;
        case 4:
        case 9: value = u32(entry + 8); break;
        default: break;
      }
    }
    if (!value) {
      if (tag != 274) tags.size_unreadable = true;
      continue;
    }
    switch (tag) {
      case 256: tags.width = *value; break;
      case 257: tags.height = *value; break;
      default:
        if (*value >= 1 && *value <= 8) tags.orientation = static_cast<int>(*value);
        break;
    }
  }
  return tags;
}

}  // namespace hashwatch::media
