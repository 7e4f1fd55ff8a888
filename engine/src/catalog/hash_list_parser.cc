#include "catalog/hash_list_parser.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "hashwatch/signal_type.h"
#include "hashwatch/text.h"

namespace hashwatch::catalog {
namespace {

constexpr std::string_view kCsvHeader = "pdq_hex,quality,case,label";
constexpr std::string_view kFormatHelp =
    "expected a CSV header 'pdq_hex,quality,case,label', a 64-digit PDQ hex hash per line, or "
    "vPDQ lines 'frame_number,quality,pdq_hex,timestamp'";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// One CSV record on one line (RFC 4180 quoting; fields cannot hold line
// breaks here). Fields are trimmed unless quoted.
absl::StatusOr<std::vector<std::string>> SplitCsv(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  for (;;) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return absl::InvalidArgumentError("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        return absl::InvalidArgumentError("text after a closing quote");
      }
    } else {
      const size_t end = line.find(',', i);
      const std::string_view raw = line.substr(i, end == std::string_view::npos ? end : end - i);
      if (raw.find('"') != std::string_view::npos) {
        return absl::InvalidArgumentError("a quote inside an unquoted field");
      }
      field = std::string(Trim(raw));
      i = end == std::string_view::npos ? line.size() : end;
    }
    // A field the exporter guarded against spreadsheet formulas ("'=...")
    // stands for its text without the apostrophe (hashwatch/csv.h).
    fields.emplace_back(CsvFieldText(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

absl::Status ParsePdq(std::string_view text, std::array<uint8_t, 32>* out) {
  absl::StatusOr<std::vector<uint8_t>> bytes = FindSignalType("pdq")->Parse(Trim(text));
  if (!bytes.ok()) return bytes.status();
  std::memcpy(out->data(), bytes->data(), out->size());
  return absl::OkStatus();
}

absl::Status ParseQuality(std::string_view text, bool allow_empty, int16_t* out) {
  text = Trim(text);
  if (text.empty() && allow_empty) {
    *out = -1;
    return absl::OkStatus();
  }
  int q = 0;
  if (!absl::SimpleAtoi(Absl(text), &q) || q < 0 || q > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("quality must be a whole number 0..100, got '", std::string(text), "'"));
  }
  *out = static_cast<int16_t>(q);
  return absl::OkStatus();
}

class Parser {
 public:
  explicit Parser(const HashListParseOptions& options) : options_(options) {
    if (!options_.case_id.empty()) AddCase(options_.case_id, options_.label);
  }

  // Parses one significant line (trimmed, not a comment).
  absl::Status Line(std::string_view text, int64_t number) {
    if (!detected_) {
      detected_ = true;
      std::string lower = absl::AsciiStrToLower(Absl(text));
      lower.erase(std::remove(lower.begin(), lower.end(), ' '), lower.end());
      if (lower == kCsvHeader) {
        list_.format = HashListFormat::kCsv;
        return absl::OkStatus();
      }
      const size_t commas = std::count(text.begin(), text.end(), ',');
      if (commas == 0) {
        list_.format = HashListFormat::kPlain;
      } else if (commas == 3) {
        list_.format = HashListFormat::kVpdq;
      } else {
        return Fatal(absl::StrCat("line ", number, ": not a hash list this version reads (",
                                  Absl(kFormatHelp), ")"));
      }
      if (options_.case_id.empty()) {
        return Fatal(
            absl::StrCat("a ", Absl(HashListFormatName(list_.format)),
                         " hash list names no case: give the case it belongs to (--case)"));
      }
    }
    HashListEntry e;
    e.line = number;
    absl::Status s;
    switch (list_.format) {
      case HashListFormat::kPlain: s = ParsePdq(text, &e.pdq); break;
      case HashListFormat::kCsv: s = CsvRow(text, &e); break;
      case HashListFormat::kVpdq: s = VpdqRow(text, &e); break;
    }
    if (!s.ok()) return s;
    list_.entries.push_back(e);
    return absl::OkStatus();
  }

  bool fatal() const { return !fatal_.empty(); }
  int64_t entries() const { return static_cast<int64_t>(list_.entries.size()); }
  const std::string& fatal_message() const { return fatal_; }
  HashList Take() { return std::move(list_); }

 private:
  absl::Status Fatal(std::string message) {
    fatal_ = std::move(message);
    return absl::InvalidArgumentError(fatal_);
  }

  uint32_t AddCase(const std::string& id, const std::string& label) {
    auto [it, inserted] = case_index_.try_emplace(id, static_cast<uint32_t>(list_.cases.size()));
    if (inserted) list_.cases.push_back({id, label});
    if (list_.cases[it->second].label.empty()) list_.cases[it->second].label = label;
    return it->second;
  }

  absl::Status CsvRow(std::string_view text, HashListEntry* e) {
    absl::StatusOr<std::vector<std::string>> f = SplitCsv(text);
    if (!f.ok()) return f.status();
    if (f->size() != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected 4 fields (pdq_hex,quality,case,label), got ", f->size()));
    }
    if (absl::Status s = ParsePdq((*f)[0], &e->pdq); !s.ok()) return s;
    if (absl::Status s = ParseQuality((*f)[1], /*allow_empty=*/true, &e->quality); !s.ok()) {
      return s;
    }
    if (!options_.case_id.empty()) {
      e->case_index = 0;
      if (list_.cases[0].label.empty()) list_.cases[0].label = (*f)[3];
      return absl::OkStatus();
    }
    const std::string& case_id = (*f)[2];
    if (case_id.empty()) {
      return absl::InvalidArgumentError("no case in the case column (or give the case for all)");
    }
    if (case_id.size() > 200) return absl::InvalidArgumentError("case id longer than 200 bytes");
    e->case_index = AddCase(case_id, (*f)[3]);
    return absl::OkStatus();
  }

  absl::Status VpdqRow(std::string_view text, HashListEntry* e) {
    absl::StatusOr<std::vector<std::string>> f = SplitCsv(text);
    if (!f.ok()) return f.status();
    if (f->size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expected 4 fields (frame_number,quality,pdq_hex,timestamp), got ", f->size()));
    }
    int64_t frame = 0;
    if (!absl::SimpleAtoi(Absl((*f)[0]), &frame) || frame < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("frame number must be a whole number >= 0, got '", (*f)[0], "'"));
    }
    if (absl::Status s = ParseQuality((*f)[1], /*allow_empty=*/false, &e->quality); !s.ok()) {
      return s;
    }
    if (absl::Status s = ParsePdq((*f)[2], &e->pdq); !s.ok()) return s;
    double t = 0;
    if (!absl::SimpleAtod(Absl((*f)[3]), &t) || !std::isfinite(t) || t < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("timestamp must be seconds >= 0, got '", (*f)[3], "'"));
    }
    e->frame_time = t;
    e->frame_number = frame;
    e->case_index = 0;
    return absl::OkStatus();
  }

  const HashListParseOptions& options_;
  bool detected_ = false;
  std::string fatal_;
  HashList list_;
  absl::flat_hash_map<std::string, uint32_t> case_index_;
};

// std::getline that stops storing after `max` + 1 bytes, so one endless line
// cannot fill the memory; the rest of that line is not read (the caller
// refuses the list). False at the end of the input.
bool GetBoundedLine(std::istream& in, size_t max, std::string* line) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return !line->empty();
    }
    if (c == '\n') return true;
    line->push_back(static_cast<char>(c));
    if (line->size() > max) return true;
  }
}

}  // namespace

std::string_view HashListFormatName(HashListFormat format) {
  switch (format) {
    case HashListFormat::kCsv: return "csv";
    case HashListFormat::kPlain: return "plain";
    case HashListFormat::kVpdq: return "vpdq";
  }
  return "unknown";
}

absl::StatusOr<HashList> ParseHashList(std::istream& in, const HashListParseOptions& options) {
  Parser parser(options);
  std::string errors;
  int64_t bad = 0;
  std::string line;
  for (int64_t number = 1; GetBoundedLine(in, options.max_line_bytes, &line); ++number) {
    if (line.size() > options.max_line_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", number, " is longer than ", options.max_line_bytes,
                       " bytes: not a hash list (nothing was imported)"));
    }
    if (parser.entries() >= options.max_entries) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the list holds more than ", options.max_entries,
          " hashes, the most one import takes (nothing was imported); split it, or raise the "
          "limit"));
    }
    std::string_view text = line;
    if (number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    text = Trim(text);
    if (text.empty() || text.front() == '#') continue;
    absl::Status s = parser.Line(text, number);
    if (parser.fatal()) return absl::InvalidArgumentError(parser.fatal_message());
    if (!s.ok()) {
      if (++bad <= options.max_reported_errors) {
        absl::StrAppend(&errors, "\n  line ", number, ": ", s.message());
      }
    }
  }
  if (in.bad()) return absl::UnavailableError("error reading the hash list");
  if (bad > 0) {
    if (bad > options.max_reported_errors) {
      absl::StrAppend(&errors, "\n  (and ", bad - options.max_reported_errors, " more)");
    }
    return absl::InvalidArgumentError(absl::StrCat(bad, bad == 1 ? " bad line" : " bad lines",
                                                   "; nothing was imported:", errors));
  }
  HashList list = parser.Take();
  if (list.entries.empty()) return absl::InvalidArgumentError("no hashes in the list");
  return list;
}

}  // namespace hashwatch::catalog
