// RecordWriter: prints result records (one per input, or one per match) as
// JSON lines, CSV (RFC 4180, header first; text a spreadsheet would run as a
// formula gets a leading apostrophe, hashwatch/text.h) or an aligned text
// table (control characters and bytes that are not UTF-8 shown escaped).
// Every command prints through it, so the formats behave the same everywhere.
// Not thread-safe: call from one thread.
#ifndef HASHWATCH_CLI_RECORD_WRITER_H_
#define HASHWATCH_CLI_RECORD_WRITER_H_

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hashwatch::cli {

using Record = nlohmann::ordered_json;

enum class OutputFormat { kJsonl, kCsv, kTable };

class RecordWriter {
 public:
  // `columns` name the keys CSV and table output show, in order; JSON lines
  // print each record whole.
  RecordWriter(OutputFormat format, std::vector<std::string> columns, std::FILE* out = stdout);
  ~RecordWriter();  // a table is printed when the writer is destroyed

  void Write(const Record& record);

  // JSON text for any record value; invalid UTF-8 (e.g. in file names) is
  // replaced with U+FFFD rather than failing.
  static std::string Dump(const Record& value);

 private:
  std::string Cell(const Record& record, const std::string& column) const;
  std::string CsvCell(const Record& record, const std::string& column) const;

  OutputFormat format_;
  std::vector<std::string> columns_;
  std::FILE* out_;
  bool header_written_ = false;
  std::vector<std::vector<std::string>> table_rows_;
};

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_RECORD_WRITER_H_
