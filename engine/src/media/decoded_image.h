// DecodedImage: the pixels the signal stage works on.
//
// Luma is always kept: PDQ, pHash, views and local features are defined on
// it. A small colour copy is kept only for the embedding, which needs colour. Plain data;
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
  // CV_8UC3 in OpenCV's B, G, R order, orientation applied, alpha composited
  // over black as for luma; only when DecodeImage was asked for colour
  // (the embedding signal), and then small (see its colour_side).
  cv::Mat colour;
  // Size of the full-resolution image after orientation.
  int width = 0;
  int height = 0;
  media::ImageFormat format = media::ImageFormat::kJpeg;
};

}  // namespace hashwatch

#endif  // HASHWATCH_MEDIA_DECODED_IMAGE_H_
