// BorderDetector: the rectangle of real picture inside a padded frame, so that
// the caller can crop to it before hashing and a padded copy hashes like the
// original (black bars defeat framewise PDQ; design notes section 4).
//
// Two kinds of padding are removed, each side decided on its own:
//  - Uniform borders (letterbox, pillarbox, canvas of any flat colour, with
//    codec noise and a soft 1-3 px edge): rows/columns at the edge whose every
//    pixel stays at one level in every frame, ending in a clear step to picture.
//  - Blurred fill: the "vertical video" re-upload, a picture centred on a
//    larger canvas filled with a blurred enlarged copy of itself. Bands on BOTH
//    opposite sides whose texture (second differences, summed over all
//    frames) is far below the picture's, each ending in a seam (a straight
//    line where the level jumps) or a sharp rise in texture. When both bands
//    end in a seam (a full-width jump, fixed over the video, several times
//    the fill's line-to-line change and above the picture's own jumps, after
//    a band whose mean texture is under the ratio), each is removed as found,
//    centred or not: this finds ffmpeg canvases whose fill keeps coarse
//    structure next to a smooth part of the picture. Otherwise each band is
//    removed when the two agree within 2 lines (a centred layout), else the
//    smaller from both, so that a low-texture part of the picture next to
//    the fill (a sky) is never cut.
// Precision comes first: when in doubt nothing is removed, since cutting real
// picture costs more matches than leaving a thin border. The rectangle may keep
// a few pixels of padding (a soft or JPEG-ringing edge, one line of fill).
//
// Frames are reduced by averaging whole blocks of pixels into two profiles,
// one per axis: lines across the axis (1 pixel thick up to 4 x analysis_side
// pixels of axis, so edges are placed to the pixel) by positions along them
// (each averaging about length / analysis_side pixels, which brings codec
// noise down). Only sums over frames are kept: memory is constant (~3 MB for
// 720p) and AddFrame reads each pixel about once: ~7 M instructions, 0.6-0.7
// ms CPU for a 1280x720 frame (measured on a busy 2-core machine; a decoder
// that hands over a reduced frame, <= 256 px, pays a tenth of that).
// ContentRect() costs a few ms at 720p (allocations and per-line scans): call
// it once per video, not per frame.
//
// Thread safety: not thread-safe; use one detector per video (or image).
// ContentRect() is const and may be called between AddFrame calls.
#ifndef HASHWATCH_MEDIA_BORDER_DETECTOR_H_
#define HASHWATCH_MEDIA_BORDER_DETECTOR_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace hashwatch::media {

struct BorderOptions {
  // Most that may be removed from ONE side, as a fraction of that axis. 0.4
  // allows a 16:9 picture centred on a 9:16 canvas (34% per side) and a 21:9
  // film on 9:16 (38%), and keeps at least 20% of every axis. A side whose
  // padding seems to reach further is left alone (the frame is mostly flat or
  // blurred: an empty scene, not padding).
  double max_border_fraction = 0.4;
  // Positions along each line: analysis_side to 2 x analysis_side - 1 (an
  // axis shorter than this is used pixel by pixel). 128 averages a 5-10 pixel
  // run of a 720p frame per position (3 samples across a line, the whole run
  // across columns), which brings JPEG/H.264 noise down so the flatness tests
  // can be tight, and still resolves the shape of an edge (a straight bar
  // against a silhouette).
  int analysis_side = 128;
  // Grey levels (0..255) a uniform border position may differ from the border's
  // level, in space and over time (temporal standard deviation). 6 passes
  // codec noise after averaging and fails the lighting gradient of a real
  // wall or sky over a whole row.
  double level_tolerance = 6.0;
  // A band is blurred fill when every line of it has less than this fraction
  // of the texture (mean |second difference| along the line) of the picture's
  // central lines. Blurred fill (sigma 20 of an enlarged copy, with or
  // without JPEG) measured 0.02-0.06; the 1/4-1/6 range leaves room for
  // lighter blurs. Plain skies can be as low (0.08 measured), which is why a
  // band also needs a sharp step and a partner band on the opposite side.
  double fill_energy_ratio = 0.2;
  // Off: only uniform borders are removed.
  bool detect_blurred_fill = true;
  // A uniform border must end in a clear step into picture (see the .cc).
  // Off: every uniform line at the edge goes, however the picture begins
  // (ImageMagick's -trim). For a still image hashed both whole and trimmed
  // (signals/image_views.h) a wrong trim costs nothing, while the step rule
  // keeps a black bar next to a dark picture (a rock in shadow).
  bool uniform_needs_step = true;
};

class BorderDetector {
 public:
  // `width` x `height`: the size of the frames (after orientation) in whose
  // coordinates ContentRect() answers. Sizes under 1 give an empty detector
  // whose ContentRect() is empty.
  explicit BorderDetector(int width, int height, BorderOptions options = {});

  // Adds one frame: CV_8UC1 or CV_32FC1 (values 0..255) luma. Normally
  // width x height; a frame of any other size is taken as the whole frame
  // scaled (e.g. a reduced frame the decoder made cheaply) and resized with
  // cv::resize first (slower; edges no finer than that frame's pixels).
  // Empty frames and other types are ignored (not counted).
  void AddFrame(const cv::Mat& luma);

  // The content rectangle in width x height coordinates: the whole frame when
  // nothing should be removed or no frame was added.
  cv::Rect ContentRect() const;

  // Frames added so far.
  int frames() const { return frames_; }

 private:
  // Evidence for one axis, as lines across it (rows for top/bottom, columns
  // for left/right) by positions along them. A line is `fine` pixels thick
  // (1 pixel up to 4 x analysis_side pixels, so edges are placed to the
  // pixel); a position averages `coarse` pixels along the line, which brings
  // codec noise down. Summed over frames (CV_64FC1, lines x positions): level,
  // squared level, |second difference| along the line (texture) and |jump|
  // from the previous line (across).
  struct Axis {
    int length = 0;           // pixels
    int fine = 1;             // pixels per line
    int coarse = 1;           // pixels per position (a multiple of fine)
    bool transposed = false;  // maps stored positions x lines
    cv::Mat sum, sum_sq, texture, across;
    cv::Mat frame;  // scratch: the current frame's line x position means, CV_32FC1
  };
  void Accumulate(Axis& axis);

  int width_;
  int height_;
  BorderOptions options_;
  int frames_ = 0;
  Axis rows_;                       // lines are pixel rows, positions run along x
  Axis columns_;                    // lines are pixel columns, positions run along y
  cv::Mat reduced_;                 // scratch: a frame of another size on the fine grid
  std::vector<uint32_t> sums_u32_;  // scratch for the block means
  std::vector<float> sums_f32_;
};

// One still image: a BorderDetector fed this one frame.
cv::Rect DetectContentRect(const cv::Mat& luma, const BorderOptions& options = {});

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_BORDER_DETECTOR_H_
