// The stored form of an embedding (catalog signal type "embedding"): a
// 12-byte header ("HE", the element type, 0, the dimension as 16 bits, 0, 0,
// the model's 32-bit fingerprint; little-endian) then the vector in IEEE half precision, which
// keeps cosine similarities to within ~1e-3 (docs/embedding.md) at half the bytes.
//
// Thread safety: pure functions.
#ifndef HASHWATCH_SIGNALS_EMBEDDING_BLOB_H_
#define HASHWATCH_SIGNALS_EMBEDDING_BLOB_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::signals {

inline constexpr char kEmbeddingSignalType[] = "embedding";

struct StoredEmbedding {
  uint32_t model = 0;  // EmbeddingModel::fingerprint()
  std::vector<float> vector;
};

// Vectors longer than 65535 are cut (no model gives those).
std::vector<uint8_t> PackEmbedding(uint32_t model, absl::Span<const float> vector);
// DataLoss for a blob that is not one PackEmbedding wrote.
absl::StatusOr<StoredEmbedding> UnpackEmbedding(absl::Span<const uint8_t> blob);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_EMBEDDING_BLOB_H_
