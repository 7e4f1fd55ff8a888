// BorderDetector: padding found on real photos (uniform bars of any colour,
// JPEG noise, blurred-fill canvases, video sequences) and never found in
// ordinary pictures (skies, walls, depth of field, dark scenes).
#include "media/border_detector.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hashwatch/video_hasher.h"
#include "signals/pdq_hash.h"
#include "test_support.h"
#include "video_test_support.h"

namespace hashwatch::media {
namespace {

using testing::TestdataDir;

const char* const kPhotos[] = {"libjxl_flower_cropped.jpg", "skimage_camera.png",
                               "skimage_chelsea.png",       "skimage_coffee.png",
                               "skimage_retina.jpg",        "skimage_rocket.jpg",
                               "wesaturate_bliznaca.png"};

cv::Mat Grey(const std::string& name) {
  cv::Mat img = cv::imread((TestdataDir() / "images" / name).string(), cv::IMREAD_GRAYSCALE);
  INFO(name);
  REQUIRE(!img.empty());
  return img;
}

// A centred crop of `img` with the given aspect ratio (width / height).
cv::Mat CropToAspect(const cv::Mat& img, double aspect) {
  int w = img.cols;
  int h = static_cast<int>(std::lround(w / aspect));
  if (h > img.rows) {
    h = img.rows;
    w = static_cast<int>(std::lround(h * aspect));
  }
  return img(cv::Rect((img.cols - w) / 2, (img.rows - h) / 2, w, h)).clone();
}

cv::Mat Pad(const cv::Mat& img, int top, int bottom, int left, int right, double value) {
  cv::Mat out;
  cv::copyMakeBorder(img, out, top, bottom, left, right, cv::BORDER_CONSTANT, cv::Scalar(value));
  return out;
}

cv::Mat JpegRoundTrip(const cv::Mat& img, int quality) {
  std::vector<uint8_t> bytes;
  REQUIRE(cv::imencode(".jpg", img, bytes, {cv::IMWRITE_JPEG_QUALITY, quality}));
  return cv::imdecode(bytes, cv::IMREAD_GRAYSCALE);
}

// `picture` centred on a canvas_w x canvas_h canvas filled with a blurred
// enlarged copy of itself (the "vertical video" re-upload). Sets `where`.
cv::Mat BlurredCanvas(const cv::Mat& picture, int canvas_w, int canvas_h, cv::Rect* where) {
  const double cover = std::max(static_cast<double>(canvas_w) / picture.cols,
                                static_cast<double>(canvas_h) / picture.rows);
  cv::Mat enlarged;
  cv::resize(picture, enlarged, cv::Size(), cover, cover, cv::INTER_LINEAR);
  cv::Mat canvas = enlarged(cv::Rect((enlarged.cols - canvas_w) / 2, (enlarged.rows - canvas_h) / 2,
                                     canvas_w, canvas_h))
                       .clone();
  cv::GaussianBlur(canvas, canvas, cv::Size(), 20);
  const double fit = std::min(static_cast<double>(canvas_w) / picture.cols,
                              static_cast<double>(canvas_h) / picture.rows);
  cv::Mat fitted;
  cv::resize(picture, fitted, cv::Size(), fit, fit, cv::INTER_AREA);
  *where = cv::Rect((canvas_w - fitted.cols) / 2, (canvas_h - fitted.rows) / 2, fitted.cols,
                    fitted.rows);
  fitted.copyTo(canvas(*where));
  return canvas;
}

// What ffmpeg's "vertical video" filter chain makes of `picture` (the
// vertical_blurfill_9x16 edit in testdata/make_video_edits.sh): the picture
// scaled to cover the canvas, reduced 4x, box-blurred twice (boxblur radius
// 3, power 2), enlarged back (bicubic), darkened a little, with the sharp
// picture scaled to the canvas width on top, centred. Sets `where`.
cv::Mat FfmpegBlurCanvas(const cv::Mat& picture, int canvas_w, int canvas_h, cv::Rect* where) {
  const double cover = std::max(static_cast<double>(canvas_w) / picture.cols,
                                static_cast<double>(canvas_h) / picture.rows);
  cv::Mat small;
  cv::resize(picture, small,
             cv::Size(static_cast<int>(picture.cols * cover / 4),
                      static_cast<int>(picture.rows * cover / 4)),
             0, 0, cv::INTER_AREA);
  small = small(cv::Rect((small.cols - canvas_w / 4) / 2, (small.rows - canvas_h / 4) / 2,
                         canvas_w / 4, canvas_h / 4))
              .clone();
  cv::blur(small, small, cv::Size(7, 7));
  cv::blur(small, small, cv::Size(7, 7));
  cv::Mat canvas;
  cv::resize(small, canvas, cv::Size(canvas_w, canvas_h), 0, 0, cv::INTER_CUBIC);
  canvas -= cv::Scalar(15);
  cv::Mat fitted;
  const int h = static_cast<int>(
                    std::lround(static_cast<double>(picture.rows) * canvas_w / picture.cols / 2)) *
                2;
  cv::resize(picture, fitted, cv::Size(canvas_w, h), 0, 0, cv::INTER_AREA);
  *where = cv::Rect(0, (canvas_h - h) / 2, canvas_w, h);
  fitted.copyTo(canvas(*where));
  return canvas;
}

// Every edge of `found` within `share` of its axis from the same edge of
// `truth`.
bool Near(const cv::Rect& found, const cv::Rect& truth, cv::Size frame, double share) {
  const double dx = share * frame.width;
  const double dy = share * frame.height;
  return std::abs(found.x - truth.x) <= dx && std::abs(found.br().x - truth.br().x) <= dx &&
         std::abs(found.y - truth.y) <= dy && std::abs(found.br().y - truth.br().y) <= dy;
}

int Distance(const signals::PdqBits& a, const signals::PdqBits& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += __builtin_popcount(a[i] ^ b[i]);
  return d;
}

signals::PdqBits Pdq(const cv::Mat& grey) {
  cv::Mat luma;
  grey.convertTo(luma, CV_32F);
  return signals::ComputePdq(luma).hash;
}

TEST_CASE("Uniform bars of any colour on any sides are found", "[border]") {
  struct Case {
    const char* photo;
    int top, bottom, left, right;
    double value;
  };
  const Case cases[] = {
      {"skimage_camera.png", 100, 100, 0, 0, 0},          // letterbox, black
      {"skimage_rocket.jpg", 0, 0, 90, 90, 0},            // pillarbox, black
      {"skimage_coffee.png", 40, 40, 60, 60, 255},        // white window box
      {"skimage_chelsea.png", 75, 0, 0, 0, 128},          // grey, top only
      {"wesaturate_bliznaca.png", 0, 30, 0, 120, 30},     // dark grey, two sides
      {"libjxl_flower_cropped.jpg", 200, 200, 0, 0, 16},  // limited-range black
      {"skimage_camera.png", 7, 0, 3, 0, 0},              // thin slivers
  };
  for (const Case& c : cases) {
    const cv::Mat photo = Grey(c.photo);
    const cv::Mat padded = Pad(photo, c.top, c.bottom, c.left, c.right, c.value);
    const cv::Rect truth(c.left, c.top, photo.cols, photo.rows);
    const cv::Rect found = DetectContentRect(padded);
    INFO(c.photo << " padded " << c.top << "/" << c.bottom << "/" << c.left << "/" << c.right
                 << " with " << c.value << ": found " << found << ", truth " << truth);
    CHECK(Near(found, truth, padded.size(), 0.02));
    // Never more than the padding: no picture is cut.
    CHECK((found & truth) == truth);
  }
}

TEST_CASE("Bars are found through a soft edge and JPEG quality 70", "[border]") {
  for (const char* name : {"skimage_camera.png", "skimage_rocket.jpg", "skimage_coffee.png"}) {
    const cv::Mat photo = Grey(name);
    cv::Mat padded = Pad(photo, 60, 60, 25, 25, 0);
    cv::GaussianBlur(padded, padded, cv::Size(5, 5), 1.0);  // a 2-3 px soft edge
    padded = JpegRoundTrip(padded, 70);
    const cv::Rect truth(25, 60, photo.cols, photo.rows);
    const cv::Rect found = DetectContentRect(padded);
    INFO(name << ": found " << found << ", truth " << truth);
    CHECK(Near(found, truth, padded.size(), 0.02));
  }
}

TEST_CASE("Float and 8-bit luma give the same rectangle", "[border]") {
  const cv::Mat padded = Pad(Grey("skimage_rocket.jpg"), 50, 50, 0, 0, 0);
  cv::Mat luma;
  padded.convertTo(luma, CV_32F);
  CHECK(DetectContentRect(luma) == DetectContentRect(padded));
}

TEST_CASE("A 16:9 picture on a 9:16 canvas of blurred fill is found", "[border]") {
  for (const char* name : {"skimage_coffee.png", "skimage_rocket.jpg", "libjxl_flower_cropped.jpg",
                           "skimage_camera.png"}) {
    const cv::Mat picture = CropToAspect(Grey(name), 16.0 / 9.0);
    cv::Rect truth;
    const cv::Mat canvas = BlurredCanvas(picture, 720, 1280, &truth);
    for (const int quality : {100, 70}) {
      const cv::Mat frame = quality == 100 ? canvas : JpegRoundTrip(canvas, quality);
      const cv::Rect found = DetectContentRect(frame);
      INFO(name << " quality " << quality << ": found " << found << ", truth " << truth);
      CHECK(Near(found, truth, canvas.size(), 0.03));
      CHECK((found & truth) == truth);
    }
  }
}

TEST_CASE("A 9:16 picture on a 16:9 canvas of blurred fill is found", "[border]") {
  const cv::Mat picture = CropToAspect(Grey("skimage_camera.png"), 9.0 / 16.0);
  cv::Rect truth;
  const cv::Mat canvas = BlurredCanvas(picture, 1280, 720, &truth);
  const cv::Rect found = DetectContentRect(JpegRoundTrip(canvas, 70));
  INFO("found " << found << ", truth " << truth);
  CHECK(Near(found, truth, canvas.size(), 0.03));
  CHECK((found & truth) == truth);
}

TEST_CASE("A panning video on an ffmpeg-style blurred 9:16 canvas is found", "[border]") {
  // The fill keeps coarse structure (a 4x reduction and a box blur), so only
  // the seam, straight and fixed while the picture pans, marks the picture.
  for (const char* name : {"libjxl_flower_cropped.jpg", "wesaturate_bliznaca.png",
                           "skimage_coffee.png", "skimage_rocket.jpg", "skimage_camera.png"}) {
    const cv::Mat source = Grey(name);
    const cv::Size window(source.cols * 3 / 4, source.cols * 3 / 4 * 9 / 16);
    cv::Rect truth;
    BorderDetector detector(480, 854);
    for (int i = 0; i < 8; ++i) {
      const cv::Rect crop(i * (source.cols - window.width) / 8,
                          i * (source.rows - window.height) / 8, window.width, window.height);
      detector.AddFrame(JpegRoundTrip(FfmpegBlurCanvas(source(crop), 480, 854, &truth), 80));
    }
    const cv::Rect found = detector.ContentRect();
    INFO(name << ": found " << found << ", truth " << truth);
    CHECK(Near(found, truth, cv::Size(480, 854), 0.02));
  }
}

TEST_CASE("ffmpeg's vertical re-upload of a real clip is cropped to the picture", "[border]") {
  // The vertical_blurfill_9x16 edit of the street clip, 4 s of it: the
  // bottom of the picture is smooth grass and the fill shows blurred
  // buildings, so texture alone does not find the picture; the seams do.
  testing::TempDir tmp;
  const auto clip = tmp.path() / "vertical.mp4";
  testing::Ffmpeg("-t 4 -i " +
                      testing::ShellQuote((testing::VideoDir() / "street_vtest.mp4").string()) +
                      " -filter_complex \"[0:v]setsar=1,split[a][b];[a]scale=-2:212,crop=120:212,"
                      "boxblur=luma_radius=3:luma_power=2,scale=480:854:flags=bicubic,"
                      "eq=brightness=-0.06[bg];[b]scale=480:-2[fg];[bg][fg]overlay=(W-w)/2:(H-h)/2,"
                      "setsar=1[v]\" -map \"[v]\" -c:v libx264 -preset veryfast -crf 23 "
                      "-pix_fmt yuv420p -an",
                  clip);
  auto hasher = VideoHasher::Create(VideoOptions{});
  REQUIRE(hasher.ok());
  auto signals = hasher->HashFile(clip.string());
  REQUIRE(signals.ok());
  // The 480x360 picture sits at y = 247..607 of 854.
  const cv::Rect found(signals->crop_x, signals->crop_y, signals->crop_width, signals->crop_height);
  const cv::Rect truth(0, 247, 480, 360);
  INFO("found " << found << " in " << signals->width << "x" << signals->height);
  CHECK(Near(found, truth, cv::Size(signals->width, signals->height), 0.02));
}

TEST_CASE("Unpadded photos are left whole", "[border]") {
  for (const char* name : kPhotos) {
    const cv::Mat photo = Grey(name);
    const cv::Rect whole(0, 0, photo.cols, photo.rows);
    for (const int quality : {100, 70}) {
      const cv::Mat img = quality == 100 ? photo : JpegRoundTrip(photo, quality);
      const cv::Rect found = DetectContentRect(img);
      INFO(name << " quality " << quality << ": found " << found);
      CHECK(Near(found, whole, photo.size(), 0.015));
    }
  }
}

TEST_CASE("Skies, walls and depth of field are not padding", "[border]") {
  const cv::Mat photo = Grey("skimage_rocket.jpg");
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.5f);
  auto add_noise = [&](cv::Mat& m) {
    for (int y = 0; y < m.rows; ++y) {
      for (int x = 0; x < m.cols; ++x) {
        m.at<uint8_t>(y, x) = cv::saturate_cast<uint8_t>(m.at<uint8_t>(y, x) + noise(rng));
      }
    }
  };

  SECTION("a dark night sky over a sharp scene") {
    cv::Mat img = photo.clone();
    const int sky = img.rows * 2 / 5;
    for (int y = 0; y < sky; ++y) img.row(y).setTo(4 + 36.0 * y / sky);
    add_noise(img);
    CHECK(DetectContentRect(img) == cv::Rect(0, 0, img.cols, img.rows));
  }
  SECTION("a person (an irregular shape) in front of a plain wall") {
    cv::Mat img(photo.rows, photo.cols, CV_8UC1, cv::Scalar(170));
    cv::Mat mask = cv::Mat::zeros(img.size(), CV_8UC1);
    cv::ellipse(mask, cv::Point(img.cols * 3 / 5, img.rows / 2),
                cv::Size(img.cols / 4, img.rows * 3 / 5), 0, 0, 360, cv::Scalar(255), -1);
    photo.copyTo(img, mask);
    add_noise(img);
    CHECK(DetectContentRect(img) == cv::Rect(0, 0, img.cols, img.rows));
  }
  SECTION("depth of field: blur growing away from a sharp middle band, above and below") {
    cv::Mat img = photo.clone();
    const int band = img.rows / 3;
    std::vector<cv::Mat> blurred(13);  // sigma 1..12, made once each
    for (int y = 0; y < img.rows; ++y) {
      const int dist = std::max({0, band - y, y - (img.rows - band)});
      if (dist == 0) continue;
      const int sigma = std::max(1, static_cast<int>(std::lround(12.0 * dist / band)));
      if (blurred[sigma].empty()) cv::GaussianBlur(photo, blurred[sigma], cv::Size(), sigma);
      blurred[sigma].row(y).copyTo(img.row(y));
    }
    CHECK(DetectContentRect(img) == cv::Rect(0, 0, img.cols, img.rows));
  }
}

TEST_CASE("A sequence with constant bars and moving content", "[border]") {
  const cv::Mat source = Grey("libjxl_flower_cropped.jpg");
  // 960x540 windows panning across the photo, letterboxed in 960x720 (and
  // pillarboxed: 4:3 windows in 1280x720).
  struct Layout {
    cv::Size window, frame;
  };
  for (const Layout& layout : {Layout{{960, 540}, {960, 720}}, Layout{{720, 540}, {1280, 720}}}) {
    const cv::Rect truth((layout.frame.width - layout.window.width) / 2,
                         (layout.frame.height - layout.window.height) / 2, layout.window.width,
                         layout.window.height);
    BorderDetector detector(layout.frame.width, layout.frame.height);
    for (int i = 0; i < 12; ++i) {
      const cv::Rect window(i * 7, i * 35 % (source.rows - layout.window.height),
                            layout.window.width, layout.window.height);
      cv::Mat frame(layout.frame, CV_8UC1, cv::Scalar(0));
      source(window).copyTo(frame(truth));
      if (i == 5) frame(truth).setTo(3);  // a dark scene: the picture itself is black
      detector.AddFrame(JpegRoundTrip(frame, 70));
    }
    CHECK(detector.frames() == 12);
    const cv::Rect found = detector.ContentRect();
    INFO("found " << found << ", truth " << truth);
    CHECK(Near(found, truth, layout.frame, 0.02));
    CHECK((found & truth) == truth);
  }
}

TEST_CASE("A dark scene inside an unpadded video is not cut", "[border]") {
  const cv::Mat source = Grey("libjxl_flower_cropped.jpg");
  BorderDetector detector(960, 540);
  for (int i = 0; i < 10; ++i) {
    cv::Mat frame = source(cv::Rect(i * 8, i * 40, 960, 540)).clone();
    // Three frames of night: the upper half goes black, as at a scene change.
    if (i >= 3 && i < 6) frame(cv::Rect(0, 0, 960, 270)).setTo(2);
    detector.AddFrame(frame);
  }
  CHECK(detector.ContentRect() == cv::Rect(0, 0, 960, 540));
}

TEST_CASE("Nothing is removed beyond max_border_fraction, or with no frames", "[border]") {
  const cv::Mat photo = Grey("skimage_chelsea.png");
  // The picture is a small strip: each bar is 45% of the height.
  const cv::Mat padded = Pad(photo, 1100, 1100, 0, 0, 0);
  const cv::Rect found = DetectContentRect(padded);
  CHECK(found.height == padded.rows);
  BorderDetector empty(640, 480);
  CHECK(empty.frames() == 0);
  CHECK(empty.ContentRect() == cv::Rect(0, 0, 640, 480));
  CHECK(DetectContentRect(cv::Mat(300, 200, CV_8UC1, cv::Scalar(0))) == cv::Rect(0, 0, 200, 300));
}

TEST_CASE("A reduced frame gives the rectangle in full-size coordinates", "[border]") {
  const cv::Mat padded = Pad(Grey("skimage_coffee.png"), 120, 120, 0, 0, 0);  // 600x640
  cv::Mat reduced;
  cv::resize(padded, reduced, cv::Size(150, 160), 0, 0, cv::INTER_AREA);
  BorderDetector detector(padded.cols, padded.rows);
  detector.AddFrame(reduced);
  CHECK(Near(detector.ContentRect(), cv::Rect(0, 120, 600, 400), padded.size(), 0.02));
}

TEST_CASE("Cropping to the content rectangle makes a padded copy match by PDQ", "[border]") {
  const cv::Mat photo = Grey("skimage_camera.png");
  const signals::PdqBits original = Pdq(photo);
  const cv::Mat padded = JpegRoundTrip(Pad(photo, 120, 120, 0, 0, 0), 70);
  const cv::Rect found = DetectContentRect(padded);
  const int before = Distance(Pdq(padded), original);
  const int after = Distance(Pdq(padded(found)), original);
  WARN("PDQ distance letterboxed camera: uncropped " << before << ", cropped " << after);
  CHECK(after <= 31);

  const cv::Mat picture = CropToAspect(Grey("skimage_coffee.png"), 16.0 / 9.0);
  cv::Rect truth;
  const cv::Mat canvas = JpegRoundTrip(BlurredCanvas(picture, 720, 1280, &truth), 70);
  const cv::Rect canvas_found = DetectContentRect(canvas);
  const int canvas_before = Distance(Pdq(canvas), Pdq(picture));
  const int canvas_after = Distance(Pdq(canvas(canvas_found)), Pdq(picture));
  WARN("PDQ distance coffee on a blurred 9:16 canvas: uncropped " << canvas_before << ", cropped "
                                                                  << canvas_after);
  CHECK(canvas_after <= 31);
}

}  // namespace
}  // namespace hashwatch::media
