#include "record_writer.h"

#include <algorithm>

#include "hashwatch/text.h"

namespace hashwatch::cli {
RecordWriter::RecordWriter(OutputFormat format, std::vector<std::string> columns, std::FILE* out)
    : format_(format), columns_(std::move(columns)), out_(out) {}

RecordWriter::~RecordWriter() {
  if (format_ != OutputFormat::kTable) return;
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) width[c] = columns_[c].size();
  // Cells are shown through PrintableText: a file name holding an escape
  // sequence must not drive the staff's terminal.
  for (auto& row : table_rows_) {
    for (size_t c = 0; c < row.size(); ++c) {
      row[c] = PrintableText(row[c]);
      width[c] = std::max(width[c], row[c].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c + 1 < row.size()) {
        std::fprintf(out_, "%-*s  ", static_cast<int>(width[c]), row[c].c_str());
      } else {
        std::fprintf(out_, "%s\n", row[c].c_str());
      }
    }
  };
  print_row(columns_);
  for (const auto& row : table_rows_) print_row(row);
  std::fflush(out_);
}

std::string RecordWriter::Dump(const Record& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string RecordWriter::Cell(const Record& record, const std::string& column) const {
  auto it = record.find(column);
  if (it == record.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return Dump(*it);
}

std::string RecordWriter::CsvCell(const Record& record, const std::string& column) const {
  auto it = record.find(column);
  if (it == record.end() || it->is_null()) return "";
  // Numbers and booleans as they are (a negative number is not a formula).
  if (it->is_number() || it->is_boolean()) return Dump(*it);
  return CsvField(Cell(record, column));
}

void RecordWriter::Write(const Record& record) {
  switch (format_) {
    case OutputFormat::kJsonl: std::fprintf(out_, "%s\n", Dump(record).c_str()); break;
    case OutputFormat::kCsv: {
      if (!header_written_) {
        for (size_t c = 0; c < columns_.size(); ++c) {
          std::fprintf(out_, "%s%s", c ? "," : "", CsvField(columns_[c]).c_str());
        }
        std::fputc('\n', out_);
        header_written_ = true;
      }
      for (size_t c = 0; c < columns_.size(); ++c) {
        std::fprintf(out_, "%s%s", c ? "," : "", CsvCell(record, columns_[c]).c_str());
      }
      std::fputc('\n', out_);
      break;
    }
    case OutputFormat::kTable: {
      std::vector<std::string> row;
      for (const auto& c : columns_) row.push_back(Cell(record, c));
      table_rows_.push_back(std::move(row));
      return;
    }
  }
  std::fflush(out_);
}

}  // namespace hashwatch::cli
