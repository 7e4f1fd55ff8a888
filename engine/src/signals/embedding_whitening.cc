#include "signals/embedding_whitening.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::signals {

absl::StatusOr<EmbeddingWhitening> EmbeddingWhitening::Learn(absl::Span<const float> rows,
                                                             int dimension, int dimensions,
                                                             double power) {
  if (dimension <= 0 || rows.size() % static_cast<size_t>(dimension) != 0) {
    return absl::InvalidArgumentError("whitening: rows do not match the dimension");
  }
  const int n = static_cast<int>(rows.size() / static_cast<size_t>(dimension));
  if (dimensions <= 0 || dimensions > dimension || dimensions > n - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "whitening: cannot learn ", dimensions, " dimensions from ", n, " vectors of ", dimension));
  }
  const cv::Mat data(n, dimension, CV_32F, const_cast<float*>(rows.data()));
  cv::Mat covariance, mean;
  cv::calcCovarMatrix(data, covariance, mean, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE,
                      CV_64F);
  cv::Mat eigenvalues, eigenvectors;  // descending; eigenvectors as rows
  cv::eigen(covariance, eigenvalues, eigenvectors);
  EmbeddingWhitening w;
  w.input_ = dimension;
  w.output_ = dimensions;
  w.mean_.resize(static_cast<size_t>(dimension));
  for (int i = 0; i < dimension; ++i)
    w.mean_[static_cast<size_t>(i)] = static_cast<float>(mean.at<double>(0, i));
  w.projection_.resize(static_cast<size_t>(dimensions) * static_cast<size_t>(dimension));
  for (int r = 0; r < dimensions; ++r) {
    const double scale = 1.0 / std::pow(std::max(eigenvalues.at<double>(r), 1e-9), power);
    for (int c = 0; c < dimension; ++c) {
      w.projection_[static_cast<size_t>(r) * static_cast<size_t>(dimension) +
                    static_cast<size_t>(c)] =
          static_cast<float>(eigenvectors.at<double>(r, c) * scale);
    }
  }
  return w;
}

std::vector<float> EmbeddingWhitening::Apply(absl::Span<const float> v) const {
  std::vector<float> out(static_cast<size_t>(output_), 0.0f);
  if (v.size() != static_cast<size_t>(input_)) return out;
  std::vector<float> centred(v.begin(), v.end());
  for (size_t i = 0; i < centred.size(); ++i) centred[i] -= mean_[i];
  double norm = 0;
  for (int r = 0; r < output_; ++r) {
    const float* row = projection_.data() + static_cast<size_t>(r) * static_cast<size_t>(input_);
    double dot = 0;
    for (int c = 0; c < input_; ++c)
      dot += static_cast<double>(row[c]) * centred[static_cast<size_t>(c)];
    out[static_cast<size_t>(r)] = static_cast<float>(dot);
    norm += dot * dot;
  }
  if (norm > 0) {
    const double inv = 1.0 / std::sqrt(norm);
    for (float& x : out) x = static_cast<float>(x * inv);
  }
  return out;
}

}  // namespace hashwatch::signals
