// Untrusted text: printable-text checks and escapes, CSV fields with a guard
// against spreadsheet formulas.
#include "hashwatch/text.h"

#include <cstdint>
#include <cstdio>

namespace hashwatch {
namespace {

bool StartsFormula(std::string_view text) {
  // Apostrophes already there are looked through, so that text which itself
  // begins "'=" keeps its apostrophe after a round trip.
  const size_t first = text.find_first_not_of('\'');
  if (first == std::string_view::npos) return false;
  switch (text[first]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r': return true;
    default: return false;
  }
}

// The length of the UTF-8 sequence at `s[i]` when it encodes one character
// that is not a control character (C0, DEL, C1); 0 when there is none there
// (a control character, a stray or overlong byte, a surrogate, a truncated
// sequence). Sets *code_point either way when a sequence decodes.
size_t PrintableAt(std::string_view s, size_t i, uint32_t* code_point) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  *code_point = c;
  if (c < 0x80) return (c < 0x20 || c == 0x7f) ? 0 : 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *code_point = cp;
  if (cp <= 0x9f) return 0;  // C1 controls (U+009B is a terminal's CSI)
  return n;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

}  // namespace

bool IsPrintableText(std::string_view text) {
  uint32_t cp;
  for (size_t i = 0; i < text.size();) {
    const size_t n = PrintableAt(text, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string PrintableText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  uint32_t cp;
  char escape[16];
  for (size_t i = 0; i < text.size();) {
    const size_t n = PrintableAt(text, i, &cp);
    if (n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else if (cp >= 0x80 && cp <= 0x9f && static_cast<unsigned char>(text[i]) == 0xc2) {
      // a well-formed C1 control: two bytes
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(cp));
      out += escape;
      i += 2;
    } else {  // a C0 control, DEL, or a byte that is not UTF-8
      std::snprintf(escape, sizeof escape, "\\x%02x",
                    static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      out += escape;
      i += 1;
    }
  }
  return out;
}

std::string CsvField(std::string_view text) {
  std::string field;
  if (StartsFormula(text)) field = "'";
  field.append(text);
  const bool quote = field.find_first_of(",\"\r\n") != std::string::npos ||
                     (!field.empty() && (IsSpace(field.front()) || IsSpace(field.back())));
  if (!quote) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string_view CsvFieldText(std::string_view field) {
  if (!field.empty() && field.front() == '\'' && StartsFormula(field)) field.remove_prefix(1);
  return field;
}

}  // namespace hashwatch
