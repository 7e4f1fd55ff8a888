// VideoHasher: video file or bytes -> VideoSignals (a PDQ hash per sampled
// moment, grouped into runs of near-identical frames, plus file digests).
//
// Pipeline (docs/video.md has the details and the measurements):
// 1. decode (libavformat/libavcodec, container and codec recognised by
//    content), sampling the frame on screen every `sample_interval` seconds
//    of the video's own timeline, reduced straight to a small grey frame and
//    turned upright from the rotation metadata;
// 2. borders: flat bars (letterbox, pillarbox, padding) and blurred fills
//    around a smaller picture are found over the first `border_window`
//    samples together and cropped from every frame, so a padded or
//    vertical-format copy hashes like its original;
// 3. PDQ (with quality, and its dihedral variants when asked for) of each
//    sample; consecutive samples within `segment_distance` bits of the run's
//    first one are kept once, as a frame with a start and an end time;
//    with `views`, each kept frame's views too (signals/image_views.h, the
//    code stored photos use: the centre and corners at 90% and 80%), so a
//    cropped copy lands near one;
// 4. SHA-256 and MD5 of the file's bytes (StopNCII and many platforms share
//    video MD5s), read in pieces: a video is never held in memory whole.
//
// Errors are per-input, with the reason ("clip.mp4: mov,mp4: no video stream
// (audio only)"); damage part-way gives the frames before it, with
// VideoSignals::truncated set and `warnings` saying so.
//
// Thread safety: a VideoHasher is immutable after Create; HashFile and
// HashBytes may be called from many threads at once. Each call decodes on the
// calling thread with one decoder thread: parallelism is the caller's (hash
// several files at once).
#ifndef HASHWATCH_VIDEO_HASHER_H_
#define HASHWATCH_VIDEO_HASHER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/decode_limits.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/signal.h"

namespace hashwatch {

struct VideoOptions {
  // Seconds of the video's timeline between sampled moments (vPDQ's default
  // is one frame per second); 0 hashes every decoded frame. The catalog
  // enrols references frame by frame (CatalogOptions::reference_interval)
  // so that a query sampled at any phase finds the very frame it sampled.
  double sample_interval = 1.0;
  // Consecutive samples whose PDQ is within this many bits of the run's first
  // sample are one frame with a start and an end. 0 keeps every sample.
  int segment_distance = 8;
  // Find and remove borders and blurred fills before hashing.
  bool remove_borders = true;
  // Borders are decided from the first this-many samples together (later
  // frames use the same crop), which bounds the memory a long video needs.
  int border_window = 300;
  // Also compute each frame's eight dihedral PDQ variants (for matching
  // mirrored or rotated copies). Costs three more filter passes per frame.
  bool variants = false;
  // Views of each kept frame besides the whole (VideoFrame::views), made by
  // the code photos use (hashwatch/image_hasher.h's ViewOptions). `regions`
  // is what a video needs: a copy cropped by a few percent on each side
  // moves every frame's PDQ past 31 bits, but lands near the stored centre
  // or corner region. Borders are already removed over the whole video
  // (remove_borders), so `border` here looks again frame by frame: bars that
  // only part of the video has (a pillarboxed clip in a compilation). The
  // catalog asks for the regions for references (up to 10 more PDQs per
  // frame given views: view_interval) and for `border` for queries.
  ViewOptions views;
  // Seconds between the kept frames given views: 0 gives every kept frame
  // its views; more stores fewer (a frame starting this long after the last
  // one given views gets them).
  double view_interval = 0;
  // File digests to compute: any of "sha256", "md5".
  std::vector<std::string> digests = {"sha256", "md5"};
  DecodeLimits limits;
};

// One kept frame: a run of consecutive near-identical samples.
struct VideoFrame {
  double start = 0;          // seconds: the run's first sampled moment
  double end = 0;            // seconds: its last sampled moment (== start for one)
  int samples = 1;           // sampled moments in the run
  int64_t frame_number = 0;  // decoded frame index shown at `start`
  Signal pdq;                // type "pdq": hash, quality, variants if asked
  // VideoOptions::views of the run's first sample, in the pixels of the
  // frame after border removal; views within a few bits of `pdq` or of each
  // other are left out.
  std::vector<ImageView> views;
};

struct VideoSignals {
  std::string container;  // as libavformat names it, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;      // e.g. "h264"
  int width = 0;          // displayed size, upright, full resolution
  int height = 0;
  int rotation = 0;       // degrees clockwise applied from the metadata
  double frame_rate = 0;  // average frames per second (0 when unknown)
  double duration = 0;    // seconds, measured from the decoded frames
  double sample_interval = 0;
  int64_t size = 0;     // bytes of the file
  int64_t sampled = 0;  // sampled moments hashed (sum of frames' samples)
  int64_t decoded_frames = 0;
  int64_t corrupt_packets = 0;  // packets the decoder rejected (skipped)
  bool truncated = false;       // decoding stopped at damage before the end
  // The picture inside borders, in the coordinates of a frame of
  // width x height; the whole frame when there were no borders.
  int crop_x = 0, crop_y = 0, crop_width = 0, crop_height = 0;
  std::vector<VideoFrame> frames;
  std::vector<Signal> digests;        // in VideoOptions::digests order
  std::vector<std::string> warnings;  // e.g. "truncated after 12.0 s: ..."

  bool cropped() const { return crop_width != width || crop_height != height; }
  // The median PDQ quality of the kept frames (0 for none).
  int MedianQuality() const;
  const Signal* FindDigest(std::string_view type) const;
};

class VideoHasher {
 public:
  // Fails for a bad interval, limit or digest name.
  static absl::StatusOr<VideoHasher> Create(const VideoOptions& options);

  // Reads the file in pieces (never whole). Error messages start with the path.
  absl::StatusOr<VideoSignals> HashFile(const std::string& path) const;
  // Hashes an encoded video held in memory (no temporary file).
  absl::StatusOr<VideoSignals> HashBytes(absl::Span<const uint8_t> bytes) const;

  const VideoOptions& options() const { return options_; }

 private:
  explicit VideoHasher(VideoOptions options) : options_(std::move(options)) {}
  VideoOptions options_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_VIDEO_HASHER_H_
