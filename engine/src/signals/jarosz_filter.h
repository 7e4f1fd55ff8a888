// Jarosz filter: PDQ's downsampling of a luma plane to 64x64.
//
// As the PDQ specification describes it (ThreatExchange pdq/README and
// hashing.pdf, "Jarosz filters"): a box mean along rows, then along columns,
// the pair applied twice, each window (dim + 127) / 128 pixels for that axis
// (about 1/128 of it, so two passes approximate a tent filter spanning one
// output cell), windows truncated at the borders; then the 64x64 grid sampled
// at ((i + 0.5) * dim / 64).
//
// Thread safety: pure function.
#ifndef HASHWATCH_SIGNALS_JAROSZ_FILTER_H_
#define HASHWATCH_SIGNALS_JAROSZ_FILTER_H_

#include <opencv2/core.hpp>

namespace hashwatch::signals {

inline constexpr int kPdqGrid = 64;

// `luma` is CV_32FC1 with both sides >= 1. Returns a 64x64 CV_32FC1.
cv::Mat JaroszDownsample(const cv::Mat& luma);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_JAROSZ_FILTER_H_
