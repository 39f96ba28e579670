// JSON helpers for site parsers, on Boost.JSON but without exposing it: JsonDoc parses a
// body (errors name the board and the byte offset), JsonView walks it by dotted paths
// ("data.realtime", "target.link.url", "items[0].id") and answers typed values or kParse
// errors naming the missing or wrongly typed path, never throwing. Sites send numbers as
// strings and strings as numbers, so getters coerce between the two.
// A JsonDoc is immutable after parse(); it and its views may be read from many threads.
// A JsonView borrows from its JsonDoc and must not outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace boost::json {
class value;
}  // namespace boost::json

namespace mu {

class JsonView {
 public:
  JsonView() = default;  // a missing value

  bool exists() const { return v_ != nullptr; }
  bool is_null() const;
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_number() const;
  bool is_bool() const;
  // "object", "array", "string", "number", "bool", "null" or "missing".
  std::string_view kind_name() const;
  // Where this value sits in the document, e.g. "data.realtime[3].word" ("" = the root).
  const std::string& path() const { return path_; }

  // Navigation never fails: a missing step yields a missing view that remembers its path.
  // `dotted_path` is split on '.', and "name[3]" indexes an array; "" is this value.
  JsonView get(std::string_view dotted_path) const;
  // One object member (the key may contain dots).
  JsonView member(std::string_view key) const;
  // One array element.
  JsonView at(std::size_t index) const;
  // Elements of an array or members of an object; 0 otherwise.
  std::size_t size() const;
  // The elements of an array (empty for anything else).
  std::vector<JsonView> elements() const;

  // Typed access below `dotted_path` (kParse naming the path when missing or mistyped,
  // e.g. "data.realtime: missing" or "data.realtime: expected array, got object").
  Result<JsonView> require_object(std::string_view dotted_path = {}) const;
  Result<JsonView> require_array(std::string_view dotted_path = {}) const;
  // Numbers are accepted and printed ("742058").
  Result<std::string> require_string(std::string_view dotted_path = {}) const;
  // Numeric strings are accepted ("1136119", " 3.5 ").
  Result<double> require_number(std::string_view dotted_path = {}) const;
  // Integral numbers or integer strings.
  Result<int64_t> require_int(std::string_view dotted_path = {}) const;

  // Lenient access: the fallback when missing, null or of an unusable type.
  std::string string_or(std::string_view dotted_path, std::string_view fallback = {}) const;
  std::optional<double> number(std::string_view dotted_path) const;
  std::optional<int64_t> integer(std::string_view dotted_path) const;
  // true/false, non-zero/zero numbers, "1"/"0", "true"/"false".
  bool bool_or(std::string_view dotted_path, bool fallback) const;

  // The underlying Boost.JSON value (nullptr when missing), for code that needs more.
  const boost::json::value* raw() const { return v_; }

 private:
  friend class JsonDoc;
  JsonView(const boost::json::value* v, std::string path) : v_(v), path_(std::move(path)) {}
  Status type_error(std::string_view expected) const;

  const boost::json::value* v_ = nullptr;
  std::string path_;
};

class JsonDoc {
 public:
  // Parses `body`; kParse "<label>: invalid JSON at offset N: <reason>" on bad input
  // (including an empty or truncated body). Invalid UTF-8 inside strings is tolerated
  // (sites do send it); repair it with to_valid_utf8() where it matters.
  static Result<JsonDoc> parse(std::string_view body, std::string_view label);

  JsonDoc(JsonDoc&&) noexcept;
  JsonDoc& operator=(JsonDoc&&) noexcept;
  ~JsonDoc();

  JsonView root() const;

 private:
  JsonDoc();
  std::unique_ptr<boost::json::value> value_;
};

}  // namespace mu
