// hashwatch/text.h: printable-text checks and escapes, CSV fields.
#include "hashwatch/text.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace hashwatch {
namespace {

TEST_CASE("PrintableText escapes control characters and bytes that are not UTF-8", "[text]") {
  CHECK(PrintableText("plain name.jpg") == "plain name.jpg");
  CHECK(PrintableText("김지우 café") == "김지우 café");
  CHECK(PrintableText("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(PrintableText("tab\there\n") == "tab\\x09here\\x0a");
  CHECK(PrintableText("del\x7f") == "del\\x7f");
  CHECK(PrintableText("csi\xc2\x9b"
                      "31m") == "csi\\u009b31m");  // C1 as UTF-8
  CHECK(PrintableText("raw\x9b") == "raw\\x9b");   // a stray byte
  CHECK(PrintableText("\xff\xfe") == "\\xff\\xfe");
  CHECK(PrintableText("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(PrintableText("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(PrintableText("cut\xe2\x82") == "cut\\xe2\\x82");     // truncated
  CHECK(IsPrintableText("김지우 café"));
  CHECK_FALSE(IsPrintableText("a\nb"));
  CHECK_FALSE(IsPrintableText("\xc2\x85"));  // NEL, a C1 control
  CHECK_FALSE(IsPrintableText("\xff"));
  // Whatever the input, the output is printable.
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    INFO(PrintableText(s));
    CHECK(IsPrintableText(PrintableText(s)));
  }
}

TEST_CASE("CsvField quotes per RFC 4180 and guards spreadsheet formulas", "[text]") {
  CHECK(CsvField("case-1") == "case-1");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField(" padded ") == "\" padded \"");
  CHECK(CsvField("=1+2") == "'=1+2");
  CHECK(CsvField("+1") == "'+1");
  CHECK(CsvField("-1") == "'-1");
  CHECK(CsvField("@SUM(A1)") == "'@SUM(A1)");
  CHECK(CsvField("\t=1") == "'\t=1");
  CHECK(CsvField("=HYPERLINK(\"x\",\"y\")") == "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
  CHECK(CsvField("'=already") == "''=already");
  CHECK(CsvField("it's") == "it's");
  // CsvFieldText undoes the guard, so any text survives a round trip.
  for (const char* text : {"=1+2", "'=already", "''=x", "-", "'", "plain", "'quoted'", "@", ""}) {
    std::string field = CsvField(text);
    if (field.size() >= 2 && field.front() == '"') {  // unquote
      std::string inner;
      for (size_t i = 1; i + 1 < field.size(); ++i) {
        inner += field[i];
        if (field[i] == '"') ++i;
      }
      field = inner;
    }
    CHECK(std::string(CsvFieldText(field)) == text);
  }
}

}  // namespace
}  // namespace hashwatch
