// The transform suite of `hashwatch-bench robustness` (see the header for the
// geometry). Parameters follow Thorn's perception benchmark where it has the
// same edit (JPEG qualities, crop and pad fractions, small rotations).
#include "robustness_transforms.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"

namespace hashwatch::bench {
namespace {

cv::Mat Resize(const cv::Mat& in, double fx, double fy) {
  cv::Mat out;
  const cv::Size size(std::max(1, static_cast<int>(std::lround(in.cols * fx))),
                      std::max(1, static_cast<int>(std::lround(in.rows * fy))));
  cv::resize(in, out, size, 0, 0, fx < 1 || fy < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// Keeps (1-f) of each axis: centred (corner < 0) or anchored at corner
// 0 = top-left, 1 = top-right, 2 = bottom-left, 3 = bottom-right.
cv::Mat Crop(const cv::Mat& in, double f, int corner) {
  const int w = std::max(1, static_cast<int>(std::lround(in.cols * (1 - f))));
  const int h = std::max(1, static_cast<int>(std::lround(in.rows * (1 - f))));
  int x = (in.cols - w) / 2, y = (in.rows - h) / 2;
  if (corner >= 0) {
    x = (corner & 1) ? in.cols - w : 0;
    y = (corner & 2) ? in.rows - h : 0;
  }
  return in(cv::Rect(x, y, w, h)).clone();
}

// The picture stretched to `size` and blurred with sigma 5% of the longer
// side. Blurred at 1/8 scale: the same look, 64 times cheaper than a
// full-size kernel of ~400 taps.
cv::Mat BlurredFill(const cv::Mat& in, cv::Size size) {
  cv::Mat small, out;
  cv::resize(in, small, cv::Size(std::max(1, size.width / 8), std::max(1, size.height / 8)), 0, 0,
             cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(), 0.05 * std::max(small.cols, small.rows));
  cv::resize(small, out, size, 0, 0, cv::INTER_LINEAR);
  return out;
}

enum class Fill { kBlack, kWhite, kBlur };

// A canvas `f` larger on each axis (f/2 on each side), the picture centred.
cv::Mat Pad(const cv::Mat& in, double f, Fill fill) {
  const cv::Size size(static_cast<int>(std::lround(in.cols * (1 + f))),
                      static_cast<int>(std::lround(in.rows * (1 + f))));
  cv::Mat canvas = fill == Fill::kBlur
                       ? BlurredFill(in, size)
                       : cv::Mat(size, in.type(), cv::Scalar::all(fill == Fill::kBlack ? 0 : 255));
  in.copyTo(
      canvas(cv::Rect((size.width - in.cols) / 2, (size.height - in.rows) / 2, in.cols, in.rows)));
  return canvas;
}

cv::Mat Rotate(const cv::Mat& in, double degrees) {
  const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f((in.cols - 1) / 2.0f, (in.rows - 1) / 2.0f),
                                            degrees, 1.0);
  cv::Mat out;
  cv::warpAffine(in, out, m, in.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

cv::Mat RotateExact(const cv::Mat& in, int code) {
  cv::Mat out;
  cv::rotate(in, out, code);
  return out;
}

cv::Mat Mirror(const cv::Mat& in) {
  cv::Mat out;
  cv::flip(in, out, 1);
  return out;
}

cv::Mat Blur(const cv::Mat& in, double sigma) {
  cv::Mat out;
  cv::GaussianBlur(in, out, cv::Size(), sigma);
  return out;
}

cv::Mat Noise(const cv::Mat& in, double sigma, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat noise(in.size(), CV_16SC(in.channels())), sum, out;
  rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
  in.convertTo(sum, CV_16S);
  sum += noise;
  sum.convertTo(out, CV_8U);  // saturates
  return out;
}

// out = 255 * (in / 255) ^ gamma: gamma 0.5 brightens, 2 darkens.
cv::Mat Gamma(const cv::Mat& in, double gamma) {
  cv::Mat lut(1, 256, CV_8U), out;
  for (int i = 0; i < 256; ++i) {
    lut.at<uint8_t>(i) = cv::saturate_cast<uint8_t>(255.0 * std::pow(i / 255.0, gamma));
  }
  cv::LUT(in, lut, out);
  return out;
}

cv::Mat BrightnessContrast(const cv::Mat& in, double alpha, double beta) {
  cv::Mat out;
  in.convertTo(out, -1, alpha, beta);
  return out;
}

cv::Mat Greyscale(const cv::Mat& in) {
  cv::Mat out;
  cv::cvtColor(in, out, cv::COLOR_BGR2GRAY);
  return out;
}

// The largest font scale at which `text` is at most `height` tall and
// `width` wide.
double FitText(const std::string& text, int font, int thickness, int width, int height) {
  double scale = cv::getFontScaleFromHeight(font, std::max(1, height), thickness);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, font, scale, thickness, &baseline);
  if (size.width > width) scale *= static_cast<double>(width) / size.width;
  return scale;
}

// Three lines of text, each 1/9 of the height (at most 90% of the width),
// white with a dark shadow, blended at 45% opacity.
cv::Mat Watermark(const cv::Mat& in) {
  static const char* const kLines[] = {"SAMPLE COPY", "shared via @photos", "do not redistribute"};
  cv::Mat layer = in.clone(), out;
  const int font = cv::FONT_HERSHEY_DUPLEX;
  const int height = std::max(6, in.rows / 9);
  const int thickness = std::max(1, height / 8);
  for (int k = 0; k < 3; ++k) {
    const double scale = FitText(kLines[k], font, thickness, in.cols * 9 / 10, height);
    int baseline = 0;
    const cv::Size size = cv::getTextSize(kLines[k], font, scale, thickness, &baseline);
    const cv::Point org((in.cols - size.width) / 2, in.rows * (k + 1) / 4 + size.height / 2);
    const cv::Point shadow(std::max(1, thickness / 2), std::max(1, thickness / 2));
    cv::putText(layer, kLines[k], org + shadow, font, scale, cv::Scalar::all(0), thickness,
                cv::LINE_AA);
    cv::putText(layer, kLines[k], org, font, scale, cv::Scalar::all(255), thickness, cv::LINE_AA);
  }
  // Where nothing was drawn, layer == in and the blend leaves the pixel as is.
  cv::addWeighted(in, 0.55, layer, 0.45, 0, out);
  return out;
}

// An opaque broadcaster-style badge (blue box, white disc with a play
// triangle, "NEWS 24"), 15% of the width, 3% in from the corner `index % 4`.
cv::Mat Logo(const cv::Mat& in, int index) {
  cv::Mat out = in.clone();
  const int w = std::min(in.cols, std::max(12, static_cast<int>(std::lround(0.15 * in.cols))));
  const int h = std::min(in.rows, std::max(6, w * 9 / 20));
  const int margin = static_cast<int>(0.03 * std::min(in.cols, in.rows));
  const int corner = index % 4;
  const int x = (corner & 1) ? in.cols - w - margin : margin;
  const int y = (corner & 2) ? in.rows - h - margin : margin;
  const cv::Rect box = cv::Rect(x, y, w, h) & cv::Rect(0, 0, in.cols, in.rows);
  cv::rectangle(out, box, cv::Scalar(160, 70, 20), cv::FILLED);
  const int r = h * 3 / 8;
  const cv::Point c(box.x + h / 2, box.y + h / 2);
  cv::circle(out, c, r, cv::Scalar::all(255), cv::FILLED, cv::LINE_AA);
  const std::vector<cv::Point> play = {c + cv::Point(-r / 3, -r / 2), c + cv::Point(-r / 3, r / 2),
                                       c + cv::Point(r / 2, 0)};
  cv::fillConvexPoly(out, play, cv::Scalar(160, 70, 20), cv::LINE_AA);
  const int font = cv::FONT_HERSHEY_DUPLEX;
  const int thickness = std::max(1, h / 14);
  const double scale = FitText("NEWS 24", font, thickness, w - h - w / 20, h / 3);
  cv::putText(out, "NEWS 24", cv::Point(box.x + h, box.y + h * 2 / 3), font, scale,
              cv::Scalar::all(255), thickness, cv::LINE_AA);
  return out;
}

cv::Mat Stretch(const cv::Mat& in, double fx) {
  return Resize(in, fx, 1.0);
}

// ---------------------------------------------------------------------------
// Screenshot
// ---------------------------------------------------------------------------

std::string Words(cv::RNG& rng, int n) {
  static const char* const kWords[] = {"the",   "photo", "shared", "look",    "at",    "this",
                                       "today", "new",   "post",   "friends", "see",   "more",
                                       "from",  "city",  "week",   "story",   "reply", "comments"};
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kWords[rng.uniform(0, static_cast<int>(std::size(kWords)))];
  }
  return s;
}

void Text(cv::Mat& page, const std::string& text, cv::Point org, double scale, cv::Scalar colour) {
  cv::putText(page, text, org, cv::FONT_HERSHEY_SIMPLEX, scale, colour, scale > 0.8 ? 2 : 1,
              cv::LINE_AA);
}

// A few lines of grey text from `top`, until `bottom`; returns where it ended.
int TextBlock(cv::Mat& page, cv::RNG& rng, int x, int top, int bottom, int width, int lines) {
  int y = top;
  for (int i = 0; i < lines && y + 28 < bottom; ++i, y += 28) {
    const int words = std::max(1, width / 70 + rng.uniform(-1, 2));
    Text(page, Words(rng, words), cv::Point(x, y + 20), 0.6, cv::Scalar::all(70));
  }
  return y;
}

// `other` resized to fit w x h at (x, y), or a coloured block without one.
void Thumbnail(cv::Mat& page, const cv::Mat* other, cv::RNG& rng, cv::Rect where) {
  where &= cv::Rect(0, 0, page.cols, page.rows);
  if (where.width < 8 || where.height < 8) return;
  if (other == nullptr || other->empty()) {
    cv::rectangle(page, where, cv::Scalar(rng.uniform(60, 200), rng.uniform(60, 200), 200),
                  cv::FILLED);
    return;
  }
  const double s = std::min(static_cast<double>(where.width) / other->cols,
                            static_cast<double>(where.height) / other->rows);
  cv::Mat thumb = Resize(*other, s, s);
  if (thumb.channels() == 1) cv::cvtColor(thumb, thumb, cv::COLOR_GRAY2BGR);
  const cv::Rect r(where.x, where.y, std::min(thumb.cols, where.width),
                   std::min(thumb.rows, where.height));
  thumb(cv::Rect(0, 0, r.width, r.height)).copyTo(page(r));
}

cv::Scalar BarColour(cv::RNG& rng) {
  cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar(rng.uniform(0, 180), 170, 170)), bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  const cv::Vec3b c = bgr.at<cv::Vec3b>(0, 0);
  return cv::Scalar(c[0], c[1], c[2]);
}

cv::Mat Screenshot(const TransformInput& in) {
  cv::RNG rng(in.seed);
  const cv::Mat& img = *in.image;
  const bool phone = in.index % 2 == 1;
  const cv::Size size = phone ? cv::Size(720, 1280) : cv::Size(1280, 900);
  cv::Mat page(size, CV_8UC3, phone ? cv::Scalar(221, 229, 235) : cv::Scalar::all(250));
  const int bar = phone ? 120 : 64;
  cv::rectangle(page, cv::Rect(0, 0, size.width, bar), BarColour(rng), cv::FILLED);
  if (phone) cv::circle(page, cv::Point(70, bar / 2), 34, cv::Scalar::all(235), cv::FILLED);
  Text(page, phone ? "Alex M." : "photoshare.example   Home   Explore   Profile",
       cv::Point(phone ? 124 : 24, bar / 2 + 12), phone ? 1.1 : 0.9, cv::Scalar::all(255));

  // The picture takes 45-70% of the page along its tighter axis (the part
  // below the bar and, on the phone, above the input bar and one message).
  const int reserved = phone ? 90 + 110 : 48;
  const double fraction = rng.uniform(0.45, 0.70);
  const double scale =
      fraction * std::min(static_cast<double>(size.width) / img.cols,
                          static_cast<double>(size.height - bar - reserved) / img.rows);
  cv::Mat pic = Resize(img, scale, scale);
  if (pic.channels() == 1) cv::cvtColor(pic, pic, cv::COLOR_GRAY2BGR);
  cv::Rect at;
  if (phone) {
    // A chat: one text message, the picture in a bubble (left or right),
    // another message and a smaller picture from someone else, input bar.
    cv::Rect msg(24, bar + 24, size.width * 3 / 5, 62);
    cv::rectangle(page, msg, cv::Scalar::all(255), cv::FILLED);
    Text(page, Words(rng, 4), cv::Point(msg.x + 16, msg.y + 40), 0.7, cv::Scalar::all(40));
    const bool right = rng.uniform(0, 2) == 1;
    at = cv::Rect(right ? size.width - 24 - 12 - pic.cols : 24 + 12, msg.br().y + 36, pic.cols,
                  pic.rows);
    cv::rectangle(page, cv::Rect(at.x - 12, at.y - 12, at.width + 24, at.height + 24),
                  right ? cv::Scalar(200, 246, 220) : cv::Scalar::all(255), cv::FILLED);
    int y = at.br().y + 40;
    if (y + 62 < size.height - 110) {
      cv::Rect reply(size.width - 24 - size.width / 2, y, size.width / 2, 62);
      cv::rectangle(page, reply, cv::Scalar(200, 246, 220), cv::FILLED);
      Text(page, Words(rng, 3), cv::Point(reply.x + 16, reply.y + 40), 0.7, cv::Scalar::all(40));
      y = reply.br().y + 24;
    }
    Thumbnail(page, in.other, rng, cv::Rect(36, y, size.width / 3, size.height - 110 - 24 - y));
    cv::rectangle(page, cv::Rect(0, size.height - 90, size.width, 90), cv::Scalar::all(245),
                  cv::FILLED);
    cv::rectangle(page, cv::Rect(20, size.height - 72, size.width - 130, 54), cv::Scalar::all(255),
                  cv::FILLED);
    Text(page, "Message", cv::Point(40, size.height - 36), 0.7, cv::Scalar::all(150));
    cv::circle(page, cv::Point(size.width - 55, size.height - 45), 28, cv::Scalar(150, 120, 20),
               cv::FILLED);
  } else {
    // A web page: the post's picture in the left column, its text, likes
    // and comments beside and below it, a sidebar with a thumbnail and ad
    // blocks.
    at = cv::Rect(24 + rng.uniform(0, size.width / 20), bar + 24 + rng.uniform(0, 24), pic.cols,
                  pic.rows);
    const int col = at.br().x + 32, col_w = size.width - 24 - col;
    if (col_w >= 120) {
      Text(page, Words(rng, 3), cv::Point(col, at.y + 28), 0.9, cv::Scalar::all(20));
      int y = TextBlock(page, rng, col, at.y + 48, size.height - 24, col_w, 5);
      Thumbnail(page, in.other, rng, cv::Rect(col, y + 16, col_w * 3 / 4, 220));
      cv::rectangle(page, cv::Rect(col, y + 256, col_w, 80), cv::Scalar::all(225), cv::FILLED);
    }
    if (at.br().y + 40 < size.height) {
      Text(page, "1,204 likes   318 comments", cv::Point(at.x, at.br().y + 32), 0.7,
           cv::Scalar::all(30));
      TextBlock(page, rng, at.x, at.br().y + 44, size.height - 8, at.width, 4);
    }
  }
  at &= cv::Rect(0, 0, size.width, size.height);
  pic(cv::Rect(0, 0, at.width, at.height)).copyTo(page(at));
  return page;
}

}  // namespace

const std::vector<Transform>& RobustnessTransforms() {
  using In = const TransformInput&;
  static const std::vector<Transform>* const kTransforms = new std::vector<Transform>{
      {"jpeg95", 95, [](In in) { return *in.image; }},
      {"jpeg75", 75, [](In in) { return *in.image; }},
      {"jpeg50", 50, [](In in) { return *in.image; }},
      {"resize0.5", 0, [](In in) { return Resize(*in.image, 0.5, 0.5); }},
      {"resize0.25", 0, [](In in) { return Resize(*in.image, 0.25, 0.25); }},
      {"crop5", 0, [](In in) { return Crop(*in.image, 0.05, -1); }},
      {"crop10", 0, [](In in) { return Crop(*in.image, 0.10, -1); }},
      {"crop20", 0, [](In in) { return Crop(*in.image, 0.20, -1); }},
      {"crop5_off", 0, [](In in) { return Crop(*in.image, 0.05, in.index % 4); }},
      {"crop10_off", 0, [](In in) { return Crop(*in.image, 0.10, in.index % 4); }},
      {"crop20_off", 0, [](In in) { return Crop(*in.image, 0.20, in.index % 4); }},
      {"pad20_black", 0, [](In in) { return Pad(*in.image, 0.2, Fill::kBlack); }},
      {"pad20_white", 0, [](In in) { return Pad(*in.image, 0.2, Fill::kWhite); }},
      {"pad20_blur", 0, [](In in) { return Pad(*in.image, 0.2, Fill::kBlur); }},
      {"rot4", 0, [](In in) { return Rotate(*in.image, 4); }},
      {"rot10", 0, [](In in) { return Rotate(*in.image, 10); }},
      {"rot90", 0, [](In in) { return RotateExact(*in.image, cv::ROTATE_90_COUNTERCLOCKWISE); }},
      {"rot180", 0, [](In in) { return RotateExact(*in.image, cv::ROTATE_180); }},
      {"mirror", 0, [](In in) { return Mirror(*in.image); }},
      {"blur", 0, [](In in) { return Blur(*in.image, 2.0); }},
      {"noise", 0, [](In in) { return Noise(*in.image, 10.0, in.seed); }},
      {"gamma0.5", 0, [](In in) { return Gamma(*in.image, 0.5); }},
      {"gamma2", 0, [](In in) { return Gamma(*in.image, 2.0); }},
      {"brightness_contrast", 0, [](In in) { return BrightnessContrast(*in.image, 1.3, -30); }},
      {"greyscale", 0, [](In in) { return Greyscale(*in.image); }},
      {"watermark", 0, [](In in) { return Watermark(*in.image); }},
      {"logo", 0, [](In in) { return Logo(*in.image, in.index); }},
      {"screenshot", 0, [](In in) { return Screenshot(in); }, true},
      {"aspect", 0, [](In in) { return Stretch(*in.image, 1.3); }},
      {"crop10+jpeg75", 75, [](In in) { return Crop(*in.image, 0.10, -1); }},
      {"mirror+pad20_black", 0, [](In in) { return Pad(Mirror(*in.image), 0.2, Fill::kBlack); }},
      {"resize0.5+jpeg50+watermark", 50,
       [](In in) { return Watermark(Resize(*in.image, 0.5, 0.5)); }},
      {"rot4+crop5", 0, [](In in) { return Crop(Rotate(*in.image, 4), 0.05, -1); }},
  };
  return *kTransforms;
}

uint64_t TransformSeed(std::string_view image_name, std::string_view transform_name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  };
  mix(image_name);
  mix("\t");
  mix(transform_name);
  return h;
}

absl::StatusOr<std::vector<uint8_t>> EncodeImage(const cv::Mat& image, int jpeg_quality) {
  std::vector<uint8_t> bytes;
  try {
    const bool ok =
        jpeg_quality > 0
            ? cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality})
            : cv::imencode(".png", image, bytes, {cv::IMWRITE_PNG_COMPRESSION, 1});
    if (!ok) return absl::InternalError("imencode failed");
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("imencode: ", e.what()));
  }
  return bytes;
}

}  // namespace hashwatch::bench
