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
//    opposite sides whose gradient energy (summed over all frames) is far
//    below the picture's, each ending in a sharp step; the smaller of the two
//    bands is removed from both sides (a centred layout), so that a low-texture
//    part of the picture next to the fill (a sky) is never cut.
// Precision comes first: when in doubt nothing is removed, since cutting real
// picture costs more matches than leaving a thin border. The rectangle may keep
// up to about one analysis cell (1/analysis_side of an axis) of padding.
//
// Frames are reduced to an analysis grid of at most analysis_side cells per
// axis (area averaging) and only per-cell sums are kept, so memory is
// constant and AddFrame costs about a resize of the frame.
//
// Thread safety: not thread-safe; use one detector per video (or image).
// ContentRect() is const and may be called between AddFrame calls.
#ifndef HASHWATCH_MEDIA_BORDER_DETECTOR_H_
#define HASHWATCH_MEDIA_BORDER_DETECTOR_H_

#include <opencv2/core.hpp>

namespace hashwatch::media {

struct BorderOptions {
  // Most that may be removed from ONE side, as a fraction of that axis. 0.4
  // allows a 16:9 picture centred on a 9:16 canvas (34% per side) and a 21:9
  // film on 9:16 (38%), and keeps at least 20% of every axis. A side whose
  // padding seems to reach further is left alone (the frame is mostly flat or
  // blurred: an empty scene, not padding).
  double max_border_fraction = 0.4;
  // Cells per axis of the analysis grid (an axis shorter than this is used as
  // is). 128 cells make one cell 0.8% of an axis, inside the 2% accuracy the
  // hashes need, and average 5-10 pixels of a 720p frame per cell, which
  // brings JPEG/H.264 noise down to ~1 grey level so the flatness tests can be
  // tight.
  int analysis_side = 128;
  // Grey levels (0..255) a uniform border cell may differ from the border's
  // level, in space and over time (temporal standard deviation). 6 passes
  // codec noise after averaging and fails the lighting gradient of a real
  // wall or sky over a whole row.
  double level_tolerance = 6.0;
  // A band is blurred fill when every row (column) of it has less than this
  // fraction of the gradient energy of the picture's central rows (columns).
  // A sigma-20 blur of an enlarged copy measured 0.02-0.1 of the picture;
  // ordinary low-texture picture regions sit at 0.2-0.5 (within the 1/4-1/6
  // range found safe for this test).
  double fill_energy_ratio = 0.2;
  // Off: only uniform borders are removed.
  bool detect_blurred_fill = true;
};

class BorderDetector {
 public:
  // `width` x `height`: the size of the frames (after orientation) in whose
  // coordinates ContentRect() answers. Sizes under 1 give an empty detector
  // whose ContentRect() is empty.
  explicit BorderDetector(int width, int height, BorderOptions options = {});

  // Adds one frame: CV_8UC1 or CV_32FC1 (values 0..255) luma. Normally
  // width x height; a frame of any other size is taken as the whole frame
  // scaled (e.g. a reduced frame the decoder made cheaply), which keeps the
  // answer right as long as it has at least analysis_side pixels per axis.
  // Empty frames and other types are ignored (not counted).
  void AddFrame(const cv::Mat& luma);

  // The content rectangle in width x height coordinates: the whole frame when
  // nothing should be removed or no frame was added.
  cv::Rect ContentRect() const;

  // Frames added so far.
  int frames() const { return frames_; }

 private:
  int width_;
  int height_;
  BorderOptions options_;
  cv::Size grid_;  // analysis grid, cells
  int frames_ = 0;
  // Per cell, summed over frames (CV_64FC1, grid_ sized): level, squared
  // level, and |difference| to the right and to the lower neighbour.
  cv::Mat sum_;
  cv::Mat sum_sq_;
  cv::Mat grad_x_;
  cv::Mat grad_y_;
  cv::Mat small_;  // scratch: an 8-bit frame on the grid
  cv::Mat cells_;  // scratch: the current frame on the grid, CV_32FC1
};

// One still image: a BorderDetector fed this one frame.
cv::Rect DetectContentRect(const cv::Mat& luma, const BorderOptions& options = {});

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_BORDER_DETECTOR_H_
