#include "media/gif_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
}

#include <cstring>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "media/av_resources.h"

namespace hashwatch::media {

absl::StatusOr<cv::Mat> DecodeGifFirstFrame(absl::Span<const uint8_t> bytes) {
  QuietAvLog();

  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_GIF);
  if (codec == nullptr) return absl::InternalError("this FFmpeg build has no GIF decoder");
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!ctx || !packet || !frame) return absl::ResourceExhaustedError("out of memory");
  ctx->thread_count = 1;
  if (int err = avcodec_open2(ctx.get(), codec, nullptr); err < 0) {
    return absl::InternalError(absl::StrCat("cannot open GIF decoder: ", AvError(err)));
  }
  // libavcodec's GIF decoder reads the header and the first image from a
  // packet that starts with the GIF signature, so the whole file is one packet.
  if (av_new_packet(packet.get(), static_cast<int>(bytes.size())) < 0) {
    return absl::ResourceExhaustedError("out of memory");
  }
  std::memcpy(packet->data, bytes.data(), bytes.size());
  int err = avcodec_send_packet(ctx.get(), packet.get());
  if (err >= 0) err = avcodec_send_packet(ctx.get(), nullptr);
  if (err >= 0 || err == AVERROR_EOF) err = avcodec_receive_frame(ctx.get(), frame.get());
  if (err < 0) return absl::InvalidArgumentError(absl::StrCat("corrupt GIF: ", AvError(err)));

  const int w = frame->width, h = frame->height;
  if (w <= 0 || h <= 0) return absl::InvalidArgumentError("corrupt GIF: empty first frame");
  SwsPtr sws(sws_getContext(w, h, static_cast<AVPixelFormat>(frame->format), w, h, AV_PIX_FMT_BGRA,
                            SWS_POINT, nullptr, nullptr, nullptr));
  if (!sws) return absl::InvalidArgumentError("corrupt GIF: unsupported pixel format");
  cv::Mat bgr(h, w, CV_8UC4);
  uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(bgr.step), 0, 0, 0};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, h, dst, dst_stride);
  return bgr;
}

}  // namespace hashwatch::media
