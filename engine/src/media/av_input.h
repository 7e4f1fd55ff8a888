// AvInput: an encoded video opened with libavformat through a custom AVIO
// context over an open file (read with pread) or bytes in memory, so crawled
// content is never written to disk. The container is recognised by content.
// Demuxers that would open other files or URLs named inside the input
// (playlists, concat lists) are refused that access, and a wall-clock
// deadline interrupts blocking reads.
//
// Thread safety: one AvInput per decode; not shared.
#ifndef HASHWATCH_MEDIA_AV_INPUT_H_
#define HASHWATCH_MEDIA_AV_INPUT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "media/av_resources.h"
#include "media/video_decoder.h"

namespace hashwatch::media {

class AvInput {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens `input` (which must outlive the AvInput). InvalidArgument for data
  // libavformat does not recognise ("not a supported image or video (...)"),
  // Unavailable for an I/O error.
  static absl::StatusOr<std::unique_ptr<AvInput>> Open(const VideoInput& input,
                                                       Clock::time_point deadline);
  ~AvInput();
  AvInput(const AvInput&) = delete;
  AvInput& operator=(const AvInput&) = delete;

  AVFormatContext* format() const { return format_.get(); }
  // Size of the input in bytes.
  int64_t size() const;
  // The I/O error that stopped reading, if any (empty otherwise).
  const std::string& io_error() const;

  struct Reader;  // the AVIO callbacks' state (av_input.cc)

 private:
  AvInput();
  std::unique_ptr<Reader> reader_;
  struct AvioFree {
    void operator()(AVIOContext* io) const;
  };
  std::unique_ptr<AVIOContext, AvioFree> io_;
  FormatContextPtr format_;
};

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_AV_INPUT_H_
