#include "media/av_input.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace hashwatch::media {
namespace {

constexpr int kAvioBufferSize = 64 * 1024;

}  // namespace

// The AVIO callbacks' view of the input, and the wall-clock deadline that
// also interrupts blocking reads.
struct AvInput::Reader {
  VideoInput input;
  int64_t size = 0;
  int64_t pos = 0;
  AvInput::Clock::time_point deadline;
  std::string io_error;
};

namespace {

using Reader = AvInput::Reader;

int ReadPacket(void* opaque, uint8_t* buf, int size) {
  Reader& r = *static_cast<Reader*>(opaque);
  if (size <= 0 || r.pos >= r.size) return AVERROR_EOF;
  const size_t n = static_cast<size_t>(std::min<int64_t>(size, r.size - r.pos));
  if (r.input.file != nullptr) {
    absl::StatusOr<size_t> got = r.input.file->ReadAt(r.pos, buf, n);
    if (!got.ok()) {
      r.io_error = std::string(got.status().message());
      return AVERROR(EIO);
    }
    if (*got == 0) return AVERROR_EOF;  // the file shrank
    r.pos += static_cast<int64_t>(*got);
    return static_cast<int>(*got);
  }
  std::memcpy(buf, r.input.bytes.data() + r.pos, n);
  r.pos += static_cast<int64_t>(n);
  return static_cast<int>(n);
}

int64_t Seek(void* opaque, int64_t offset, int whence) {
  Reader& r = *static_cast<Reader*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return r.size;
  int64_t target = offset;
  if (whence == SEEK_CUR) target = r.pos + offset;
  if (whence == SEEK_END) target = r.size + offset;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
  if (target < 0) return AVERROR(EINVAL);
  r.pos = target;
  return target;
}

int Interrupt(void* opaque) {
  return AvInput::Clock::now() > static_cast<Reader*>(opaque)->deadline ? 1 : 0;
}

// Demuxers that follow references (HLS playlists, concat lists, ...) would
// open other files or URLs named inside the crawled file: refused.
int RefuseIoOpen(AVFormatContext*, AVIOContext**, const char* url, int, AVDictionary**) {
  (void)url;
  return AVERROR(EPERM);
}

}  // namespace

void AvInput::AvioFree::operator()(AVIOContext* io) const {
  if (io != nullptr) av_freep(&io->buffer);
  avio_context_free(&io);
}

AvInput::AvInput() : reader_(std::make_unique<Reader>()) {}
AvInput::~AvInput() {
  format_.reset();  // closes the demuxer before its I/O context goes
  io_.reset();
}

int64_t AvInput::size() const {
  return reader_->size;
}
const std::string& AvInput::io_error() const {
  return reader_->io_error;
}

absl::StatusOr<std::unique_ptr<AvInput>> AvInput::Open(const VideoInput& input,
                                                       Clock::time_point deadline) {
  std::unique_ptr<AvInput> in(new AvInput());
  Reader& reader = *in->reader_;
  reader.input = input;
  reader.size =
      input.file != nullptr ? input.file->size() : static_cast<int64_t>(input.bytes.size());
  reader.deadline = deadline;
  auto* io_buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
  if (io_buffer == nullptr) return absl::ResourceExhaustedError("out of memory");
  in->io_.reset(
      avio_alloc_context(io_buffer, kAvioBufferSize, 0, &reader, ReadPacket, nullptr, Seek));
  if (!in->io_) {
    av_free(io_buffer);
    return absl::ResourceExhaustedError("out of memory");
  }
  AVFormatContext* raw_format = avformat_alloc_context();
  if (raw_format == nullptr) return absl::ResourceExhaustedError("out of memory");
  raw_format->pb = in->io_.get();
  raw_format->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw_format->io_open = RefuseIoOpen;
  raw_format->interrupt_callback = {Interrupt, &reader};
  if (int err = avformat_open_input(&raw_format, nullptr, nullptr, nullptr); err < 0) {
    // avformat_open_input freed the context.
    if (!reader.io_error.empty()) return absl::UnavailableError(reader.io_error);
    return absl::InvalidArgumentError(
        absl::StrCat("not a supported image or video (", AvError(err), ")"));
  }
  in->format_.reset(raw_format);
  return in;
}

}  // namespace hashwatch::media
