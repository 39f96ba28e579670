#include "sources/common/json_util.h"

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <limits>

#include "sources/common/text.h"

namespace mu {
namespace {

namespace json = boost::json;

std::string join_key(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out = base;
  out.push_back('.');
  out.append(key);
  return out;
}

std::string join_index(const std::string& base, std::size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

std::string format_double(double d) {
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return {};
  return std::string(buf, end);
}

std::optional<int64_t> double_to_int(double d) {
  if (!std::isfinite(d) || std::floor(d) != d) return std::nullopt;
  if (d < -9.2e18 || d > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

}  // namespace

// ---------------------------------------------------------------- JsonView

bool JsonView::is_null() const { return v_ != nullptr && v_->is_null(); }
bool JsonView::is_object() const { return v_ != nullptr && v_->is_object(); }
bool JsonView::is_array() const { return v_ != nullptr && v_->is_array(); }
bool JsonView::is_string() const { return v_ != nullptr && v_->is_string(); }
bool JsonView::is_number() const { return v_ != nullptr && v_->is_number(); }
bool JsonView::is_bool() const { return v_ != nullptr && v_->is_bool(); }

std::string_view JsonView::kind_name() const {
  if (v_ == nullptr) return "missing";
  switch (v_->kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

JsonView JsonView::member(std::string_view key) const {
  std::string path = join_key(path_, key);
  if (v_ == nullptr || !v_->is_object()) return JsonView(nullptr, std::move(path));
  const json::object& obj = v_->get_object();
  auto it = obj.find(json::string_view(key.data(), key.size()));
  if (it == obj.end()) return JsonView(nullptr, std::move(path));
  return JsonView(&it->value(), std::move(path));
}

JsonView JsonView::at(std::size_t index) const {
  std::string path = join_index(path_, index);
  if (v_ == nullptr || !v_->is_array()) return JsonView(nullptr, std::move(path));
  const json::array& arr = v_->get_array();
  if (index >= arr.size()) return JsonView(nullptr, std::move(path));
  return JsonView(&arr[index], std::move(path));
}

JsonView JsonView::get(std::string_view dotted_path) const {
  JsonView cur = *this;
  while (!dotted_path.empty()) {
    std::size_t dot = dotted_path.find('.');
    std::string_view segment = dotted_path.substr(0, dot);
    dotted_path = dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
    // "name[1][2]": the name part, then any number of indexes.
    std::size_t bracket = segment.find('[');
    std::string_view name = segment.substr(0, bracket);
    if (!name.empty()) cur = cur.member(name);
    while (bracket != std::string_view::npos) {
      std::size_t close = segment.find(']', bracket);
      if (close == std::string_view::npos) return JsonView(nullptr, join_key(cur.path_, segment));
      auto index = parse_int(segment.substr(bracket + 1, close - bracket - 1));
      if (!index || *index < 0) return JsonView(nullptr, join_key(cur.path_, segment));
      cur = cur.at(static_cast<std::size_t>(*index));
      bracket = segment.find('[', close);
    }
  }
  return cur;
}

std::size_t JsonView::size() const {
  if (v_ == nullptr) return 0;
  if (v_->is_array()) return v_->get_array().size();
  if (v_->is_object()) return v_->get_object().size();
  return 0;
}

std::vector<JsonView> JsonView::elements() const {
  std::vector<JsonView> out;
  if (v_ == nullptr || !v_->is_array()) return out;
  const json::array& arr = v_->get_array();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i)
    out.push_back(JsonView(&arr[i], join_index(path_, i)));
  return out;
}

Status JsonView::type_error(std::string_view expected) const {
  const std::string where = path_.empty() ? std::string("document") : path_;
  if (v_ == nullptr) return error(ErrorCode::kParse, where + ": missing");
  return error(ErrorCode::kParse,
               where + ": expected " + std::string(expected) + ", got " + std::string(kind_name()));
}

Result<JsonView> JsonView::require_object(std::string_view dotted_path) const {
  JsonView v = get(dotted_path);
  if (!v.is_object()) return v.type_error("object");
  return v;
}

Result<JsonView> JsonView::require_array(std::string_view dotted_path) const {
  JsonView v = get(dotted_path);
  if (!v.is_array()) return v.type_error("array");
  return v;
}

Result<std::string> JsonView::require_string(std::string_view dotted_path) const {
  JsonView v = get(dotted_path);
  if (v.v_ != nullptr) {
    switch (v.v_->kind()) {
      case json::kind::string: {
        const json::string& s = v.v_->get_string();
        return std::string(s.data(), s.size());
      }
      case json::kind::int64:
        return std::to_string(v.v_->get_int64());
      case json::kind::uint64:
        return std::to_string(v.v_->get_uint64());
      case json::kind::double_:
        return format_double(v.v_->get_double());
      default:
        break;
    }
  }
  return v.type_error("string");
}

Result<double> JsonView::require_number(std::string_view dotted_path) const {
  JsonView v = get(dotted_path);
  if (v.v_ != nullptr) {
    switch (v.v_->kind()) {
      case json::kind::int64:
        return static_cast<double>(v.v_->get_int64());
      case json::kind::uint64:
        return static_cast<double>(v.v_->get_uint64());
      case json::kind::double_:
        return v.v_->get_double();
      case json::kind::string: {
        const json::string& s = v.v_->get_string();
        if (auto d = parse_double(std::string_view(s.data(), s.size()))) return *d;
        return error(ErrorCode::kParse,
                     (v.path_.empty() ? std::string("document") : v.path_) +
                         ": expected number, got string \"" +
                         truncate_utf8(std::string_view(s.data(), s.size()), 40) + "\"");
      }
      default:
        break;
    }
  }
  return v.type_error("number");
}

Result<int64_t> JsonView::require_int(std::string_view dotted_path) const {
  JsonView v = get(dotted_path);
  if (v.v_ != nullptr) {
    switch (v.v_->kind()) {
      case json::kind::int64:
        return v.v_->get_int64();
      case json::kind::uint64:
        if (v.v_->get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return static_cast<int64_t>(v.v_->get_uint64());
        }
        break;
      case json::kind::double_:
        if (auto i = double_to_int(v.v_->get_double())) return *i;
        break;
      case json::kind::string: {
        const json::string& s = v.v_->get_string();
        std::string_view sv(s.data(), s.size());
        if (auto i = parse_int(sv)) return *i;
        if (auto d = parse_double(sv)) {
          if (auto i = double_to_int(*d)) return *i;
        }
        break;
      }
      default:
        break;
    }
  }
  return v.type_error("integer");
}

std::string JsonView::string_or(std::string_view dotted_path, std::string_view fallback) const {
  auto r = require_string(dotted_path);
  return r.ok() ? std::move(r).value() : std::string(fallback);
}

std::optional<double> JsonView::number(std::string_view dotted_path) const {
  auto r = require_number(dotted_path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::optional<int64_t> JsonView::integer(std::string_view dotted_path) const {
  auto r = require_int(dotted_path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

bool JsonView::bool_or(std::string_view dotted_path, bool fallback) const {
  JsonView v = get(dotted_path);
  if (v.v_ == nullptr) return fallback;
  switch (v.v_->kind()) {
    case json::kind::bool_:
      return v.v_->get_bool();
    case json::kind::int64:
      return v.v_->get_int64() != 0;
    case json::kind::uint64:
      return v.v_->get_uint64() != 0;
    case json::kind::double_:
      return v.v_->get_double() != 0;
    case json::kind::string: {
      const json::string& s = v.v_->get_string();
      std::string lower = ascii_lower(trim(std::string_view(s.data(), s.size())));
      if (lower == "true" || lower == "1" || lower == "yes") return true;
      if (lower == "false" || lower == "0" || lower == "no" || lower.empty()) return false;
      return fallback;
    }
    default:
      return fallback;
  }
}

// ---------------------------------------------------------------- JsonDoc

JsonDoc::JsonDoc() = default;
JsonDoc::JsonDoc(JsonDoc&&) noexcept = default;
JsonDoc& JsonDoc::operator=(JsonDoc&&) noexcept = default;
JsonDoc::~JsonDoc() = default;

JsonView JsonDoc::root() const { return JsonView(value_.get(), std::string()); }

Result<JsonDoc> JsonDoc::parse(std::string_view body, std::string_view label) {
  const std::string prefix = label.empty() ? std::string() : std::string(label) + ": ";
  try {
    json::parse_options opts;
    opts.allow_invalid_utf8 = true;
    opts.max_depth = 64;
    json::stream_parser parser(json::storage_ptr(), opts);
    boost::system::error_code ec;
    std::size_t consumed = parser.write(body.data(), body.size(), ec);
    std::size_t offset = consumed;
    if (!ec) {
      parser.finish(ec);
      offset = body.size();
    }
    if (ec) {
      return error(ErrorCode::kParse, prefix + "invalid JSON at offset " + std::to_string(offset) +
                                          ": " + ec.message());
    }
    JsonDoc doc;
    doc.value_ = std::make_unique<json::value>(parser.release());
    return doc;
  } catch (const std::exception& e) {
    return error(ErrorCode::kParse, prefix + "invalid JSON: " + e.what());
  }
}

}  // namespace mu
