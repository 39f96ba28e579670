#include "http/static_files.h"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/compress.h"
#include "http/middleware.h"
#include "http/util.h"

namespace mu {
namespace {

struct ContentType {
  std::string_view extension;
  std::string_view type;
};

constexpr std::array<ContentType, 31> kContentTypes = {{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    {"csv", "text/csv; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
}};

bool is_hash_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string etag_for(std::string_view data) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) tag += kHex[(h >> shift) & 0xF];
  tag += '"';
  return tag;
}

// Path segments a static request may not contain: empty ones ("a//b") and hidden files.
bool acceptable_relative_path(std::string_view rel) {
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    const std::string_view seg = rel.substr(start, end - start);
    if (seg.empty()) return false;
    if (seg.front() == '.' && seg != ".well-known") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

struct StaticFiles::Impl {
  struct Entry {
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const std::string> gzip;
    std::string etag;
    std::string_view content_type;
    int64_t mtime_ns = 0;
    int64_t size = 0;
  };

  StaticFilesOptions options;
  mutable std::shared_mutex mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const Entry>> cache;

  // The cached or freshly read file at `rel` (relative to the root), or null.
  std::shared_ptr<const Entry> lookup(const std::string& rel) const {
    const std::string full = options.root + "/" + rel;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > options.max_file_size) {
      return nullptr;
    }
    const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    {
      std::shared_lock lock(mu);
      auto it = cache.find(rel);
      if (it != cache.end() && it->second->mtime_ns == mtime_ns && it->second->size == st.st_size) {
        return it->second;
      }
    }
    std::ifstream file(full, std::ios::binary);
    if (!file) return nullptr;
    std::string data;
    data.resize(static_cast<std::size_t>(st.st_size));
    file.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(file.gcount()));

    auto entry = std::make_shared<Entry>();
    const std::size_t dot = rel.rfind('.');
    const std::size_t slash = rel.rfind('/');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    entry->content_type =
        content_type_for(has_ext ? std::string_view(rel).substr(dot + 1) : std::string_view());
    entry->etag = etag_for(data);
    entry->mtime_ns = mtime_ns;
    entry->size = st.st_size;
    if (data.size() >= options.gzip_min_size && is_compressible(entry->content_type)) {
      std::string gz = gzip_compress(data, 9);
      if (!gz.empty() && gz.size() < data.size()) {
        entry->gzip = std::make_shared<const std::string>(std::move(gz));
      }
    }
    entry->body = std::make_shared<const std::string>(std::move(data));
    std::unique_lock lock(mu);
    auto& slot = cache[rel];
    slot = std::move(entry);
    return slot;
  }
};

StaticFiles::StaticFiles(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StaticFiles::~StaticFiles() = default;

Result<std::unique_ptr<StaticFiles>> StaticFiles::create(StaticFilesOptions options) {
  while (options.root.size() > 1 && options.root.back() == '/') options.root.pop_back();
  struct stat st {};
  if (options.root.empty() || ::stat(options.root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return error(ErrorCode::kConfig, "static_dir '" + options.root + "' is not a directory");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  return std::unique_ptr<StaticFiles>(new StaticFiles(std::move(impl)));
}

std::string_view StaticFiles::content_type_for(std::string_view extension) {
  for (const ContentType& ct : kContentTypes) {
    if (http_iequals(ct.extension, extension)) return ct.type;
  }
  return "application/octet-stream";
}

bool StaticFiles::is_immutable_asset(std::string_view rel) {
  if (!rel.starts_with("assets/")) return false;
  std::string_view name = rel.substr(rel.rfind('/') + 1);
  const std::size_t dot = name.rfind('.');
  const std::string_view stem = dot == std::string_view::npos ? name : name.substr(0, dot);
  // "<name>-<hash>": at least 8 hash characters after the last separator that still
  // leaves them all hash characters (Rollup's base64url hashes may contain '-' and '_').
  if (stem.size() < 10) return false;
  const std::string_view hash = stem.substr(stem.size() - 8);
  const char sep = stem[stem.size() - 9];
  if (sep != '-' && sep != '.') return false;
  for (char c : hash) {
    if (!is_hash_char(c)) return false;
  }
  return true;
}

std::optional<Response> StaticFiles::serve(const Request& request) const {
  if (request.method != HttpMethod::kGet && request.method != HttpMethod::kHead) {
    return std::nullopt;
  }
  const std::string_view path = request.path;
  if (path.empty() || path.front() != '/' || http_unsafe_path(path)) return std::nullopt;
  std::string rel(path.substr(1));
  if (rel.empty() || rel.back() == '/') rel += "index.html";
  if (!acceptable_relative_path(rel)) return std::nullopt;

  auto entry = impl_->lookup(rel);
  if (!entry) {
    const std::string_view last = path.substr(path.rfind('/') + 1);
    const bool api = path == "/api" || path.starts_with("/api/");
    const bool file_like = last.find('.') != std::string_view::npos;
    if (api || file_like || !http_icontains(request.header("Accept"), "text/html")) {
      return std::nullopt;
    }
    rel = "index.html";
    entry = impl_->lookup(rel);
    if (!entry) return std::nullopt;
  }
  if (rel == "index.html" && impl_->options.index_page) {
    if (auto page = impl_->options.index_page(request, entry->body)) return page;
  }
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", entry->content_type);
  r.headers.set("Cache-Control",
                is_immutable_asset(rel) ? "public, max-age=31536000, immutable" : "no-cache");
  r.body = entry->body;
  r.gzip_body = entry->gzip;
  r.etag = entry->etag;
  return r;
}

}  // namespace mu
