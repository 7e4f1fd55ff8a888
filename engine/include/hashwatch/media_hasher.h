// MediaHasher: any file or bytes -> the signals of an image or of a video,
// told apart by content (the leading bytes), never by name. What `hashwatch
// hash`, enrolment and scanning use so that videos go everywhere images go.
//
// Images are what ImageHasher decodes (JPEG, PNG, WebP, BMP, TIFF, GIF's
// first frame); everything else is given to libavformat as a video, and
// what it cannot read is an error "not a supported image or video (...)".
//
// Thread safety: immutable after Create; HashFile and HashBytes may be called
// from many threads at once (see ImageHasher and VideoHasher).
#ifndef HASHWATCH_MEDIA_HASHER_H_
#define HASHWATCH_MEDIA_HASHER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/video_hasher.h"

namespace hashwatch {

enum class MediaKind { kImage, kVideo };

// kImage when the leading bytes (16 suffice) announce an image format
// ImageHasher decodes; kVideo otherwise.
MediaKind SniffMediaKind(absl::Span<const uint8_t> head);

struct MediaSignals {
  MediaKind kind = MediaKind::kImage;
  ImageSignals image;  // when kind == kImage
  VideoSignals video;  // when kind == kVideo
};

class MediaHasher {
 public:
  static absl::StatusOr<MediaHasher> Create(const HashOptions& image, const VideoOptions& video);

  // Error messages start with the path.
  absl::StatusOr<MediaSignals> HashFile(const std::string& path) const;
  // The same; for an image also sets *pixels as ImageHasher::HashFile does
  // (null for a video).
  absl::StatusOr<MediaSignals> HashFile(const std::string& path,
                                        std::shared_ptr<const DecodedImage>* pixels) const;
  absl::StatusOr<MediaSignals> HashBytes(absl::Span<const uint8_t> bytes) const;

  const ImageHasher& image_hasher() const { return image_; }
  const VideoHasher& video_hasher() const { return video_; }

 private:
  MediaHasher(ImageHasher image, VideoHasher video)
      : image_(std::move(image)), video_(std::move(video)) {}
  ImageHasher image_;
  VideoHasher video_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_MEDIA_HASHER_H_
