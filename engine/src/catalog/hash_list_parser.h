// ParseHashList: reads a hash list for import, all of it, before anything is
// written, so that a list with any bad line can be refused whole.
//
// Formats (detected from the first line that is not blank or a '#' comment;
// a UTF-8 byte-order mark and CRLF line ends are accepted):
//   csv    header "pdq_hex,quality,case,label", then rows of those fields
//          (RFC 4180 quoting; quality may be empty = unknown);
//   plain  one 64-digit PDQ hex hash per line (quality unknown);
//   vpdq   Meta's vPDQ frame lines "frame_number,quality,pdq_hex,timestamp".
// Pure function of its input; thread-safe.
#ifndef HASHWATCH_CATALOG_HASH_LIST_PARSER_H_
#define HASHWATCH_CATALOG_HASH_LIST_PARSER_H_

#include <array>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hashwatch::catalog {

enum class HashListFormat { kCsv, kPlain, kVpdq };
std::string_view HashListFormatName(HashListFormat format);

struct HashListEntry {
  std::array<uint8_t, 32> pdq;
  double frame_time = -1;               // vpdq: seconds; < 0 otherwise
  std::optional<int64_t> frame_number;  // vpdq: the frame's number in its video
  int64_t line = 0;                     // 1-based line number in the input
  uint32_t case_index = 0;              // into HashList::cases
  int16_t quality = -1;                 // 0..100; -1 unknown
};

struct HashListCase {
  std::string case_id;
  std::string label;  // the first label given for it (may be empty)
};

struct HashList {
  HashListFormat format = HashListFormat::kPlain;
  std::vector<HashListEntry> entries;
  std::vector<HashListCase> cases;
};

struct HashListParseOptions {
  // Every entry goes into this case (csv: the case column is ignored);
  // required for plain and vpdq lists.
  std::string case_id;
  // Label of `case_id` (csv: when empty, the first row's label).
  std::string label;
  // At most this many bad lines are described in the error; the rest are
  // counted.
  int max_reported_errors = 20;
  // Limits on what one list may hold, so a hostile or mistaken input cannot
  // fill the memory (each entry takes about 80 bytes until it is stored).
  int64_t max_entries = 10'000'000;
  size_t max_line_bytes = 64 * 1024;
};

// InvalidArgument describing every problem with line numbers
// ("line 7: pdq hash must be 64 hex digits, got 12"; "no hashes in the list"),
// or for a line over max_line_bytes; ResourceExhausted for more than
// max_entries hashes. Reads at most max_line_bytes + 1 bytes of any line.
absl::StatusOr<HashList> ParseHashList(std::istream& in, const HashListParseOptions& options);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_HASH_LIST_PARSER_H_
