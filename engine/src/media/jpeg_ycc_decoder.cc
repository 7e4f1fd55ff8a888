#include "media/jpeg_ycc_decoder.h"

// clang-format off
#include <cstdio>   // jpeglib.h needs FILE and size_t declared first
#include <csetjmp>
#include <jpeglib.h>
// clang-format on

#include <exception>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::media {
namespace {

// Encoders write at most a few dozen scans (libjpeg's own progressive
// scripts: 10); a file with hundreds is built to make decoding slow. Same
// bound as libjpeg-turbo's advice for untrusted input (djpeg -maxscans).
constexpr int kMaxScans = 1000;

// Everything libjpeg touches lives on the heap behind one pointer that is
// not changed after setjmp: after a longjmp only that pointer is read, so no
// automatic variable's value is left indeterminate.
struct Decoder {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr error{};
  jpeg_progress_mgr progress{};
  std::jmp_buf jump{};
  std::string message;
  bool too_many_scans = false;
  cv::Mat ycc;  // the decoded planes, Y, Cb, Cr
};

Decoder* Of(j_common_ptr cinfo) {
  return static_cast<Decoder*>(cinfo->client_data);
}

[[noreturn]] void OnError(j_common_ptr cinfo) {
  Decoder* d = Of(cinfo);
  char text[JMSG_LENGTH_MAX] = {};
  (*cinfo->err->format_message)(cinfo, text);
  d->message = text;
  std::longjmp(d->jump, 1);
}

void Quiet(j_common_ptr) {}  // warnings: the result says enough

void OnProgress(j_common_ptr cinfo) {
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->input_scan_number > kMaxScans) {
    Of(cinfo)->too_many_scans = true;
    Of(cinfo)->message = absl::StrCat("more than ", kMaxScans, " progressive scans");
    std::longjmp(Of(cinfo)->jump, 1);
  }
}

}  // namespace

absl::StatusOr<JpegLumaAndColour> DecodeJpegLumaAndColour(absl::Span<const uint8_t> bytes,
                                                          int scale_denominator) {
  if (scale_denominator != 1 && scale_denominator != 2 && scale_denominator != 4 &&
      scale_denominator != 8) {
    return absl::InvalidArgumentError("JPEG scale must be 1/1, 1/2, 1/4 or 1/8");
  }
  auto owned = std::make_unique<Decoder>();
  Decoder* const d = owned.get();
  d->cinfo.client_data = d;
  d->cinfo.err = jpeg_std_error(&d->error);
  d->error.error_exit = OnError;
  d->error.output_message = Quiet;
  d->progress.progress_monitor = OnProgress;
  if (setjmp(d->jump) != 0) {
    jpeg_destroy_decompress(&d->cinfo);
    if (d->too_many_scans) return absl::OutOfRangeError(absl::StrCat("JPEG: ", d->message));
    return absl::InvalidArgumentError(absl::StrCat("corrupt JPEG: ", d->message));
  }
  jpeg_create_decompress(&d->cinfo);
  d->cinfo.progress = &d->progress;
  jpeg_mem_src(&d->cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d->cinfo, TRUE);
  if (d->cinfo.jpeg_color_space != JCS_YCbCr || d->cinfo.num_components != 3) {
    jpeg_destroy_decompress(&d->cinfo);
    return absl::FailedPreconditionError("not a YCbCr JPEG");
  }
  d->cinfo.out_color_space = JCS_YCbCr;  // planes as stored: no conversion
  d->cinfo.scale_num = 1;
  d->cinfo.scale_denom = static_cast<unsigned int>(scale_denominator);
  jpeg_start_decompress(&d->cinfo);
  // From here to the end of decoding, no object with a destructor is
  // created in this frame: a longjmp back to setjmp skips no destructor.
  try {
    d->ycc.create(static_cast<int>(d->cinfo.output_height), static_cast<int>(d->cinfo.output_width),
                  CV_8UC3);
  } catch (const std::exception&) {  // cv::Exception or std::bad_alloc: out of memory
    jpeg_destroy_decompress(&d->cinfo);
    return absl::ResourceExhaustedError("out of memory while decoding");
  }
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = d->ycc.ptr<uint8_t>(static_cast<int>(d->cinfo.output_scanline));
    jpeg_read_scanlines(&d->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d->cinfo);
  jpeg_destroy_decompress(&d->cinfo);
  const cv::Mat& ycc = d->ycc;

  try {
    JpegLumaAndColour result;
    cv::extractChannel(ycc, result.luma, 0);
    // OpenCV's YCrCb conversion is JPEG's (full range, BT.601); it wants the
    // chroma planes in Cr, Cb order.
    cv::Mat ycrcb(ycc.size(), CV_8UC3);
    const int from_to[] = {0, 0, 1, 2, 2, 1};
    cv::mixChannels(&ycc, 1, &ycrcb, 1, from_to, 3);
    cv::cvtColor(ycrcb, result.colour, cv::COLOR_YCrCb2BGR);
    return result;
  } catch (const std::exception&) {
    return absl::ResourceExhaustedError("out of memory while converting the JPEG's colour");
  }
}

}  // namespace hashwatch::media
