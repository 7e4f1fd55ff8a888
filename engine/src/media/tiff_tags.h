// Reads the first image directory (IFD0) of a TIFF structure: a TIFF file, or
// the EXIF block of a JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk).
//
// Only the tags the decoder needs are read; every offset is bounds-checked, so
// hostile input yields "not found", never a read outside `data`.
// Thread safety: a pure function.
#ifndef HASHWATCH_MEDIA_TIFF_TAGS_H_
#define HASHWATCH_MEDIA_TIFF_TAGS_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"

namespace hashwatch::media {

struct Ifd0Tags {
  std::optional<uint32_t> width;   // tag 256 ImageWidth
  std::optional<uint32_t> height;  // tag 257 ImageLength
  std::optional<int> orientation;  // tag 274 Orientation, 1..8 (EXIF 2.3, 4.6.4)
  // A width or height entry whose type or count this reader does not take:
  // the size a decoder would use is unknown.
  bool size_unreadable = false;
};

// `data` starts at the TIFF header ("II*\0" or "MM\0*"). A leading
// "Exif\0\0" (as WebP writers sometimes keep) is skipped. nullopt when the
// header is not a TIFF header.
std::optional<Ifd0Tags> ReadIfd0Tags(absl::Span<const uint8_t> data);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_TIFF_TAGS_H_
