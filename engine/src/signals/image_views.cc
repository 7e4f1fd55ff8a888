#include "signals/image_views.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string_view>

#include "media/border_detector.h"
#include "media/canvas_detector.h"
#include "signals/pdq_hash.h"

namespace hashwatch::signals {
namespace {

// Views closer than this to the whole image (or to a view already kept)
// search nothing new.
constexpr int kSameViewBits = 8;
constexpr int kViewSide = 512;
constexpr int kTurnSide = 256;

int Hamming(const std::vector<uint8_t>& a, const PdqBits& b) {
  int d = 0;
  for (size_t i = 0; i < b.size() && i < a.size(); ++i) {
    d += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  }
  return d;
}

}  // namespace

std::vector<ImageView> ComputeViews(const DecodedImage& image, const Signal& whole,
                                    const ViewOptions& options, bool variants) {
  // Views are found and hashed on a copy no larger than 512 px (PDQ samples
  // 64x64, and the detectors look at edges and bands, not fine detail) in
  // the image's own shape: the decoder may have squashed one axis (PDQ's
  // reference does), which would bring a picture's frame and the panel
  // around it closer together than they are.
  cv::Mat luma = image.luma;
  const double fw = image.width > 0 ? image.width : luma.cols;
  const double fh = image.height > 0 ? image.height : luma.rows;
  const double f = std::min(kViewSide, std::max(luma.cols, luma.rows)) / std::max(fw, fh);
  const cv::Size shape(std::max(1, static_cast<int>(std::lround(fw * f))),
                       std::max(1, static_cast<int>(std::lround(fh * f))));
  if (shape != luma.size()) {
    const bool shrinks = shape.width <= luma.cols && shape.height <= luma.rows;
    cv::resize(image.luma, luma, shape, 0, 0, shrinks ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  std::vector<std::pair<const char*, cv::Rect>> rects;
  const cv::Rect full(0, 0, luma.cols, luma.rows);
  // The picture is hashed whole as well, so trimming too much costs
  // nothing: no step into picture needed.
  media::BorderOptions trim;
  trim.uniform_needs_step = false;
  if (options.border) {
    const cv::Rect r = media::DetectContentRect(luma, trim);
    if (r.area() > 0 && r.area() < 0.97 * full.area()) rects.emplace_back("border", r);
  }
  if (options.canvas) {
    for (const cv::Rect& r : media::FindPictureRects(luma, kMaxCanvasViews)) {
      // A frame found may be a panel or a chat bubble around the picture,
      // with a flat margin inside it: that is trimmed as a border would be.
      // The untrimmed rectangle is kept too: a picture's own flat edge (a
      // night sky) trims like a margin.
      rects.emplace_back("canvas", r);
      const cv::Rect inner = media::DetectContentRect(luma(r), trim) + r.tl();
      if (inner.area() > 0 && inner != r) rects.emplace_back("canvas", inner);
    }
  }
  if (options.regions) {
    for (const double f : {0.9, 0.8}) {
      const int w = static_cast<int>(std::lround(luma.cols * f));
      const int h = static_cast<int>(std::lround(luma.rows * f));
      const int dx = luma.cols - w, dy = luma.rows - h;
      rects.emplace_back("region", cv::Rect(dx / 2, dy / 2, w, h));
      rects.emplace_back("region", cv::Rect(0, 0, w, h));
      rects.emplace_back("region", cv::Rect(dx, 0, w, h));
      rects.emplace_back("region", cv::Rect(0, dy, w, h));
      rects.emplace_back("region", cv::Rect(dx, dy, w, h));
    }
  }
  // Turned views are made on their own (not rectangles of `luma`), from a
  // copy of at most kTurnSide px: four turns and their PDQs are most of a
  // query's cost, and PDQ's 64x64 samples need no more.
  std::vector<std::pair<double, cv::Mat>> turned;
  if (options.rotations && luma.cols >= 32 && luma.rows >= 32) {
    cv::Mat small = luma;
    const int side = std::max(luma.cols, luma.rows);
    if (side > kTurnSide) {
      const double t = static_cast<double>(kTurnSide) / side;
      cv::resize(luma, small, cv::Size(), t, t, cv::INTER_AREA);
    }
    for (const double degrees : kViewRotations) {
      const cv::Point2f centre(small.cols / 2.0f, small.rows / 2.0f);
      cv::Mat back;
      cv::warpAffine(small, back, cv::getRotationMatrix2D(centre, degrees, 1.0), small.size(),
                     cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      // The central part free of the corners both turns bring in (a copy
      // rotated within its frame has dark corners, and turning it back
      // adds the frame's): the largest centred rectangle of the frame's
      // shape inside the turned frame, 0.80 of each side at 12 degrees for
      // 4:3, 0.88 at 6 (near the stored 80% and 90% regions).
      const double a = std::abs(degrees) * CV_PI / 180;
      const double longer = std::max(small.cols, small.rows),
                   shorter = std::min(small.cols, small.rows);
      const double f = 1 / (std::cos(a) + std::sin(a) * longer / shorter);
      const int mx = static_cast<int>(std::ceil(small.cols * (1 - f) / 2));
      const int my = static_cast<int>(std::ceil(small.rows * (1 - f) / 2));
      const cv::Rect inner(mx, my, small.cols - 2 * mx, small.rows - 2 * my);
      if (inner.width < 16 || inner.height < 16) continue;
      turned.emplace_back(degrees, back(inner).clone());
    }
  }
  const double sx = luma.cols > 0 ? static_cast<double>(image.width) / luma.cols : 1;
  const double sy = luma.rows > 0 ? static_cast<double>(image.height) / luma.rows : 1;
  std::vector<ImageView> out;
  std::vector<PdqBits> kept;
  for (size_t i = 0; i < rects.size() + turned.size(); ++i) {
    const bool is_turn = i >= rects.size();
    const char* kind = is_turn ? "rotated" : rects[i].first;
    const cv::Rect r = is_turn ? full : (rects[i].second & full);
    if (r.width < 16 || r.height < 16) continue;
    // A small picture found inside the image (border, canvas: a photo in a
    // screenshot) is hashed from the decoded pixels, not the small copy,
    // where it spans a hundred or two pixels: too few for PDQ's 64x64
    // samples to be stable. Larger ones are hashed from the copy (cheaper).
    cv::Mat pixels = is_turn ? turned[i - rects.size()].second : luma(r);
    if (!is_turn && std::string_view(kind) != "region" && image.luma.size() != luma.size() &&
        std::max(r.width, r.height) < kViewSide / 2) {
      const double lx = static_cast<double>(image.luma.cols) / luma.cols;
      const double ly = static_cast<double>(image.luma.rows) / luma.rows;
      const cv::Rect big =
          cv::Rect(static_cast<int>(std::lround(r.x * lx)), static_cast<int>(std::lround(r.y * ly)),
                   static_cast<int>(std::lround(r.width * lx)),
                   static_cast<int>(std::lround(r.height * ly))) &
          cv::Rect(0, 0, image.luma.cols, image.luma.rows);
      if (big.width >= 16 && big.height >= 16) pixels = image.luma(big);
    }
    const PdqResult pdq = ComputePdq(pixels, variants);
    bool same = Hamming(whole.hash, pdq.hash) <= kSameViewBits;
    for (const PdqBits& k : kept) {
      same |= Hamming(std::vector<uint8_t>(k.begin(), k.end()), pdq.hash) <= kSameViewBits;
    }
    if (same) continue;
    kept.push_back(pdq.hash);
    ImageView view;
    view.kind = kind;
    view.x = static_cast<int>(std::lround(r.x * sx));
    view.y = static_cast<int>(std::lround(r.y * sy));
    view.width = static_cast<int>(std::lround(r.width * sx));
    view.height = static_cast<int>(std::lround(r.height * sy));
    view.pdq.type = "pdq";
    view.pdq.hash.assign(pdq.hash.begin(), pdq.hash.end());
    view.pdq.quality = pdq.quality;
    if (is_turn) view.rotation = turned[i - rects.size()].first;
    if (variants) {
      for (const PdqBits& v : pdq.dihedral) view.pdq.variants.emplace_back(v.begin(), v.end());
    }
    out.push_back(std::move(view));
  }
  return out;
}

}  // namespace hashwatch::signals
