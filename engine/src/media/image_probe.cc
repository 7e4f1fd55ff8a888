#include "media/image_probe.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "media/byte_order.h"
#include "media/tiff_tags.h"

namespace hashwatch::media {
namespace {

using Bytes = absl::Span<const uint8_t>;

bool StartsWith(Bytes b, const char* magic, size_t n) {
  return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
}

constexpr int kMaxJpegScans = 500;

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError(what);
}

void TakeOrientation(Bytes exif, ImageInfo& info) {
  if (auto tags = ReadIfd0Tags(exif); tags && tags->orientation)
    info.orientation = *tags->orientation;
}

// JPEG (ITU T.81 B.1): markers FF xx; SOFn carries the frame size; APP1 may
// carry EXIF; the entropy-coded data after SOS ends with EOI (FF D9), which
// cannot occur inside it because of byte stuffing.
absl::StatusOr<ImageInfo> ProbeJpeg(Bytes b) {
  ImageInfo info;
  info.format = ImageFormat::kJpeg;
  bool have_frame = false;
  size_t pos = 2;
  while (true) {
    while (pos < b.size() && b[pos] == 0xFF && pos + 1 < b.size() && b[pos + 1] == 0xFF) ++pos;
    if (pos + 4 > b.size()) {
      return Invalid(absl::StrCat("truncated JPEG: headers end at byte ", b.size()));
    }
    if (b[pos] != 0xFF) {
      return Invalid(absl::StrCat("corrupt JPEG: expected a marker at byte ", pos));
    }
    const uint8_t marker = b[pos + 1];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;  // markers without a length
      continue;
    }
    if (marker == 0xD9) return Invalid("corrupt JPEG: end-of-image before any scan");
    const size_t len = LoadBe16(&b[pos + 2]);
    if (len < 2 || pos + 2 + len > b.size()) {
      return Invalid(absl::StrCat("truncated JPEG: segment at byte ", pos, " needs ", len,
                                  " bytes, ", b.size() - pos - 2, " remain"));
    }
    Bytes seg = b.subspan(pos + 4, len - 2);
    const bool is_sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof && !have_frame) {
      if (seg.size() < 6) return Invalid("corrupt JPEG: short frame header");
      info.height = LoadBe16(&seg[1]);
      info.width = LoadBe16(&seg[3]);
      if (info.width == 0 || info.height == 0) {
        return Invalid("unsupported JPEG: frame header gives a zero width or height");
      }
      have_frame = true;
    } else if (marker == 0xE1 && StartsWith(seg, "Exif\0\0", 6)) {
      TakeOrientation(seg.subspan(6), info);
    } else if (marker == 0xDA) {
      if (!have_frame) return Invalid("corrupt JPEG: scan before frame header");
      const size_t scan = pos + 2 + len;
      static constexpr uint8_t kEoi[2] = {0xFF, 0xD9};
      const uint8_t* end = b.data() + b.size();
      if (std::search(b.data() + scan, end, kEoi, kEoi + 2) == end) {
        return Invalid(
            absl::StrCat("truncated JPEG: no end-of-image marker in ", b.size(), " bytes"));
      }
      // Each scan of a progressive JPEG makes libjpeg pass over the whole
      // coefficient buffer, so thousands of tiny scans keep a decoder busy
      // for minutes. Real files have about ten; libjpeg-turbo's own
      // TJFLAG_LIMITSCANS stops at 500, and so do we. (FF DA cannot occur
      // inside entropy-coded data, so every occurrence starts a scan.)
      static constexpr uint8_t kSos[2] = {0xFF, 0xDA};
      int scans = 1;
      for (const uint8_t* p = b.data() + scan; (p = std::search(p, end, kSos, kSos + 2)) != end;
           p += 2) {
        if (++scans > kMaxJpegScans) {
          return Invalid(absl::StrCat("unsupported JPEG: more than ", kMaxJpegScans, " scans"));
        }
      }
      return info;
    }
    pos += 2 + len;
  }
}

// PNG (ISO 15948): 8-byte signature, then chunks of length, type, data, CRC;
// IHDR first, IEND last; eXIf (PNG 1.5 extension) may carry EXIF.
absl::StatusOr<ImageInfo> ProbePng(Bytes b) {
  ImageInfo info;
  info.format = ImageFormat::kPng;
  size_t pos = 8;
  bool first = true;
  while (true) {
    if (pos + 12 > b.size()) {
      return Invalid(absl::StrCat("truncated PNG: no IEND chunk in ", b.size(), " bytes"));
    }
    const size_t len = LoadBe32(&b[pos]);
    const std::string type(reinterpret_cast<const char*>(&b[pos + 4]), 4);
    if (len > b.size() - pos - 12) {
      return Invalid(absl::StrCat("truncated PNG: chunk ", type, " at byte ", pos, " needs ",
                                  len + 12, " bytes, ", b.size() - pos, " remain"));
    }
    Bytes data = b.subspan(pos + 8, len);
    if (first) {
      if (type != "IHDR" || len < 13) return Invalid("corrupt PNG: first chunk is not IHDR");
      info.width = LoadBe32(&data[0]);
      info.height = LoadBe32(&data[4]);
      if (info.width == 0 || info.height == 0) return Invalid("corrupt PNG: zero width or height");
      first = false;
    } else if (type == "eXIf") {
      TakeOrientation(data, info);
    } else if (type == "IEND") {
      return info;
    }
    pos += 12 + len;
  }
}

// GIF89a: logical screen size at bytes 6..9 (little-endian); the decoder
// allocates a canvas of that size.
absl::StatusOr<ImageInfo> ProbeGif(Bytes b) {
  if (b.size() < 13) return Invalid("truncated GIF: header incomplete");
  ImageInfo info;
  info.format = ImageFormat::kGif;
  info.width = LoadLe16(&b[6]);
  info.height = LoadLe16(&b[8]);
  if (info.width == 0 || info.height == 0) return Invalid("corrupt GIF: zero screen size");
  return info;
}

// BMP: 14-byte file header, then a DIB header whose size tells its version.
absl::StatusOr<ImageInfo> ProbeBmp(Bytes b) {
  if (b.size() < 26) return Invalid("truncated BMP: header incomplete");
  ImageInfo info;
  info.format = ImageFormat::kBmp;
  const uint32_t dib = LoadLe32(&b[14]);
  if (dib == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    info.width = LoadLe16(&b[18]);
    info.height = LoadLe16(&b[20]);
  } else {
    info.width = static_cast<int32_t>(LoadLe32(&b[18]));
    const int32_t h = static_cast<int32_t>(LoadLe32(&b[22]));
    info.height = h < 0 ? -int64_t{h} : h;  // negative: stored top-down
  }
  if (info.width <= 0 || info.height <= 0) return Invalid("corrupt BMP: bad width or height");
  return info;
}

// WebP (RIFF container): a simple lossy (VP8) or lossless (VP8L) file, or an
// extended one (VP8X) with canvas size and optional EXIF chunk.
absl::StatusOr<ImageInfo> ProbeWebp(Bytes b) {
  ImageInfo info;
  info.format = ImageFormat::kWebp;
  if (b.size() < 30) return Invalid("truncated WebP: header incomplete");
  const size_t riff_end = size_t{LoadLe32(&b[4])} + 8;
  if (riff_end > b.size()) {
    return Invalid(
        absl::StrCat("truncated WebP: RIFF header says ", riff_end, " bytes, file has ", b.size()));
  }
  // The size is the first chunk's, as libwebp reads it (WebPGetFeatures):
  // a simple file's VP8/VP8L frame header, or an extended file's VP8X
  // canvas (libwebp then requires the frames to fit it). A VP8X anywhere
  // else is ignored by the decoder, so it must not be believed here either.
  bool extended = false;
  size_t pos = 12;
  for (bool first = true; pos + 8 <= riff_end; first = false) {
    const std::string fourcc(reinterpret_cast<const char*>(&b[pos]), 4);
    const size_t len = LoadLe32(&b[pos + 4]);
    if (len > riff_end - pos - 8) {
      return Invalid(absl::StrCat("truncated WebP: chunk ", fourcc, " needs ", len, " bytes"));
    }
    Bytes data = b.subspan(pos + 8, len);
    if (first) {
      if (fourcc == "VP8X" && len >= 10) {
        info.width = int64_t{LoadLe24(&data[4])} + 1;
        info.height = int64_t{LoadLe24(&data[7])} + 1;
        extended = true;
      } else if (fourcc == "VP8 " && len >= 10) {
        if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) {
          return Invalid("corrupt WebP: bad VP8 start code");
        }
        info.width = LoadLe16(&data[6]) & 0x3FFF;
        info.height = LoadLe16(&data[8]) & 0x3FFF;
      } else if (fourcc == "VP8L" && len >= 5) {
        if (data[0] != 0x2F) return Invalid("corrupt WebP: bad VP8L signature");
        const uint32_t bits = LoadLe32(&data[1]);
        info.width = int64_t{bits & 0x3FFF} + 1;
        info.height = int64_t{(bits >> 14) & 0x3FFF} + 1;
      } else {
        return Invalid("corrupt WebP: the first chunk is not VP8, VP8L or VP8X");
      }
      if (info.width == 0 || info.height == 0) return Invalid("corrupt WebP: zero image size");
      if (!extended) return info;  // simple format: one frame chunk, no metadata
    } else if (fourcc == "EXIF") {
      TakeOrientation(data, info);
    }
    pos += 8 + len + (len & 1);  // chunks are padded to even sizes
  }
  if (!extended) return Invalid("corrupt WebP: no image chunk");
  return info;
}

absl::StatusOr<ImageInfo> ProbeTiff(Bytes b) {
  auto tags = ReadIfd0Tags(b);
  if (tags && tags->size_unreadable) {
    return Invalid("unsupported TIFF: the image size is stored in an unexpected form");
  }
  if (!tags || !tags->width || !tags->height || *tags->width == 0 || *tags->height == 0) {
    return Invalid("corrupt TIFF: first directory has no image size");
  }
  ImageInfo info;
  info.format = ImageFormat::kTiff;
  info.width = *tags->width;
  info.height = *tags->height;
  if (tags->orientation) info.orientation = *tags->orientation;
  return info;
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kGif: return "GIF";
    case ImageFormat::kBmp: return "BMP";
    case ImageFormat::kWebp: return "WebP";
    case ImageFormat::kTiff: return "TIFF";
  }
  return "unknown";
}

std::optional<ImageFormat> SniffImageFormat(absl::Span<const uint8_t> b) {
  if (StartsWith(b, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (StartsWith(b, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (StartsWith(b, "GIF87a", 6) || StartsWith(b, "GIF89a", 6)) return ImageFormat::kGif;
  if (StartsWith(b, "BM", 2)) return ImageFormat::kBmp;
  if (StartsWith(b, "RIFF", 4) && b.size() >= 12 && std::memcmp(&b[8], "WEBP", 4) == 0) {
    return ImageFormat::kWebp;
  }
  if (StartsWith(b, "II*\0", 4) || StartsWith(b, "MM\0*", 4)) return ImageFormat::kTiff;
  return std::nullopt;
}

absl::StatusOr<ImageInfo> ProbeImage(absl::Span<const uint8_t> b) {
  if (b.empty()) return Invalid("empty file");
  const std::optional<ImageFormat> format = SniffImageFormat(b);
  if (!format.has_value()) {
    return Invalid(absl::StrCat("not a supported image: unrecognised signature in ", b.size(),
                                " bytes (JPEG, PNG, WebP, BMP, TIFF and GIF are supported)"));
  }
  switch (*format) {
    case ImageFormat::kJpeg: return ProbeJpeg(b);
    case ImageFormat::kPng: return ProbePng(b);
    case ImageFormat::kGif: return ProbeGif(b);
    case ImageFormat::kBmp: return ProbeBmp(b);
    case ImageFormat::kWebp: return ProbeWebp(b);
    case ImageFormat::kTiff: return ProbeTiff(b);
  }
  return Invalid("unknown image format");
}

}  // namespace hashwatch::media
