// AuditDetails: the JSON object stored in an audit log entry's `details`
// column ({"case":"2024-0113","item":42}). Keys are fixed strings from the
// engine; values may be anything staff typed, so strings are escaped.
// Plain value type, not thread-safe.
#ifndef HASHWATCH_CATALOG_AUDIT_DETAILS_H_
#define HASHWATCH_CATALOG_AUDIT_DETAILS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace hashwatch::catalog {

class AuditDetails {
 public:
  AuditDetails& Add(std::string_view key, std::string_view value);
  AuditDetails& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  AuditDetails& Add(std::string_view key, int64_t value);
  AuditDetails& Add(std::string_view key, bool value);

  std::string json() const { return "{" + body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// `text` as a JSON string literal (quotes included). Bytes that are not
// valid UTF-8 become U+FFFD so the result is always valid JSON.
std::string JsonQuote(std::string_view text);

// The current time as ISO 8601 UTC with milliseconds: 2024-05-01T12:34:56.789Z.
std::string UtcTimestampNow();

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_AUDIT_DETAILS_H_
