// Untrusted text (crawled file names, partners' labels, operator names) as
// hashwatch checks and writes it, one rule for the catalog and the command
// line:
// - printable text: UTF-8 without control characters. The catalog refuses
//   other labels, case ids and operator names; a terminal table shows such
//   bytes escaped, never raw (an ESC or CSI would drive the terminal);
// - CSV fields, as hash-list exports (Catalog::ExportHashes) and
//   --format csv write them.
//
// Quoting follows RFC 4180. Text a spreadsheet would run as a formula (first
// character '=', '+', '-', '@', tab or carriage return: OWASP's "CSV
// injection") is written with a leading apostrophe, which spreadsheets show
// as text; crawled file names and partners' labels are untrusted. Reading a
// list back (hash-list import) removes that apostrophe again, so labels and
// case ids survive an export and import unchanged.
//
// Pure functions; thread-safe.
#ifndef HASHWATCH_TEXT_H_
#define HASHWATCH_TEXT_H_

#include <string>
#include <string_view>

namespace hashwatch {

// True when `text` is valid UTF-8 holding no control character (C0, DEL or
// C1: U+0000-U+001F, U+007F-U+009F).
bool IsPrintableText(std::string_view text);

// `text` with every control character and every byte that is not part of
// valid UTF-8 written as an escape ("\x1b", "\u009b"), the rest unchanged.
std::string PrintableText(std::string_view text);

// `text` as one CSV field: guarded against formulas, and quoted when it holds
// a comma, a quote, a line break or leading or trailing white space.
std::string CsvField(std::string_view text);

// The text a field (already unquoted) stands for: without the apostrophe
// CsvField put before a formula character.
std::string_view CsvFieldText(std::string_view field);

}  // namespace hashwatch

#endif  // HASHWATCH_TEXT_H_
