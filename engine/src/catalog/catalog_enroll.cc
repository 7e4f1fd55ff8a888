// Catalog::EnrollFile / EnrollBytes: hash a submitted image or video and
// store its hashes (never its pixels) under a case, in one transaction.
#include <algorithm>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"
#include "hashwatch/signal_type.h"
#include "media/file_reader.h"
#include "signals/embedding_blob.h"

namespace hashwatch {
namespace {

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::Status ValidateRequest(const EnrollRequest& request) {
  if (absl::Status s = ValidateCaseId(request.case_id); !s.ok()) return s;
  if (absl::Status s = catalog::ValidateText("label", request.label); !s.ok()) return s;
  if (absl::Status s = ValidateOperatorName(request.operator_name); !s.ok()) return s;
  return catalog::ValidateText("source note", request.source_note);
}

// The part every enrolment shares, inside its transaction: the case exists
// (created if needed) and is open, its label is current; and the item of
// the case with the same SHA-256, if there is one.
absl::StatusOr<std::optional<int64_t>> PrepareCase(catalog::RowStore& store,
                                                   const EnrollRequest& request,
                                                   absl::Span<const uint8_t> sha256,
                                                   const std::string& now) {
  absl::StatusOr<std::optional<catalog::CaseRow>> existing = store.FindCase(request.case_id);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) {
    if (absl::Status s = store.CreateCase(request.case_id, request.label, now); !s.ok()) return s;
  } else if ((*existing)->withdrawn) {
    return absl::FailedPreconditionError(
        absl::StrCat("case '", request.case_id, "' was withdrawn on ", (*existing)->withdrawn_at,
                     "; nothing can be enrolled into it (use a new case id)"));
  } else if (!request.label.empty() && request.label != (*existing)->label) {
    if (absl::Status s = store.SetCaseLabel(request.case_id, request.label); !s.ok()) return s;
  }
  return store.FindItemBySha256(request.case_id, sha256);
}

// After the commit: make the item matchable. The directory first, so a
// matcher that finds the item in an index can always name its case.
absl::Status Publish(Catalog::Impl& impl, const EnrollRequest& request, int64_t item,
                     const catalog::IndexBatch& batch) {
  const uint32_t case_number = impl.directory.SetCase(request.case_id, /*withdrawn=*/false);
  if (absl::Status s = impl.directory.SetItem(item, case_number); !s.ok()) return s;
  if (absl::Status s = batch.ApplyTo(&impl.indexes); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("item ", item,
                                               " was enrolled but is not searchable until the "
                                               "catalog is opened again: ",
                                               s.message()));
  }
  return absl::OkStatus();
}

// An image's views (crops, the picture inside borders), or a video frame's
// (`frame` set: placed at its moment): stored, and indexed like the whole
// when their quality allows. The caller holds the write transaction.
absl::Status StoreViews(Catalog::Impl& impl, int64_t item, const std::vector<ImageView>& views,
                        const VideoFrame* frame, catalog::IndexBatch* batch) {
  std::optional<double> time, end;
  std::optional<int64_t> samples, number;
  if (frame != nullptr) {
    time = frame->start;
    end = frame->end;
    samples = frame->samples;
    number = frame->frame_number;
  }
  for (const ImageView& view : views) {
    absl::StatusOr<int64_t> v = impl.rows->InsertSignal({.item = item,
                                                         .type = catalog::kViewSignalType,
                                                         .frame_time = time,
                                                         .hash = view.pdq.hash,
                                                         .quality = view.pdq.quality,
                                                         .frame_end = end,
                                                         .frame_samples = samples,
                                                         .frame_number = number});
    if (!v.ok()) return v.status();
    if (impl.Indexable(view.pdq.quality)) {
      batch->Add(*v, item, view.pdq.hash, time, end, samples, /*view=*/true);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EnrollResult> StoreImage(Catalog::Impl& impl, const EnrollRequest& request,
                                        const ImageSignals& signals, size_t size) {
  absl::StatusOr<std::string> who = catalog::OperatorOrDefault(request.operator_name);
  if (!who.ok()) return who.status();
  const std::string& operator_name = *who;
  const Signal* pdq = signals.Find("pdq");
  const Signal* sha256 = signals.Find("sha256");
  if (pdq == nullptr || sha256 == nullptr || pdq->hash.size() != kPdqCodeBytes) {
    return absl::InternalError("enrolment hasher returned no PDQ or SHA-256");
  }
  EnrollResult result;
  result.pdq_hex = FindSignalType("pdq")->Format(pdq->hash);
  result.quality = pdq->quality;
  result.indexed = impl.Indexable(pdq->quality);

  std::lock_guard<std::mutex> lock(impl.write_mu);
  catalog::RowStore& store = *impl.rows;
  absl::StatusOr<catalog::WriteTransaction> txn = catalog::WriteTransaction::Begin(&store);
  if (!txn.ok()) return txn.status();
  const std::string now = catalog::UtcTimestampNow();
  absl::StatusOr<std::optional<int64_t>> same = PrepareCase(store, request, sha256->hash, now);
  if (!same.ok()) return same.status();
  if (same->has_value()) {
    if (absl::Status s = txn->Commit(); !s.ok()) return s;  // a label change, if any
    result.item = **same;
    result.already_enrolled = true;
    return result;
  }

  absl::StatusOr<int64_t> item = store.InsertItem({.case_id = request.case_id,
                                                   .media_kind = "image",
                                                   .sha256 = sha256->hash,
                                                   .size = static_cast<int64_t>(size),
                                                   .enrolled_at = now,
                                                   .source_note = request.source_note,
                                                   .duration = std::nullopt,
                                                   .sample_interval = std::nullopt});
  if (!item.ok()) return item.status();
  absl::StatusOr<int64_t> signal = store.InsertSignal({.item = *item,
                                                       .type = "pdq",
                                                       .frame_time = std::nullopt,
                                                       .hash = pdq->hash,
                                                       .quality = pdq->quality,
                                                       .frame_end = std::nullopt,
                                                       .frame_samples = std::nullopt,
                                                       .frame_number = std::nullopt});
  if (!signal.ok()) return signal.status();
  catalog::IndexBatch batch(impl.EmbeddingModelId());
  if (result.indexed) {
    batch.Add(*signal, *item, pdq->hash, std::nullopt, std::nullopt, std::nullopt);
  }
  // Its views (crops, the picture inside borders), indexed like the image's
  // own hash, and its local features for verification.
  if (absl::Status s = StoreViews(impl, *item, signals.views, nullptr, &batch); !s.ok()) return s;
  if (!signals.local_features.empty()) {
    absl::StatusOr<int64_t> f = store.InsertSignal({.item = *item,
                                                    .type = catalog::kLocalFeaturesType,
                                                    .frame_time = std::nullopt,
                                                    .hash = signals.local_features,
                                                    .quality = std::nullopt,
                                                    .frame_end = std::nullopt,
                                                    .frame_samples = std::nullopt,
                                                    .frame_number = std::nullopt});
    if (!f.ok()) return f.status();
  }
  // Its embedding, with the model's fingerprint (vectors of different
  // models are not comparable).
  if (!signals.embedding.empty() && impl.EmbeddingModelId() != 0) {
    const std::vector<uint8_t> blob =
        signals::PackEmbedding(impl.EmbeddingModelId(), signals.embedding);
    absl::StatusOr<int64_t> e = store.InsertSignal({.item = *item,
                                                    .type = signals::kEmbeddingSignalType,
                                                    .frame_time = std::nullopt,
                                                    .hash = blob,
                                                    .quality = std::nullopt,
                                                    .frame_end = std::nullopt,
                                                    .frame_samples = std::nullopt,
                                                    .frame_number = std::nullopt});
    if (!e.ok()) return e.status();
    // As stored (half precision), so that a reopened catalog searches the
    // same numbers.
    absl::StatusOr<signals::StoredEmbedding> stored = signals::UnpackEmbedding(blob);
    if (!stored.ok()) return stored.status();
    batch.AddEmbedding(*item, stored->vector);
  }
  const std::string details = catalog::AuditDetails()
                                  .Add("case", request.case_id)
                                  .Add("item", *item)
                                  .Add("sha256", Hex(sha256->hash))
                                  .Add("size", static_cast<int64_t>(size))
                                  .Add("source", request.source_note)
                                  .Add("pdq_quality", int64_t{pdq->quality})
                                  .Add("indexed", result.indexed)
                                  .Add("views", static_cast<int64_t>(signals.views.size()))
                                  .json();
  if (absl::Status s = store.AppendAudit("enroll", operator_name, now, details); !s.ok()) return s;
  if (absl::Status s = txn->Commit(); !s.ok()) return s;

  if (absl::Status s = Publish(impl, request, *item, batch); !s.ok()) return s;
  result.item = *item;
  result.views = static_cast<int64_t>(signals.views.size());
  return result;
}

absl::StatusOr<EnrollResult> StoreVideo(Catalog::Impl& impl, const EnrollRequest& request,
                                        const VideoSignals& video) {
  absl::StatusOr<std::string> who = catalog::OperatorOrDefault(request.operator_name);
  if (!who.ok()) return who.status();
  const std::string& operator_name = *who;
  const Signal* sha256 = video.FindDigest("sha256");
  const Signal* md5 = video.FindDigest("md5");
  if (sha256 == nullptr || md5 == nullptr) {
    return absl::InternalError("enrolment hasher returned no SHA-256 or MD5");
  }
  EnrollResult result;
  result.media = "video";
  result.duration = video.duration;
  result.frames = static_cast<int64_t>(video.frames.size());
  result.warnings = video.warnings;
  result.quality = video.MedianQuality();

  std::lock_guard<std::mutex> lock(impl.write_mu);
  catalog::RowStore& store = *impl.rows;
  absl::StatusOr<catalog::WriteTransaction> txn = catalog::WriteTransaction::Begin(&store);
  if (!txn.ok()) return txn.status();
  const std::string now = catalog::UtcTimestampNow();
  absl::StatusOr<std::optional<int64_t>> same = PrepareCase(store, request, sha256->hash, now);
  if (!same.ok()) return same.status();
  if (same->has_value()) {
    if (absl::Status s = txn->Commit(); !s.ok()) return s;
    result.item = **same;
    result.already_enrolled = true;
    return result;
  }
  absl::StatusOr<int64_t> item = store.InsertItem(
      {.case_id = request.case_id,
       .media_kind = "video",
       .sha256 = sha256->hash,
       .size = video.size,
       .enrolled_at = now,
       .source_note = request.source_note,
       .duration = video.duration,
       .sample_interval = video.sample_interval > 0 ? std::optional<double>(video.sample_interval)
                                                    : std::nullopt});
  if (!item.ok()) return item.status();
  catalog::IndexBatch batch;
  for (const VideoFrame& f : video.frames) {
    absl::StatusOr<int64_t> signal = store.InsertSignal({.item = *item,
                                                         .type = "pdq",
                                                         .frame_time = f.start,
                                                         .hash = f.pdq.hash,
                                                         .quality = f.pdq.quality,
                                                         .frame_end = f.end,
                                                         .frame_samples = f.samples,
                                                         .frame_number = f.frame_number});
    if (!signal.ok()) return signal.status();
    if (impl.Indexable(f.pdq.quality)) {
      batch.Add(*signal, *item, f.pdq.hash, f.start, f.end, f.samples);
      ++result.indexed_frames;
    }
    // The frame's views (crops of it), placed at the frame's moment.
    if (absl::Status s = StoreViews(impl, *item, f.views, &f, &batch); !s.ok()) return s;
    result.views += static_cast<int64_t>(f.views.size());
  }
  if (absl::StatusOr<int64_t> s = store.InsertSignal({.item = *item,
                                                      .type = "md5",
                                                      .frame_time = std::nullopt,
                                                      .hash = md5->hash,
                                                      .quality = std::nullopt,
                                                      .frame_end = std::nullopt,
                                                      .frame_samples = std::nullopt,
                                                      .frame_number = std::nullopt});
      !s.ok()) {
    return s.status();
  }
  result.indexed = result.indexed_frames > 0;
  const std::string details = catalog::AuditDetails()
                                  .Add("case", request.case_id)
                                  .Add("item", *item)
                                  .Add("media", std::string("video"))
                                  .Add("sha256", Hex(sha256->hash))
                                  .Add("md5", Hex(md5->hash))
                                  .Add("size", video.size)
                                  .Add("source", request.source_note)
                                  .Add("frames", result.frames)
                                  .Add("indexed_frames", result.indexed_frames)
                                  .Add("views", result.views)
                                  .Add("duration_ms", static_cast<int64_t>(video.duration * 1000))
                                  .json();
  if (absl::Status s = store.AppendAudit("enroll", operator_name, now, details); !s.ok()) return s;
  if (absl::Status s = txn->Commit(); !s.ok()) return s;
  if (absl::Status s = Publish(impl, request, *item, batch); !s.ok()) return s;
  result.item = *item;
  return result;
}

absl::Status Named(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

}  // namespace

absl::StatusOr<EnrollResult> Catalog::EnrollFile(const EnrollRequest& request,
                                                 const std::string& path) {
  EnrollRequest named = request;
  if (named.source_note.empty()) named.source_note = std::filesystem::path(path).filename();
  if (absl::Status s = ValidateRequest(named); !s.ok()) return s;
  const DecodeLimits& limits = impl_->options.limits;
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, std::max(limits.max_bytes, limits.max_video_bytes));
  if (!file.ok()) return Named(path, file.status());
  uint8_t head[16] = {};
  absl::StatusOr<size_t> n = file->ReadAt(0, head, sizeof(head));
  if (!n.ok()) return Named(path, n.status());
  if (SniffMediaKind({head, *n}) == MediaKind::kVideo) {
    absl::StatusOr<VideoSignals> video = impl_->enrol_hasher.video_hasher().HashFile(path);
    if (!video.ok()) return video.status();  // names the path
    return StoreVideo(*impl_, named, *video);
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = media::ReadFile(path, limits.max_bytes);
  if (!bytes.ok()) return Named(path, bytes.status());
  absl::StatusOr<ImageSignals> signals = impl_->enrol_hasher.image_hasher().HashBytes(*bytes);
  if (!signals.ok()) return Named(path, signals.status());
  return StoreImage(*impl_, named, *signals, bytes->size());
}

absl::StatusOr<EnrollResult> Catalog::EnrollBytes(const EnrollRequest& request,
                                                  absl::Span<const uint8_t> bytes) {
  if (absl::Status s = ValidateRequest(request); !s.ok()) return s;
  absl::StatusOr<MediaSignals> signals = impl_->enrol_hasher.HashBytes(bytes);
  if (!signals.ok()) return signals.status();
  if (signals->kind == MediaKind::kVideo) return StoreVideo(*impl_, request, signals->video);
  return StoreImage(*impl_, request, signals->image, bytes.size());
}

}  // namespace hashwatch
