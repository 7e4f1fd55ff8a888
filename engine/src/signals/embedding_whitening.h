// EmbeddingWhitening: PCA whitening of embeddings, learned from a set of
// them: x -> L2(P^T (x - mean)), P the `dimensions` leading eigenvectors of
// the covariance, each divided by its eigenvalue ^ `power` (0.5: full
// whitening). Raw CNN activations are all positive and share a large common
// component, so unrelated photos have cosines of 0.3-0.99; centred and
// whitened, they spread around 0 and a copy stands out
// (docs/embedding.md has the measurements).
//
// Thread safety: immutable after Learn; Apply is safe from many threads.
#ifndef HASHWATCH_SIGNALS_EMBEDDING_WHITENING_H_
#define HASHWATCH_SIGNALS_EMBEDDING_WHITENING_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::signals {

class EmbeddingWhitening {
 public:
  // `rows`: n vectors of `dimension` floats. InvalidArgument unless
  // 0 < dimensions <= min(dimension, n - 1).
  static absl::StatusOr<EmbeddingWhitening> Learn(absl::Span<const float> rows, int dimension,
                                                  int dimensions, double power);

  int input_dimension() const { return input_; }
  int output_dimension() const { return output_; }
  // The whitened, L2-normalised vector (all zeros stays zeros).
  std::vector<float> Apply(absl::Span<const float> v) const;

 private:
  int input_ = 0, output_ = 0;
  std::vector<float> mean_;        // input_
  std::vector<float> projection_;  // output_ rows of input_
};

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_EMBEDDING_WHITENING_H_
