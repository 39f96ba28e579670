// StaticFiles: serves a built web app (web/dist) from a directory, for Server's static_dir.
//
// - "/" and any path ending in '/' serve that directory's index.html.
// - Content-Type comes from the file extension.
// - Every file gets a strong ETag (a hash of its content). Compressible files of at least
//   1 KB also get a gzip variant, computed once. The server's middleware then does 304 and
//   content coding exactly as it does for handler responses.
// - Cache-Control is "public, max-age=31536000, immutable" for content-hashed names under
//   assets/ (Vite's "assets/<name>-<hash>.<ext>") and "no-cache" for everything else,
//   index.html included, so browsers revalidate it with the ETag.
// - SPA fallback: a GET or HEAD that matches no file, is not under /api, has no '.' in its
//   last segment and accepts text/html gets index.html, so that client-side routes such
//   as /boards/weibo.hot-search load the app.
// - Safety: "." and ".." segments, backslashes and NUL bytes are refused, as are hidden
//   files (a segment starting with '.', except .well-known). Only regular files are
//   served. Symbolic links inside the directory are followed: whoever deploys the
//   directory decides what it contains.
//
// - The app's own page: when `index_page` is set, the root index.html ("/", "/index.html" and
//   the SPA fallback) is whatever it returns for the request and the file's bytes (the
//   server's owner writes the home page's first answers into it: api/home_page.h); nullopt
//   sends the file as it is.
//
// Files are read on first use and cached in memory. Each request still stat()s its file,
// so a rebuilt web app is picked up without a restart. Files over max_file_size are not
// served.
//
// Thread-safety: serve() is safe to call concurrently (the cache is guarded by a mutex).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "http/http.h"

namespace mu {

// See "The app's own page" above.
using IndexPage = std::function<std::optional<Response>(const Request&,
                                                        const std::shared_ptr<const std::string>&)>;

struct StaticFilesOptions {
  std::string root;                       // directory to serve
  std::size_t max_file_size = 32u << 20;  // bigger files are not served
  std::size_t gzip_min_size = 1024;       // smaller files get no gzip variant
  IndexPage index_page;                   // empty: index.html is served as it is
};

class StaticFiles {
 public:
  // kConfig when `options.root` is not a readable directory.
  static Result<std::unique_ptr<StaticFiles>> create(StaticFilesOptions options);
  ~StaticFiles();
  StaticFiles(const StaticFiles&) = delete;
  StaticFiles& operator=(const StaticFiles&) = delete;

  // The file for request.path (GET and HEAD only), the SPA fallback, or nullopt.
  std::optional<Response> serve(const Request& request) const;

  // "text/css; charset=utf-8" for "css", ...; "application/octet-stream" when unknown.
  // `extension` is given without the dot and in any case.
  static std::string_view content_type_for(std::string_view extension);
  // True for content-hashed file names under assets/ (see above).
  static bool is_immutable_asset(std::string_view relative_path);

 private:
  struct Impl;
  explicit StaticFiles(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mu
