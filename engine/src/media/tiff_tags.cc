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
  for (size_t i = 0; i < count; ++i) {
    const size_t entry = ifd + 2 + i * 12;
    if (entry + 12 > data.size()) break;
    const uint16_t tag = u16(entry);
    const uint16_t type = u16(entry + 2);
    // Values of one SHORT (type 3) or LONG (type 4) sit in the entry itself.
    uint32_t value;
    if (type == 3) {
      value = u16(entry + 8);
    } else if (type == 4) {
      value = u32(entry + 8);
    } else {
      continue;
    }
    switch (tag) {
      case 256: tags.width = value; break;
      case 257: tags.height = value; break;
      case 274:
        if (value >= 1 && value <= 8) tags.orientation = static_cast<int>(value);
        break;
      default: break;
    }
  }
  return tags;
}

}  // namespace hashwatch::media
