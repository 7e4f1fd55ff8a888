// CBOR messages between an isolating parent and its hash workers.
#include "isolation/media_wire.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace hashwatch::isolation {
namespace {

using json = nlohmann::json;

json Binary(const std::vector<uint8_t>& bytes) {
  return json::binary(std::vector<uint8_t>(bytes));
}

std::vector<uint8_t> GetBinary(const json& j) {
  if (!j.is_binary()) throw std::runtime_error("expected bytes");
  return std::vector<uint8_t>(j.get_binary().begin(), j.get_binary().end());
}

json EncodeSignal(const Signal& s) {
  json variants = json::array();
  for (const auto& v : s.variants) variants.push_back(Binary(v));
  return {{"type", s.type},
          {"hash", Binary(s.hash)},
          {"quality", s.quality},
          {"variants", std::move(variants)}};
}

Signal DecodeSignal(const json& j) {
  Signal s;
  s.type = j.at("type").get<std::string>();
  s.hash = GetBinary(j.at("hash"));
  s.quality = j.at("quality").get<int>();
  for (const json& v : j.at("variants")) s.variants.push_back(GetBinary(v));
  return s;
}

json EncodeLimits(const DecodeLimits& l) {
  return {{"max_pixels", l.max_pixels},
          {"max_bytes", l.max_bytes},
          {"max_video_bytes", l.max_video_bytes},
          {"max_video_seconds", l.max_video_seconds},
          {"max_video_frames", l.max_video_frames},
          {"max_decode_seconds", l.max_decode_seconds}};
}

DecodeLimits DecodeLimitsFrom(const json& j) {
  DecodeLimits l;
  l.max_pixels = j.at("max_pixels").get<int64_t>();
  l.max_bytes = j.at("max_bytes").get<int64_t>();
  l.max_video_bytes = j.at("max_video_bytes").get<int64_t>();
  l.max_video_seconds = j.at("max_video_seconds").get<double>();
  l.max_video_frames = j.at("max_video_frames").get<int64_t>();
  l.max_decode_seconds = j.at("max_decode_seconds").get<double>();
  return l;
}

// An image's or a video frame's views.
json EncodeViews(const std::vector<ImageView>& list) {
  json views = json::array();
  for (const ImageView& v : list) {
    views.push_back({{"kind", v.kind},
                     {"x", v.x},
                     {"y", v.y},
                     {"width", v.width},
                     {"height", v.height},
                     {"rotation", v.rotation},
                     {"pdq", EncodeSignal(v.pdq)}});
  }
  return views;
}

std::vector<ImageView> DecodeViews(const json& j) {
  std::vector<ImageView> out;
  for (const json& v : j) {
    ImageView view;
    view.kind = v.at("kind").get<std::string>();
    view.x = v.at("x").get<int>();
    view.y = v.at("y").get<int>();
    view.width = v.at("width").get<int>();
    view.height = v.at("height").get<int>();
    view.rotation = v.at("rotation").get<double>();
    view.pdq = DecodeSignal(v.at("pdq"));
    out.push_back(std::move(view));
  }
  return out;
}

json EncodeViewOptions(const ViewOptions& v) {
  return {v.border, v.canvas, v.regions, v.rotations};
}

ViewOptions DecodeViewOptions(const json& j) {
  return {.border = j.at(0).get<bool>(),
          .canvas = j.at(1).get<bool>(),
          .regions = j.at(2).get<bool>(),
          .rotations = j.at(3).get<bool>()};
}

json EncodeImage(const ImageSignals& s) {
  json signals = json::array();
  for (const Signal& x : s.signals) signals.push_back(EncodeSignal(x));
  json views = EncodeViews(s.views);
  std::vector<uint8_t> embedding(s.embedding.size() * sizeof(float));
  if (!embedding.empty()) std::memcpy(embedding.data(), s.embedding.data(), embedding.size());
  return {{"width", s.width},
          {"height", s.height},
          {"signals", std::move(signals)},
          {"views", std::move(views)},
          {"local_features", Binary(s.local_features)},
          {"embedding", Binary(embedding)}};
}

ImageSignals DecodeImage(const json& j) {
  ImageSignals s;
  s.width = j.at("width").get<int>();
  s.height = j.at("height").get<int>();
  for (const json& x : j.at("signals")) s.signals.push_back(DecodeSignal(x));
  s.views = DecodeViews(j.at("views"));
  s.local_features = GetBinary(j.at("local_features"));
  const std::vector<uint8_t> embedding = GetBinary(j.at("embedding"));
  if (embedding.size() % sizeof(float) != 0) throw std::runtime_error("embedding size");
  s.embedding.resize(embedding.size() / sizeof(float));
  if (!embedding.empty()) std::memcpy(s.embedding.data(), embedding.data(), embedding.size());
  return s;
}

json EncodeVideo(const VideoSignals& v) {
  json frames = json::array(), digests = json::array();
  for (const VideoFrame& f : v.frames) {
    frames.push_back({{"start", f.start},
                      {"end", f.end},
                      {"samples", f.samples},
                      {"frame_number", f.frame_number},
                      {"pdq", EncodeSignal(f.pdq)},
                      {"views", EncodeViews(f.views)}});
  }
  for (const Signal& d : v.digests) digests.push_back(EncodeSignal(d));
  return {{"container", v.container},
          {"codec", v.codec},
          {"width", v.width},
          {"height", v.height},
          {"rotation", v.rotation},
          {"frame_rate", v.frame_rate},
          {"duration", v.duration},
          {"sample_interval", v.sample_interval},
          {"size", v.size},
          {"sampled", v.sampled},
          {"decoded_frames", v.decoded_frames},
          {"corrupt_packets", v.corrupt_packets},
          {"truncated", v.truncated},
          {"crop", {v.crop_x, v.crop_y, v.crop_width, v.crop_height}},
          {"frames", std::move(frames)},
          {"digests", std::move(digests)},
          {"warnings", v.warnings}};
}

VideoSignals DecodeVideo(const json& j) {
  VideoSignals v;
  v.container = j.at("container").get<std::string>();
  v.codec = j.at("codec").get<std::string>();
  v.width = j.at("width").get<int>();
  v.height = j.at("height").get<int>();
  v.rotation = j.at("rotation").get<int>();
  v.frame_rate = j.at("frame_rate").get<double>();
  v.duration = j.at("duration").get<double>();
  v.sample_interval = j.at("sample_interval").get<double>();
  v.size = j.at("size").get<int64_t>();
  v.sampled = j.at("sampled").get<int64_t>();
  v.decoded_frames = j.at("decoded_frames").get<int64_t>();
  v.corrupt_packets = j.at("corrupt_packets").get<int64_t>();
  v.truncated = j.at("truncated").get<bool>();
  const json& crop = j.at("crop");
  v.crop_x = crop.at(0).get<int>();
  v.crop_y = crop.at(1).get<int>();
  v.crop_width = crop.at(2).get<int>();
  v.crop_height = crop.at(3).get<int>();
  for (const json& f : j.at("frames")) {
    VideoFrame frame;
    frame.start = f.at("start").get<double>();
    frame.end = f.at("end").get<double>();
    frame.samples = f.at("samples").get<int>();
    frame.frame_number = f.at("frame_number").get<int64_t>();
    frame.pdq = DecodeSignal(f.at("pdq"));
    frame.views = DecodeViews(f.at("views"));
    v.frames.push_back(std::move(frame));
  }
  for (const json& d : j.at("digests")) v.digests.push_back(DecodeSignal(d));
  v.warnings = j.at("warnings").get<std::vector<std::string>>();
  return v;
}

json EncodePixels(const DecodedImage& image) {
  const cv::Mat luma = image.luma.isContinuous() ? image.luma : image.luma.clone();
  std::vector<uint8_t> data(luma.total() * luma.elemSize());
  if (!data.empty()) std::memcpy(data.data(), luma.data, data.size());
  return {
      {"width", image.width}, {"height", image.height}, {"format", static_cast<int>(image.format)},
      {"rows", luma.rows},    {"cols", luma.cols},      {"luma", json::binary(std::move(data))}};
}

std::shared_ptr<const DecodedImage> DecodePixels(const json& j) {
  auto image = std::make_shared<DecodedImage>();
  image->width = j.at("width").get<int>();
  image->height = j.at("height").get<int>();
  image->format = static_cast<media::ImageFormat>(j.at("format").get<int>());
  const int rows = j.at("rows").get<int>(), cols = j.at("cols").get<int>();
  const std::vector<uint8_t> data = GetBinary(j.at("luma"));
  if (rows < 0 || cols < 0 || rows > 1 << 14 || cols > 1 << 14 ||
      data.size() != static_cast<size_t>(rows) * cols * sizeof(float)) {
    throw std::runtime_error("pixel size");
  }
  image->luma.create(rows, cols, CV_32FC1);
  if (!data.empty()) std::memcpy(image->luma.data, data.data(), data.size());
  return image;
}

std::vector<uint8_t> ToCbor(const json& j) {
  return json::to_cbor(j);
}

json FromCbor(const std::vector<uint8_t>& bytes) {
  return json::from_cbor(bytes);
}

absl::Status BadMessage(const char* what, const std::exception& e) {
  return absl::DataLossError(absl::StrCat("malformed ", what, " from a hash worker: ", e.what()));
}

}  // namespace

std::vector<uint8_t> EncodeConfig(const WorkerConfig& c) {
  json embedding = nullptr;
  if (c.embedding.has_value()) {
    const EmbeddingModelOptions& e = *c.embedding;
    embedding = {{"onnx_path", e.onnx_path},
                 {"name", e.name},
                 {"input_width", e.input_width},
                 {"input_height", e.input_height},
                 {"rgb", e.rgb},
                 {"scale", e.scale},
                 {"mean", e.mean},
                 {"std", e.std},
                 {"output", e.output},
                 {"gem_p", e.gem_p}};
  }
  return ToCbor({{"image",
                  {{"signals", c.image.signals},
                   {"variants", c.image.variants},
                   {"views", EncodeViewOptions(c.image.views)},
                   {"local_features", c.image.local_features},
                   {"limits", EncodeLimits(c.image.limits)}}},
                 {"video",
                  {{"sample_interval", c.video.sample_interval},
                   {"segment_distance", c.video.segment_distance},
                   {"remove_borders", c.video.remove_borders},
                   {"border_window", c.video.border_window},
                   {"variants", c.video.variants},
                   {"views", EncodeViewOptions(c.video.views)},
                   {"view_interval", c.video.view_interval},
                   {"digests", c.video.digests},
                   {"limits", EncodeLimits(c.video.limits)}}},
                 {"embedding", std::move(embedding)},
                 {"verification_pixels", c.verification_pixels}});
}

absl::StatusOr<WorkerConfig> DecodeConfig(const std::vector<uint8_t>& bytes) {
  try {
    const json j = FromCbor(bytes);
    WorkerConfig c;
    const json& image = j.at("image");
    c.image.signals = image.at("signals").get<std::vector<std::string>>();
    c.image.variants = image.at("variants").get<bool>();
    c.image.views = DecodeViewOptions(image.at("views"));
    c.image.local_features = image.at("local_features").get<bool>();
    c.image.limits = DecodeLimitsFrom(image.at("limits"));
    const json& video = j.at("video");
    c.video.sample_interval = video.at("sample_interval").get<double>();
    c.video.segment_distance = video.at("segment_distance").get<int>();
    c.video.remove_borders = video.at("remove_borders").get<bool>();
    c.video.border_window = video.at("border_window").get<int>();
    c.video.variants = video.at("variants").get<bool>();
    c.video.views = DecodeViewOptions(video.at("views"));
    c.video.view_interval = video.at("view_interval").get<double>();
    c.video.digests = video.at("digests").get<std::vector<std::string>>();
    c.video.limits = DecodeLimitsFrom(video.at("limits"));
    if (const json& e = j.at("embedding"); !e.is_null()) {
      EmbeddingModelOptions m;
      m.onnx_path = e.at("onnx_path").get<std::string>();
      m.name = e.at("name").get<std::string>();
      m.input_width = e.at("input_width").get<int>();
      m.input_height = e.at("input_height").get<int>();
      m.rgb = e.at("rgb").get<bool>();
      m.scale = e.at("scale").get<double>();
      m.mean = e.at("mean").get<std::array<double, 3>>();
      m.std = e.at("std").get<std::array<double, 3>>();
      m.output = e.at("output").get<std::string>();
      m.gem_p = e.at("gem_p").get<double>();
      c.embedding = std::move(m);
    }
    c.verification_pixels = j.at("verification_pixels").get<bool>();
    return c;
  } catch (const std::exception& e) {
    return BadMessage("configuration", e);
  }
}

std::vector<uint8_t> EncodeReady(const absl::Status& status) {
  return ToCbor(
      {{"ready", static_cast<int>(status.code())}, {"message", std::string(status.message())}});
}

absl::Status DecodeReady(const std::vector<uint8_t>& bytes) {
  try {
    const json j = FromCbor(bytes);
    const int code = j.at("ready").get<int>();
    if (code < 0 || code > 16) throw std::runtime_error("status code");
    return absl::Status(static_cast<absl::StatusCode>(code), j.at("message").get<std::string>());
  } catch (const std::exception& e) {
    return BadMessage("greeting", e);
  }
}

std::vector<uint8_t> EncodeRequest(const std::string& path) {
  return ToCbor({{"path", path}});
}

absl::StatusOr<std::string> DecodeRequest(const std::vector<uint8_t>& bytes) {
  try {
    return FromCbor(bytes).at("path").get<std::string>();
  } catch (const std::exception& e) {
    return BadMessage("request", e);
  }
}

std::vector<uint8_t> EncodeAnswer(const absl::StatusOr<HashedMedia>& answer) {
  if (!answer.ok()) {
    return ToCbor({{"code", static_cast<int>(answer.status().code())},
                   {"message", std::string(answer.status().message())}});
  }
  const MediaSignals& s = answer->signals;
  json j = {{"code", 0}, {"kind", s.kind == MediaKind::kVideo ? "video" : "image"}};
  if (s.kind == MediaKind::kVideo) {
    j["video"] = EncodeVideo(s.video);
  } else {
    j["image"] = EncodeImage(s.image);
  }
  if (answer->pixels != nullptr) j["pixels"] = EncodePixels(*answer->pixels);
  return ToCbor(j);
}

absl::StatusOr<HashedMedia> DecodeAnswer(const std::vector<uint8_t>& bytes) {
  try {
    const json j = FromCbor(bytes);
    const int code = j.at("code").get<int>();
    if (code != 0) {
      if (code < 1 || code > 16) throw std::runtime_error("status code");
      return absl::Status(static_cast<absl::StatusCode>(code), j.at("message").get<std::string>());
    }
    HashedMedia media;
    const std::string kind = j.at("kind").get<std::string>();
    if (kind == "video") {
      media.signals.kind = MediaKind::kVideo;
      media.signals.video = DecodeVideo(j.at("video"));
    } else if (kind == "image") {
      media.signals.kind = MediaKind::kImage;
      media.signals.image = DecodeImage(j.at("image"));
    } else {
      throw std::runtime_error("media kind");
    }
    if (j.contains("pixels")) media.pixels = DecodePixels(j.at("pixels"));
    return media;
  } catch (const std::exception& e) {
    return BadMessage("answer", e);
  }
}

absl::Status WriteMessage(int fd, const std::vector<uint8_t>& message) {
  if (message.size() > kMaxMessageBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("a message of ", message.size(), " bytes is over the limit"));
  }
  const uint32_t n = static_cast<uint32_t>(message.size());
  std::vector<uint8_t> frame(4 + message.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<uint8_t>(n >> (8 * i));
  if (!message.empty()) std::memcpy(frame.data() + 4, message.data(), message.size());
  size_t done = 0;
  while (done < frame.size()) {
    // send with MSG_NOSIGNAL on a socket; write on anything else.
    ssize_t w = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = ::write(fd, frame.data() + done, frame.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot send to the peer: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadMessage(int fd, int64_t deadline_ms) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point end = Clock::now() + std::chrono::milliseconds(deadline_ms);
  auto read_exactly = [&](uint8_t* out, size_t n, bool first) -> absl::Status {
    size_t got = 0;
    while (got < n) {
      if (deadline_ms >= 0) {
        const int64_t left =
            std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
        if (left <= 0) return absl::DeadlineExceededError("time limit reached");
        pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return absl::UnavailableError(std::strerror(errno));
        if (r == 0) continue;  // the loop re-checks the deadline
      }
      const ssize_t k = ::read(fd, out + got, n - got);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0 && errno != ECONNRESET) return absl::UnavailableError(std::strerror(errno));
      if (k <= 0) {
        return first && got == 0 ? absl::NotFoundError("the peer closed the stream")
                                 : absl::DataLossError("the peer closed the stream mid-message");
      }
      got += static_cast<size_t>(k);
    }
    return absl::OkStatus();
  };
  uint8_t header[4];
  if (absl::Status s = read_exactly(header, 4, true); !s.ok()) return s;
  const uint32_t n = header[0] | header[1] << 8 | header[2] << 16 | uint32_t{header[3]} << 24;
  if (n > kMaxMessageBytes) {
    return absl::DataLossError(absl::StrCat("a message of ", n, " bytes is over the limit"));
  }
  std::vector<uint8_t> message(n);
  if (absl::Status s = read_exactly(message.data(), n, false); !s.ok()) return s;
  return message;
}

}  // namespace hashwatch::isolation
