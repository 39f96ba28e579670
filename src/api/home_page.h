// HomePage: the web app's index.html with the home page's first answers written into it, so
// that the first screenful of boards is drawn with the page's first paint: no request (and on
// a phone no extra round trip) stands between the page and its items.
//
// The page says where and what. web/index.html carries an empty data block
//
//   <script type="application/json" id="mu-first"
//   data-boards="weibo.hot-search,zhihu.hot,…"></script>
//
// naming the boards its first screen shows by default (the web app owns that order). HomePage
// fills the block with what the API answers for them, the same JSON, from the BoardCache:
//
//   {"generated_at":"2026-12-07T19:30:00.000Z","sites":{…GET /api/v1/sites…},
//    "boards":{…GET /api/v1/boards…},"bodies":[{…GET /api/v1/boards/<id>…},…]}
//
// and rewrites data-boards to the boards it wrote (public/boot.js does not ask for those
// again). The web app reads the block before its first render (store.ts, loadFirstAnswers).
//
// - Which: the listed boards, then the others in the home page's default order for a new
//   reader (BoardCache::home_order: by category); unknown ids and switched-off boards are
//   skipped. A reader who arranged the home differently gets the catalogue from the block and
//   their own first boards from the server (boot.js preloads them).
// - How many: a phone gets `phone_boards` (one column: what the page draws first, and the next
//   card), any other browser `max_boards` (three or four columns of three or four rows: what the
//   page draws first on a laptop's screen). The page asks for any other board it draws.
//   A phone is "Sec-CH-UA-Mobile: ?1", or, from a browser that does not send client hints,
//   "Mobi" in its User-Agent (the response varies on both).
// - A large catalogue (more than `max_catalogue` boards) gets no block: the page asks the
//   server for the boards the reader arranged, as before.
// - Safety: every '<' in the written JSON is "\u003c", so no scraped title can end the script
//   element or open a comment; the block is data (CSP: script-src 'self' still holds).
// - Cost: the page is composed (and gzipped) at most once per `max_age` per form factor, and
//   again only when one of the bodies it holds (or index.html itself) changed; between, it is
//   served from memory like a static file. `generated_at` lets the page tell this fresh copy
//   from an old one the service worker kept for offline use.
// - A page without the block (an older build) is served as it is.
//
// Thread-safe (one mutex around the composed pages).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/board_cache.h"
#include "core/clock.h"
#include "http/http.h"

namespace mu {

struct HomePageOptions {
  std::size_t phone_boards = 4;
  std::size_t max_boards = 12;
  std::size_t max_catalogue = 300;  // web/src/lib/store.ts: LARGE_CATALOGUE
  std::chrono::milliseconds max_age{10'000};
};

class HomePage {
 public:
  HomePage(const BoardCache& cache, const Clock& clock, HomePageOptions options = {});
  HomePage(const HomePage&) = delete;
  HomePage& operator=(const HomePage&) = delete;

  // The page to send for `request` built on `file` (index.html's bytes), or nullopt to send
  // the file as it is (no #mu-first block in it, or nothing to write).
  std::optional<Response> page(const Request& request,
                               const std::shared_ptr<const std::string>& file) const;

  // True when `request` comes from a phone (see above).
  static bool is_phone(const Request& request);
  // `json` with every '<' written as \u003c (safe inside a <script> element).
  static std::string script_safe(std::string_view json);

 private:
  struct Composed {
    std::shared_ptr<const std::string> file;                  // the index.html it was built on
    std::vector<std::shared_ptr<const RenderedBody>> inputs;  // sites, catalogue, bodies
    MonoTime built_at{};
    std::shared_ptr<const std::string> html;
    std::shared_ptr<const std::string> gzip;
    std::string etag;
  };

  const BoardCache& cache_;
  const Clock& clock_;
  const HomePageOptions options_;
  mutable std::mutex mu_;
  mutable std::optional<Composed> composed_[2];  // [0] other browsers, [1] phones
};

}  // namespace mu
