#include "media/image_decoder.h"

#include <algorithm>
#include <mutex>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "media/gif_decoder.h"
#include "media/jpeg_ycc_decoder.h"

namespace hashwatch::media {
namespace {

// BT.601 luma weights, as PDQ specifies (pdq/README, "Luminance"), in
// OpenCV's B, G, R(, A) channel order; alpha is applied separately.
const cv::Matx13f kLumaBgr(0.114f, 0.587f, 0.299f);
const cv::Matx14f kLumaBgra(0.114f, 0.587f, 0.299f, 0.0f);

// Each axis of a decoded non-JPEG image longer than kReduceAbove pixels is
// area-averaged to kReducedSide (JPEGs are reduced by their decoder). Past
// that, more pixels only cost time and memory: PDQ samples a 64x64 grid, and
// the reference itself squashes both axes to 512.
constexpr int kReduceAbove = 1024;
constexpr int kReducedSide = 512;

// Reduces `m` (any depth, 1-4 channels) as above, before any conversion to
// float, so a large 16-bit RGBA image costs its decoded buffer and little
// more (the float path took 40 bytes per pixel).
cv::Mat ReduceLarge(cv::Mat m) {
  const cv::Size size(m.cols > kReduceAbove ? kReducedSide : m.cols,
                      m.rows > kReduceAbove ? kReducedSide : m.rows);
  if (size == m.size()) return m;
  if (m.depth() == CV_32F) cv::patchNaNs(m, 0);  // averaging would spread them
  cv::Mat small;
  cv::resize(m, small, size, 0, 0, cv::INTER_AREA);
  return small;
}

// Both axes shrunk alike (INTER_AREA) until the shorter is `working_side`.
cv::Mat ReduceKeepingAspect(cv::Mat m, int working_side) {
  const double f = static_cast<double>(working_side) / std::min(m.cols, m.rows);
  if (f >= 1) return m;
  if (m.depth() == CV_32F) cv::patchNaNs(m, 0);
  cv::Mat small;
  cv::resize(m, small, cv::Size(), f, f, cv::INTER_AREA);
  return small;
}

// Any decoded Mat -> CV_32FC1 luma in 0..255.
absl::StatusOr<cv::Mat> ToLuma(const cv::Mat& m) {
  cv::Mat f;
  double alpha_scale = 1.0 / 255.0;  // alpha channel value -> 0..1, after the conversion below
  switch (m.depth()) {
    case CV_8U: m.convertTo(f, CV_32F); break;
    case CV_16U: m.convertTo(f, CV_32F, 1.0 / 257.0); break;
    case CV_32F:
      // Float images are nominally 0..1; hostile or HDR ones hold NaN or
      // values far outside, which would overflow the quality sum downstream.
      m.convertTo(f, CV_32F, 255.0);
      cv::patchNaNs(f, 0);
      cv::min(f, 255.0, f);
      cv::max(f, 0.0, f);
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported sample format (OpenCV depth ", m.depth(), ")"));
  }
  cv::Mat luma;
  switch (f.channels()) {
    case 1: luma = f; break;
    case 2: cv::extractChannel(f, luma, 0); break;  // grey + alpha
    case 3: cv::transform(f, luma, kLumaBgr); break;
    case 4: cv::transform(f, luma, kLumaBgra); break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unsupported channel count ", f.channels()));
  }
  if (f.channels() == 2 || f.channels() == 4) {
    // Composite over black: luma *= alpha (see the header for why).
    cv::Mat alpha;
    cv::extractChannel(f, alpha, f.channels() - 1);
    cv::multiply(luma, alpha, luma, alpha_scale);
  }
  return luma;
}

// Any decoded Mat -> CV_8UC3 (B, G, R), alpha composited over black.
absl::StatusOr<cv::Mat> ToColour(const cv::Mat& m) {
  cv::Mat f;
  switch (m.depth()) {
    case CV_8U: m.convertTo(f, CV_32F, 1.0 / 255.0); break;
    case CV_16U: m.convertTo(f, CV_32F, 1.0 / 65535.0); break;
    case CV_32F:
      f = m.clone();
      cv::patchNaNs(f, 0);
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported sample format (OpenCV depth ", m.depth(), ")"));
  }
  cv::Mat bgr;
  switch (f.channels()) {
    case 1: cv::cvtColor(f, bgr, cv::COLOR_GRAY2BGR); break;
    case 2: {
      cv::Mat grey, alpha;
      cv::extractChannel(f, grey, 0);
      cv::extractChannel(f, alpha, 1);
      cv::multiply(grey, alpha, grey);
      cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
      break;
    }
    case 3: bgr = f; break;
    case 4: {
      std::vector<cv::Mat> planes;
      cv::split(f, planes);
      for (int c = 0; c < 3; ++c) cv::multiply(planes[c], planes[3], planes[c]);
      planes.pop_back();
      cv::merge(planes, bgr);
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("unsupported channel count ", f.channels()));
  }
  cv::Mat out;
  bgr.convertTo(out, CV_8U, 255.0);  // saturates out-of-range float samples
  return out;
}

// EXIF orientation (EXIF 2.3 table 4.6.4 "Orientation") applied to `m`.
cv::Mat Orient(const cv::Mat& m, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2: cv::flip(m, out, 1); break;  // mirror left-right
    case 3: cv::rotate(m, out, cv::ROTATE_180); break;
    case 4: cv::flip(m, out, 0); break;    // mirror top-bottom
    case 5: cv::transpose(m, out); break;  // mirror about main diagonal
    case 6: cv::rotate(m, out, cv::ROTATE_90_CLOCKWISE); break;
    case 7:
      cv::transpose(m, out);
      cv::flip(out, out, -1);
      break;  // anti-diagonal
    case 8: cv::rotate(m, out, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: out = m; break;
  }
  return out;
}

void ConfigureOpenCvOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Decoder failures are returned per file; OpenCV's console warnings
    // would only repeat them on stderr.
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    // Parallelism comes from hashing several files at once (the caller's
    // threads, e.g. OrderedParallelMap); OpenCV's own pool on top of that
    // only oversubscribes the cores. One owner of threads: the caller.
    cv::setNumThreads(0);
  });
}

absl::StatusOr<cv::Mat> DecodeWithOpenCv(absl::Span<const uint8_t> bytes, int flags) {
  // imdecode does not modify its input; the const_cast only satisfies its Mat.
  const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
  try {
    return cv::imdecode(buf, flags);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while decoding");
  }
}

// imdecode flags for a JPEG decoded at the smallest DCT scale that keeps
// its shorter side >= working_side, in grey or colour, orientation ignored
// (applied afterwards, as for every format).
int ReducedJpegFlags(const ImageInfo& info, int working_side, bool grey) {
  static constexpr int kGrey[] = {cv::IMREAD_GRAYSCALE, cv::IMREAD_REDUCED_GRAYSCALE_2,
                                  cv::IMREAD_REDUCED_GRAYSCALE_4, cv::IMREAD_REDUCED_GRAYSCALE_8};
  static constexpr int kColour[] = {cv::IMREAD_COLOR, cv::IMREAD_REDUCED_COLOR_2,
                                    cv::IMREAD_REDUCED_COLOR_4, cv::IMREAD_REDUCED_COLOR_8};
  const int denom = JpegScaleDenominator(info.width, info.height, working_side);
  const int index = denom == 8 ? 3 : denom == 4 ? 2 : denom == 2 ? 1 : 0;
  return (grey ? kGrey : kColour)[index] | cv::IMREAD_IGNORE_ORIENTATION;
}

}  // namespace

int JpegScaleDenominator(int64_t width, int64_t height, int working_side) {
  if (working_side <= 0) return 1;
  const int64_t shorter = std::min(width, height);
  for (int d : {8, 4, 2}) {
    // libjpeg rounds scaled sizes up: ceil(shorter / d).
    if ((shorter + d - 1) / d >= working_side) return d;
  }
  return 1;
}

absl::StatusOr<DecodedImage> DecodeImage(absl::Span<const uint8_t> bytes,
                                         const DecodeLimits& limits, int working_side,
                                         bool keep_aspect, int colour_side) {
  ConfigureOpenCvOnce();
  // The decoders take the size as an int (kMaxImageBytesLimit), whatever
  // limit a caller passes.
  const int64_t max_bytes = std::min(limits.max_bytes, kMaxImageBytesLimit);
  if (static_cast<int64_t>(bytes.size()) > max_bytes) {
    return absl::OutOfRangeError(
        absl::StrCat("file is ", bytes.size(), " bytes, over the limit of ", max_bytes));
  }
  absl::StatusOr<ImageInfo> info = ProbeImage(bytes);
  if (!info.ok()) return info.status();
  // Sides come from headers (up to 2^32 - 1 each): compare without
  // multiplying first, so the product cannot overflow.
  if (info->width > limits.max_pixels / info->height) {
    const double pixels = static_cast<double>(info->width) * static_cast<double>(info->height);
    return absl::OutOfRangeError(
        absl::StrFormat("%s is %dx%d (%.1f megapixels), over the limit of %.1f megapixels",
                        std::string(ImageFormatName(info->format)), info->width, info->height,
                        pixels / 1e6, limits.max_pixels / 1e6));
  }

  const std::string format(ImageFormatName(info->format));
  absl::StatusOr<cv::Mat> decoded;
  cv::Mat jpeg_colour;  // from the same pass as the luma, when that could be done
  if (info->format == ImageFormat::kJpeg) {
    const int denominator = JpegScaleDenominator(info->width, info->height, working_side);
    if (colour_side > 0 &&
        denominator == JpegScaleDenominator(info->width, info->height, colour_side)) {
      // Luma and colour at one scale: one pass (jpeg_ycc_decoder.h). Any
      // failure falls back to the ordinary path, which reports it.
      absl::StatusOr<JpegLumaAndColour> both = DecodeJpegLumaAndColour(bytes, denominator);
      if (both.ok()) {
        decoded = std::move(both->luma);
        jpeg_colour = std::move(both->colour);
      }
    }
    // A JPEG's Y channel is BT.601 luma already: greyscale decoding is exact
    // and skips chroma entirely. Orientation is applied below, as for all.
    if (jpeg_colour.empty()) {
      decoded = DecodeWithOpenCv(bytes, ReducedJpegFlags(*info, working_side, /*grey=*/true));
    }
  } else if (info->format == ImageFormat::kGif) {
    decoded = DecodeGifFirstFrame(bytes);
  } else {
    decoded = DecodeWithOpenCv(bytes, cv::IMREAD_UNCHANGED);
  }
  if (!decoded.ok()) return decoded.status();
  if (decoded->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("corrupt ", format, ": the decoder rejected it"));
  }

  cv::Mat reduced = *decoded;
  if (working_side > 0 && info->format != ImageFormat::kJpeg) {
    reduced = keep_aspect ? ReduceKeepingAspect(*decoded, working_side) : ReduceLarge(*decoded);
  }
  absl::StatusOr<cv::Mat> luma = ToLuma(reduced);
  if (!luma.ok()) return luma.status();

  DecodedImage image;
  image.format = info->format;
  image.luma = Orient(*luma, info->orientation);
  if (colour_side > 0) {
    absl::StatusOr<cv::Mat> colour;
    if (!jpeg_colour.empty()) {
      colour = jpeg_colour;
    } else if (info->format == ImageFormat::kJpeg) {
      colour = DecodeWithOpenCv(bytes, ReducedJpegFlags(*info, colour_side, /*grey=*/false));
      if (colour.ok() && colour->empty()) {
        colour = absl::InvalidArgumentError(
            absl::StrCat("corrupt ", format, ": the decoder rejected it in colour"));
      }
    } else {
      colour = ToColour(ReduceKeepingAspect(*decoded, colour_side));
    }
    if (!colour.ok()) return colour.status();
    // Reduced only when at least twice too large: the one user (the
    // embedding) resizes it once more to its input, and two area resizes of
    // a copy a JPEG's DCT scaling already made small cost more than the
    // network gains from them.
    if (std::min(colour->cols, colour->rows) >= 2 * colour_side) {
      colour = ReduceKeepingAspect(*colour, colour_side);
    }
    image.colour = Orient(*colour, info->orientation);
  }
  const bool swaps = info->orientation >= 5;
  image.width = static_cast<int>(swaps ? info->height : info->width);
  image.height = static_cast<int>(swaps ? info->width : info->height);
  return image;
}

}  // namespace hashwatch::media
