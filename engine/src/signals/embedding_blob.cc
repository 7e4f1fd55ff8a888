#include "signals/embedding_blob.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::signals {
namespace {

constexpr uint8_t kMagic0 = 'H', kMagic1 = 'E';
constexpr uint8_t kFloat16 = 1;
constexpr size_t kHeader = 12;

}  // namespace

std::vector<uint8_t> PackEmbedding(uint32_t model, absl::Span<const float> vector) {
  const size_t d = std::min<size_t>(vector.size(), 65535);
  std::vector<uint8_t> out(kHeader + 2 * d);
  out[0] = kMagic0;
  out[1] = kMagic1;
  out[2] = kFloat16;
  out[4] = static_cast<uint8_t>(d & 0xff);
  out[5] = static_cast<uint8_t>((d >> 8) & 0xff);
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<uint8_t>((model >> (8 * i)) & 0xff);
  const cv::Mat f(1, static_cast<int>(d), CV_32F, const_cast<float*>(vector.data()));
  cv::Mat h(1, static_cast<int>(d), CV_16F, out.data() + kHeader);
  f.convertTo(h, CV_16F);
  return out;
}

absl::StatusOr<StoredEmbedding> UnpackEmbedding(absl::Span<const uint8_t> blob) {
  if (blob.size() < kHeader || blob[0] != kMagic0 || blob[1] != kMagic1 || blob[2] != kFloat16) {
    return absl::DataLossError("not a stored embedding");
  }
  const size_t d = blob[4] | (static_cast<size_t>(blob[5]) << 8);
  if (d == 0 || blob.size() != kHeader + 2 * d) {
    return absl::DataLossError(
        absl::StrCat("stored embedding of ", blob.size(), " bytes for dimension ", d));
  }
  StoredEmbedding e;
  for (int i = 0; i < 4; ++i) e.model |= static_cast<uint32_t>(blob[8 + i]) << (8 * i);
  e.vector.resize(d);
  std::vector<uint8_t> aligned(blob.begin() + kHeader, blob.end());  // CV_16F wants alignment
  const cv::Mat h(1, static_cast<int>(d), CV_16F, aligned.data());
  cv::Mat f(1, static_cast<int>(d), CV_32F, e.vector.data());
  h.convertTo(f, CV_32F);
  for (float x : e.vector) {
    if (!std::isfinite(x)) return absl::DataLossError("stored embedding holds a non-finite value");
  }
  return e;
}

}  // namespace hashwatch::signals
