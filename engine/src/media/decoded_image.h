// DecodedImage: the pixels the signal stage works on.
//
// Only luma is kept: every image signal so far (PDQ, pHash) is defined on
// luma, and keeping one float plane avoids converting twice. Plain data;
// safe to read from many threads.
#ifndef HASHWATCH_MEDIA_DECODED_IMAGE_H_
#define HASHWATCH_MEDIA_DECODED_IMAGE_H_

#include <opencv2/core.hpp>

#include "media/image_probe.h"

namespace hashwatch {

struct DecodedImage {
  // CV_32FC1, values 0..255, Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601,
  // the weights PDQ specifies), EXIF orientation applied. May be smaller than
  // the image (see DecodeImage's working_side).
  cv::Mat luma;
  // Size of the full-resolution image after orientation.
  int width = 0;
  int height = 0;
  media::ImageFormat format = media::ImageFormat::kJpeg;
};

}  // namespace hashwatch

#endif  // HASHWATCH_MEDIA_DECODED_IMAGE_H_
