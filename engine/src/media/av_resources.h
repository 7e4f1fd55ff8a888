// Owning pointers for FFmpeg's objects and FFmpeg's error text, shared by the
// decoders built on libav* (gif_decoder.cc, video_decoder.cc), plus the one
// place that turns libav's console log off (per-file problems are returned as
// errors; the log would only repeat them on stderr).
//
// Thread safety: the deleters and AvError are reentrant; QuietAvLog may be
// called from many threads (it acts once).
#ifndef HASHWATCH_MEDIA_AV_RESOURCES_H_
#define HASHWATCH_MEDIA_AV_RESOURCES_H_

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <mutex>
#include <string>

namespace hashwatch::media {

struct CodecContextFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FormatContextFree {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct SwsFree {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFree>;
using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextFree>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFree>;

// FFmpeg's text for an AVERROR code.
inline std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

inline void QuietAvLog() {
  static std::once_flag quiet;
  std::call_once(quiet, [] { av_log_set_level(AV_LOG_QUIET); });
}

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_AV_RESOURCES_H_
