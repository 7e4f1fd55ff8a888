// FindPictureRects: pictures shown inside a larger canvas, found as
// axis-aligned rectangles with straight edges (a screenshot of an app, a
// chat or a web page that displays a photo; a photo pasted onto a poster).
// The caller hashes each rectangle on its own, so that the picture matches
// its original although the screenshot as a whole does not.
//
// How: two sources of candidate rectangles. (1) Sides against a flat
// surround: a picture on a page or in a chat bubble meets something flat
// along each side, even where the two differ by a few grey levels (a photo's
// white background on a light page); runs of such steps along rows and
// columns, paired (top with bottom, left with right) and closed by the other
// two sides, make a rectangle. (2) Canny edges of the luma, contours, and
// each contour's bounding box kept when edges run along most of all four of
// its sides (a photo's frame against a busier background). Each candidate is
// kept when it holds 8-90% of the canvas area, is not a thin strip, and has
// texture inside (a flat panel of the app is not a picture); its sides are
// then moved onto the strongest grey-level step within 3 px (a contour runs
// a pixel or two outside the picture). Near-duplicates (the same frame found
// twice) are dropped; nested rectangles are kept (a panel and the photo
// inside it); the largest come first.
//
// Thread safety: pure function.
#ifndef HASHWATCH_MEDIA_CANVAS_DETECTOR_H_
#define HASHWATCH_MEDIA_CANVAS_DETECTOR_H_

#include <opencv2/core.hpp>
#include <vector>

namespace hashwatch::media {

// `luma`: CV_32FC1 (0..255) or CV_8UC1. Rectangles in luma's pixels.
std::vector<cv::Rect> FindPictureRects(const cv::Mat& luma, int max_rects);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_CANVAS_DETECTOR_H_
