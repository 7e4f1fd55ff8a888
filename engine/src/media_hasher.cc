// MediaHasher: routes a file to the image or the video pipeline by content.
#include "hashwatch/media_hasher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "media/file_reader.h"
#include "media/image_probe.h"

namespace hashwatch {

MediaKind SniffMediaKind(absl::Span<const uint8_t> head) {
  return media::SniffImageFormat(head).has_value() ? MediaKind::kImage : MediaKind::kVideo;
}

absl::StatusOr<MediaHasher> MediaHasher::Create(const HashOptions& image,
                                                const VideoOptions& video) {
  absl::StatusOr<ImageHasher> i = ImageHasher::Create(image);
  if (!i.ok()) return i.status();
  absl::StatusOr<VideoHasher> v = VideoHasher::Create(video);
  if (!v.ok()) return v.status();
  return MediaHasher(*std::move(i), *std::move(v));
}

absl::StatusOr<MediaSignals> MediaHasher::HashFile(const std::string& path) const {
  return HashFile(path, nullptr);
}

absl::StatusOr<MediaSignals> MediaHasher::HashFile(
    const std::string& path, std::shared_ptr<const DecodedImage>* pixels) const {
  if (pixels != nullptr) pixels->reset();
  const DecodeLimits& limits = image_.options().limits;
  // Sniff the first bytes of the open file; it is not read whole here.
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, std::max(limits.max_bytes, limits.max_video_bytes));
  if (!file.ok()) {
    return absl::Status(file.status().code(), absl::StrCat(path, ": ", file.status().message()));
  }
  uint8_t head[16] = {};
  absl::StatusOr<size_t> n = file->ReadAt(0, head, sizeof(head));
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat(path, ": ", n.status().message()));
  }
  if (*n == 0) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  MediaSignals out;
  if (SniffMediaKind({head, *n}) == MediaKind::kImage) {
    absl::StatusOr<ImageSignals> image = image_.HashFile(path, pixels);
    if (!image.ok()) return image.status();
    out.image = *std::move(image);
    return out;
  }
  out.kind = MediaKind::kVideo;
  absl::StatusOr<VideoSignals> video = video_.HashFile(path);
  if (!video.ok()) return video.status();
  out.video = *std::move(video);
  return out;
}

absl::StatusOr<MediaSignals> MediaHasher::HashBytes(absl::Span<const uint8_t> bytes) const {
  if (bytes.empty()) return absl::InvalidArgumentError("empty file");
  MediaSignals out;
  if (SniffMediaKind(bytes.first(std::min<size_t>(bytes.size(), 16))) == MediaKind::kImage) {
    absl::StatusOr<ImageSignals> image = image_.HashBytes(bytes);
    if (!image.ok()) return image.status();
    out.image = *std::move(image);
    return out;
  }
  out.kind = MediaKind::kVideo;
  absl::StatusOr<VideoSignals> video = video_.HashBytes(bytes);
  if (!video.ok()) return video.status();
  out.video = *std::move(video);
  return out;
}

}  // namespace hashwatch
