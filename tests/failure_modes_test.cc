// Failure modes of one fetch, end to end in one process: the real source registry, a
// ReplayTransport over fixtures copied to a temp dir (plus broken variants), a real
// SqliteStore on a temp file, LocalCoordinator, LocalCollector, a Scheduler driven by a
// FakeClock through tick() (no threads, no sleeps) and the ApiService behind a Router that
// is called directly.
//
// Each failure case first fetches every board from the good fixtures, then makes the next
// slot of one board fail, and checks that (a) the typed error category is recorded (the
// newest run row, the board's "error" and "stale" in the API), (b) the last good items are
// still served unchanged, and (c) the other boards and the health endpoints keep answering.
#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "collector/local/local_collector.h"
#include "coord/local/local_coordinator.h"
#include "core/clock.h"
#include "fetch/replay_transport.h"
#include "http/http.h"
#include "http/router.h"
#include "scheduler/planner.h"
#include "scheduler/scheduler.h"
#include "sources/source.h"
#include "store/sqlite/sqlite_store.h"

#ifndef MU_DEFAULT_SOURCE_DIR
#define MU_DEFAULT_SOURCE_DIR "."
#endif

namespace mu {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Request URLs of the built-in boards, as listed in their fixtures/replay.tsv.
constexpr char kWeiboUrl[] = "https://weibo.com/ajax/side/hotSearch";
constexpr char kHackerNewsUrl[] = "https://news.ycombinator.com/";
constexpr char kV2exUrl[] = "https://www.v2ex.com/api/topics/hot.json";
constexpr char kZhihuUrl[] = "https://www.zhihu.com/api/v3/feed/topstory/hot-lists/total?limit=50";
constexpr char kGithubUrl[] = "https://github.com/trending";

constexpr char kWeibo[] = "weibo.hot-search";
constexpr char kHackerNews[] = "hackernews.front";
constexpr char kV2ex[] = "v2ex.hot";
constexpr char kZhihu[] = "zhihu.hot";
constexpr char kGithub[] = "github.trending";

fs::path source_dir() {
  const char* env = std::getenv("MU_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return fs::path(env);
  return fs::path(MU_DEFAULT_SOURCE_DIR);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, std::string_view data) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// A Transport decorator: requests for a URL with a fault installed are answered by the
// fault; every other request goes to the wrapped (good) transport. Counts requests per URL
// and remembers the last request of each. Safe for concurrent use.
class FaultInjector final : public Transport {
 public:
  using Fault = std::function<Result<HttpResponse>(const HttpRequest&)>;

  explicit FaultInjector(Transport& good) : good_(good) {}

  void set_fault(const std::string& url, Fault fault) {
    std::lock_guard lock(mu_);
    faults_[url] = std::move(fault);
  }
  void clear_faults() {
    std::lock_guard lock(mu_);
    faults_.clear();
  }
  int calls(const std::string& url) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(url);
    return it == calls_.end() ? 0 : it->second;
  }
  int total_calls() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [url, count] : calls_) n += count;
    return n;
  }
  HttpRequest last_request(const std::string& url) const {
    std::lock_guard lock(mu_);
    auto it = last_.find(url);
    return it == last_.end() ? HttpRequest{} : it->second;
  }

  Result<HttpResponse> fetch(const HttpRequest& request) override {
    Fault fault;
    {
      std::lock_guard lock(mu_);
      ++calls_[request.url];
      last_[request.url] = request;
      auto it = faults_.find(request.url);
      if (it != faults_.end()) fault = it->second;
    }
    if (fault) return fault(request);
    return good_.fetch(request);
  }

 private:
  Transport& good_;
  mutable std::mutex mu_;
  std::map<std::string, Fault> faults_;
  std::map<std::string, int> calls_;
  std::map<std::string, HttpRequest> last_;
};

class FailureModesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::path(::testing::TempDir()) / "mu-failure-modes-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << "mkdtemp " << tmpl;
    root_ = tmpl;

    // The good fixtures: a copy of every site's fixtures/ folder.
    const fs::path sources = source_dir() / "src" / "sources";
    ASSERT_TRUE(fs::is_directory(sources)) << sources << " (set MU_SOURCE_DIR)";
    for (const auto& entry : fs::directory_iterator(sources)) {
      const fs::path fixtures = entry.path() / "fixtures";
      if (!fs::is_directory(fixtures)) continue;
      const fs::path dest = root_ / "good" / entry.path().filename() / "fixtures";
      fs::create_directories(dest);
      fs::copy(fixtures, dest, fs::copy_options::recursive);
    }
    auto good = ReplayTransport::load({root_ / "good"});
    ASSERT_TRUE(good.ok()) << good.status().to_string();
    good_ = std::move(good).value();
    transport_ = std::make_unique<FaultInjector>(*good_);

    ASSERT_TRUE(register_builtin_sources(registry_).ok());
    for (const Source* s : registry_.boards()) boards_.push_back(s->meta());
    ASSERT_GE(boards_.size(), 5u);
    for (const char* id : {kWeibo, kHackerNews, kV2ex, kZhihu, kGithub}) {
      ASSERT_NE(registry_.find(id), nullptr) << id;
    }

    db_path_ = root_ / "mu.db";
    ASSERT_NO_FATAL_FAILURE(open_store());
    collector_ =
        std::make_unique<LocalCollector>(registry_, *transport_, clock_, LocalCollector::Options{});
    ASSERT_NO_FATAL_FAILURE(start_roles());
  }

  void TearDown() override {
    stop_roles();
    collector_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  void open_store() {
    SqliteStoreOptions opts;
    opts.clock = &clock_;
    auto store = open_sqlite_store(db_path_.string(), opts);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->migrate().ok());
    ASSERT_TRUE(store_->sync_catalogue(registry_.sites(), boards_).ok());
  }

  // The roles of `mu serve` minus the network server, in the order wiring.cc starts them.
  void start_roles() {
    api_ = std::make_unique<ApiService>(registry_.sites(), boards_, *store_, coord_);
    Status started = api_->start();
    ASSERT_TRUE(started.ok()) << started.to_string();
    router_ = std::make_unique<Router>();
    api_->register_routes(*router_);
    ASSERT_TRUE(router_->status().ok()) << router_->status().to_string();
    Scheduler::Options opts;
    opts.workers = 1;
    opts.retry_base = milliseconds(1000);
    opts.retry_cap = kRetryCap;
    opts.seed = 42;
    scheduler_ = std::make_unique<Scheduler>(boards_, *collector_, *store_, coord_, clock_, opts);
    Status loaded = scheduler_->load_state();
    ASSERT_TRUE(loaded.ok()) << loaded.to_string();
  }

  void stop_roles() {
    scheduler_.reset();
    router_.reset();
    api_.reset();
  }

  const BoardMeta& meta(const std::string& id) const {
    for (const auto& b : boards_) {
      if (b.id == id) return b;
    }
    ADD_FAILURE() << "no board " << id;
    return boards_.front();
  }

  // The slot the planner gives `board` at the fake clock's current time.
  int64_t current_slot(const std::string& board) const {
    const Schedule& s = meta(board).schedule;
    return slot_at_or_before(clock_.now_ms() / 1000, s.every.count(),
                             jitter_offset(board, s.every, s.jitter));
  }

  Response get(const std::string& target) {
    Request req;
    Status st = req.set_target(target);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return router_->handle(req);
  }

  json::value get_json(const std::string& target, int want_status = 200) {
    Response r = get(target);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body_view();
    std::error_code ec;
    json::value v = json::parse(r.body_view(), ec);
    EXPECT_FALSE(ec) << target << ": not JSON: " << r.body_view();
    return v;
  }

  json::value board_json(const std::string& id) { return get_json("/api/v1/boards/" + id); }

  json::value catalogue_entry(const std::string& id) {
    json::value cat = get_json("/api/v1/boards");
    if (!cat.is_object() || !cat.as_object().contains("boards")) return nullptr;
    for (const auto& b : cat.at("boards").as_array()) {
      if (b.at("id").as_string() == id) return b;
    }
    ADD_FAILURE() << "catalogue does not list " << id;
    return nullptr;
  }

  std::vector<RunRecord> runs(const std::string& board) {
    auto r = store_->runs(board, 100);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<RunRecord>{};
  }

  // Ranks are exactly 1..n in order.
  static void expect_ranks_in_order(const json::value& board) {
    const auto& items = board.at("items").as_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].at("rank").as_int64(), static_cast<int64_t>(i) + 1);
    }
  }

  // First tick: every board is due and fetched from the good fixtures.
  void fetch_all_good() {
    const int ran = scheduler_->tick();
    EXPECT_EQ(ran, static_cast<int>(boards_.size()));
    for (const auto& b : boards_) {
      json::value v = board_json(b.id);
      ASSERT_TRUE(v.is_object());
      ASSERT_FALSE(v.at("items").as_array().empty()) << b.id << " has no items";
      EXPECT_FALSE(v.at("stale").as_bool()) << b.id;
      EXPECT_TRUE(v.at("error").is_null()) << b.id;
      EXPECT_FALSE(v.at("fetched_at").is_null()) << b.id;
      expect_ranks_in_order(v);
      auto r = runs(b.id);
      ASSERT_EQ(r.size(), 1u) << b.id;
      EXPECT_EQ(r[0].status, "ok") << b.id;
    }
  }

  // Moves the fake clock to the start of the board's next slot (so a whole period lies
  // ahead for retries) and runs one planning round.
  int tick_next_slot(const std::string& board) {
    const int64_t next_ms = (current_slot(board) + meta(board).schedule.every.count()) * 1000;
    clock_.advance(milliseconds(next_ms - clock_.now_ms()));
    return scheduler_->tick();
  }

  // Makes requests for `url` answer from a broken fixture written to faults/<name>/.
  void install_replay_fault(const std::string& name, const std::string& url,
                            const std::string& file, std::string_view body, int status,
                            const std::string& content_type) {
    const fs::path dir = root_ / "faults" / name;
    write_file(dir / file, body);
    write_file(dir / "replay.tsv", "# broken variant: " + name + "\nGET\t" + url + "\t" + file +
                                       "\t" + std::to_string(status) + "\t" + content_type + "\n");
    auto replay = ReplayTransport::load({dir});
    ASSERT_TRUE(replay.ok()) << replay.status().to_string();
    std::shared_ptr<Transport> t = std::move(replay).value();
    transport_->set_fault(url, [t](const HttpRequest& r) { return t->fetch(r); });
  }

  // (a) + (b) + (c) after a failed run of `board` with category `code`.
  void expect_failure_isolated(const std::string& board, const std::string& code,
                               const json::value& before, const std::string& before_etag) {
    // (a) the typed error, in the runs table and in the API.
    auto r = runs(board);
    ASSERT_GE(r.size(), 2u);
    EXPECT_EQ(r.front().status, code) << r.front().error_message;
    EXPECT_NE(r.front().error_message.find(board), std::string::npos) << r.front().error_message;
    EXPECT_EQ(r.back().status, "ok");

    Response raw = get("/api/v1/boards/" + board);
    ASSERT_EQ(raw.status, 200);
    EXPECT_NE(raw.etag, before_etag) << "the body changed (stale, error) so its ETag must";
    json::value after = json::parse(raw.body_view());
    EXPECT_TRUE(after.at("stale").as_bool());
    ASSERT_TRUE(after.at("error").is_object()) << json::serialize(after.at("error"));
    EXPECT_EQ(after.at("error").at("code").as_string(), code);
    EXPECT_FALSE(after.at("error").at("message").as_string().empty());
    EXPECT_FALSE(after.at("error").at("at").is_null());

    // (b) the last good items, unchanged.
    EXPECT_EQ(after.at("items"), before.at("items"));
    EXPECT_EQ(after.at("version"), before.at("version"));
    EXPECT_EQ(after.at("fetched_at"), before.at("fetched_at"));
    EXPECT_NE(after.at("last_run_at"), before.at("last_run_at"));

    json::value entry = catalogue_entry(board);
    ASSERT_TRUE(entry.is_object());
    EXPECT_TRUE(entry.at("stale").as_bool());
    ASSERT_TRUE(entry.at("error").is_object());
    EXPECT_EQ(entry.at("error").at("code").as_string(), code);
    EXPECT_EQ(entry.at("fetched_at"), before.at("fetched_at"));
    EXPECT_EQ(entry.at("item_count").as_int64(),
              static_cast<int64_t>(before.at("items").as_array().size()));

    // (c) everything else keeps answering.
    expect_others_healthy(board);
  }

  void expect_others_healthy(const std::string& except) {
    for (const auto& b : boards_) {
      if (b.id == except) continue;
      json::value v = board_json(b.id);
      ASSERT_TRUE(v.is_object()) << b.id;
      EXPECT_FALSE(v.at("items").as_array().empty()) << b.id;
      EXPECT_FALSE(v.at("stale").as_bool()) << b.id;
      EXPECT_TRUE(v.at("error").is_null()) << b.id;
      expect_ranks_in_order(v);
    }
    EXPECT_EQ(get("/healthz").status, 200);
    EXPECT_EQ(get("/readyz").status, 200);
    EXPECT_EQ(get("/api/v1/sites").status, 200);
    json::value missing = get_json("/api/v1/boards/nope.nope", 404);
    EXPECT_EQ(missing.at("error").at("code").as_string(), "not-found");
  }

  static constexpr milliseconds kRetryCap{4000};

  fs::path root_;
  fs::path db_path_;
  FakeClock clock_;
  LocalCoordinator coord_;
  SourceRegistry registry_;
  std::vector<BoardMeta> boards_;
  std::unique_ptr<ReplayTransport> good_;
  std::unique_ptr<FaultInjector> transport_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<LocalCollector> collector_;
  std::unique_ptr<ApiService> api_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Scheduler> scheduler_;
};

// 1. A JSON body cut off in the middle (a dropped connection the server still sent 200 for).
TEST_F(FailureModesTest, TruncatedJsonIsParseErrorAndKeepsLastGoodItems) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  Response good = get("/api/v1/boards/weibo.hot-search");
  json::value before = json::parse(good.body_view());

  const std::string full = read_file(root_ / "good/weibo/fixtures/hot-search.json");
  ASSERT_GT(full.size(), 1000u);
  ASSERT_NO_FATAL_FAILURE(install_replay_fault("truncated", kWeiboUrl, "hot-search.json",
                                               std::string_view(full).substr(0, full.size() / 2),
                                               200, "application/json"));
  const int calls = transport_->calls(kWeiboUrl);
  EXPECT_GE(tick_next_slot(kWeibo), 1);
  EXPECT_EQ(transport_->calls(kWeiboUrl), calls + 1);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kWeibo, "parse", before, good.etag));

  // A parse error is not retried: the same body would come back.
  clock_.advance(kRetryCap);
  scheduler_->tick();
  EXPECT_EQ(transport_->calls(kWeiboUrl), calls + 1);
  EXPECT_EQ(runs(kWeibo).size(), 2u);
  for (const auto& run : runs(kWeibo)) EXPECT_EQ(run.stats.collector, "local");  // ok and failed
}

// 2. An HTML page without the story rows (Hacker News's rate-limit / captcha page).
TEST_F(FailureModesTest, HtmlWithoutExpectedNodesIsParseError) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  Response good = get("/api/v1/boards/hackernews.front");
  json::value before = json::parse(good.body_view());

  const std::string captcha =
      "<!DOCTYPE html><html><head><title>Sorry.</title></head><body>"
      "<p>Sorry, we're not able to serve your requests this quickly.</p>"
      "<form action=\"/verify\" method=\"post\"><div class=\"captcha\">"
      "<img src=\"/captcha.png\" alt=\"captcha\"><input name=\"answer\">"
      "<a href=\"javascript:void(0)\">refresh</a></div>"
      "<table><tr class=\"spacer\"><td>&nbsp;</td></tr></table></form></body></html>";
  ASSERT_NO_FATAL_FAILURE(install_replay_fault("captcha", kHackerNewsUrl, "sorry.html", captcha,
                                               200, "text/html; charset=utf-8"));
  EXPECT_GE(tick_next_slot(kHackerNews), 1);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kHackerNews, "parse", before, good.etag));
  EXPECT_NE(runs(kHackerNews).front().error_message.find("Sorry."), std::string::npos)
      << "the message should quote the page title: " << runs(kHackerNews).front().error_message;
}

// 3. HTTP 500: retried with backoff under the same dispatch id, each attempt a run row.
TEST_F(FailureModesTest, Http500IsHttpErrorRetriedWithSameDispatchId) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  Response good = get("/api/v1/boards/weibo.hot-search");
  json::value before = json::parse(good.body_view());

  // Two retries for this board (three attempts), changed live as the config would.
  BoardMeta weibo = meta(kWeibo);
  weibo.schedule.retries = 2;
  scheduler_->update_board(weibo, true);

  ASSERT_NO_FATAL_FAILURE(install_replay_fault(
      "http500", kWeiboUrl, "error.html",
      "<html><body><h1>500 Internal Server Error</h1></body></html>", 500, "text/html"));
  const Scheduler::Counters c0 = scheduler_->counters();
  const int calls = transport_->calls(kWeiboUrl);
  EXPECT_GE(tick_next_slot(kWeibo), 1);
  const int64_t slot = current_slot(kWeibo);
  const std::string dispatch_id = std::string(kWeibo) + "@" + std::to_string(slot);
  EXPECT_EQ(transport_->calls(kWeiboUrl), calls + 1);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kWeibo, "http", before, good.etag));
  EXPECT_NE(runs(kWeibo).front().error_message.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(runs(kWeibo).front().stats.attempt, 1);

  // Each retry is due within the backoff cap (full jitter below it), well inside the slot.
  // Other boards may reach their own slots meanwhile, so only weibo's requests are counted.
  for (int attempt = 2; attempt <= 3; ++attempt) {
    clock_.advance(kRetryCap);
    scheduler_->tick();
    EXPECT_EQ(transport_->calls(kWeiboUrl), calls + attempt) << "attempt " << attempt;
    ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kWeibo, "http", before, good.etag));
  }
  // No fourth attempt: the retries are used up and the next slot is minutes away.
  clock_.advance(kRetryCap * 4);
  scheduler_->tick();
  EXPECT_EQ(transport_->calls(kWeiboUrl), calls + 3);
  ASSERT_EQ(current_slot(kWeibo), slot);

  auto r = runs(kWeibo);
  ASSERT_EQ(r.size(), 4u);  // the good run + three attempts
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r[i].status, "http");
    EXPECT_EQ(r[i].dispatch_id, dispatch_id);
    EXPECT_EQ(r[i].stats.attempt, 3 - i);  // newest first
    EXPECT_EQ(r[i].slot, slot);
    EXPECT_EQ(r[i].epoch, coord_.leader_epoch());
  }
  EXPECT_NE(r[3].dispatch_id, dispatch_id);
  const Scheduler::Counters c1 = scheduler_->counters();
  EXPECT_EQ(c1.failed - c0.failed, 3);
  EXPECT_EQ(c1.retried - c0.retried, 2);

  // The site recovers: the next slot commits and clears the error.
  transport_->clear_faults();
  EXPECT_GE(tick_next_slot(kWeibo), 1);
  json::value healed = board_json(kWeibo);
  EXPECT_FALSE(healed.at("stale").as_bool());
  EXPECT_TRUE(healed.at("error").is_null());
  EXPECT_GT(healed.at("version").as_int64(), before.at("version").as_int64());
  EXPECT_EQ(runs(kWeibo).front().status, "ok");
}

// 4. A server that never answers: the transport gives up at the request timeout, which the
// collector clamps to the dispatch deadline (the board's timeout).
TEST_F(FailureModesTest, TimeoutIsTimeoutErrorAndKeepsLastGoodItems) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  Response good = get("/api/v1/boards/zhihu.hot");
  json::value before = json::parse(good.body_view());

  const milliseconds board_timeout(meta(kZhihu).schedule.timeout);
  std::vector<milliseconds> seen;
  transport_->set_fault(kZhihuUrl, [&](const HttpRequest& r) -> Result<HttpResponse> {
    seen.push_back(r.timeout);
    clock_.advance(r.timeout + milliseconds(1));  // hangs until the timeout fires, like curl
    return error(ErrorCode::kTimeout,
                 "timed out after " + std::to_string(r.timeout.count()) + " ms: " + r.url);
  });
  EXPECT_GE(tick_next_slot(kZhihu), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_LE(seen[0], board_timeout);
  EXPECT_GT(seen[0].count(), 0);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kZhihu, "timeout", before, good.etag));
  auto r = runs(kZhihu);
  EXPECT_GE(r.front().stats.finished_ms - r.front().stats.started_ms, seen[0].count());

  // Timeouts are retryable: one retry (the board's default), same dispatch id, same error.
  clock_.advance(kRetryCap);
  scheduler_->tick();
  EXPECT_EQ(seen.size(), 2u);
  r = runs(kZhihu);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].status, "timeout");
  EXPECT_EQ(r[0].stats.attempt, 2);
  EXPECT_EQ(r[0].dispatch_id, r[1].dispatch_id);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kZhihu, "timeout", before, good.etag));
  transport_->clear_faults();  // the fault refers to locals of this test
}

// 4b. The dispatch deadline itself: when the monotonic clock is past it by the time the
// source sends its request, the collector answers timeout without touching the transport.
TEST_F(FailureModesTest, DeadlinePassedBeforeRequestIsTimeout) {
  // Reads after the first (which sets the deadline) are an hour later.
  struct SkewingClock final : public Clock {
    explicit SkewingClock(const FakeClock& b) : base(b) {}
    WallTime now() const override { return base.now(); }
    MonoTime mono() const override {
      std::lock_guard lock(mu);
      return base.mono() + std::chrono::hours(reads++ == 0 ? 0 : 1);
    }
    const FakeClock& base;
    mutable std::mutex mu;
    mutable int reads = 0;
  };
  SkewingClock late(clock_);
  LocalCollector collector(registry_, *transport_, late, LocalCollector::Options{});
  auto out = collector.collect(Dispatch{kZhihu, current_slot(kZhihu), 1, 1, milliseconds(0)});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.code(), ErrorCode::kTimeout) << out.status().to_string();
  EXPECT_NE(out.error_message().find(kZhihu), std::string::npos) << out.error_message();
  EXPECT_EQ(transport_->total_calls(), 0);
}

// 5. A body over the 8 MiB default cap of HttpRequest.
TEST_F(FailureModesTest, HugeBodyIsTooLargeAndNotRetried) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  Response good = get("/api/v1/boards/github.trending");
  json::value before = json::parse(good.body_view());

  std::string huge = "<!DOCTYPE html><html><body>";
  const std::string row =
      "<article class=\"Box-row\"><h2><a href=\"/a/b\">a / b</a></h2></article>\n";
  while (huge.size() < (20u << 20)) huge += row;
  huge += "</body></html>";
  ASSERT_GE(huge.size(), 20u << 20);
  ASSERT_NO_FATAL_FAILURE(install_replay_fault("huge", kGithubUrl, "trending.html", huge, 200,
                                               "text/html; charset=utf-8"));
  EXPECT_GE(tick_next_slot(kGithub), 1);
  EXPECT_EQ(transport_->last_request(kGithubUrl).max_body_bytes, std::size_t{8} << 20);
  ASSERT_NO_FATAL_FAILURE(expect_failure_isolated(kGithub, "too-large", before, good.etag));

  // Too-large is not retryable: the next attempt waits for the next slot.
  const int calls = transport_->calls(kGithubUrl);
  clock_.advance(kRetryCap);
  scheduler_->tick();
  EXPECT_EQ(transport_->calls(kGithubUrl), calls);
  EXPECT_EQ(runs(kGithub).size(), 2u);
}

// 6. One item with a javascript: URL: that item is dropped, the rest are committed.
TEST_F(FailureModesTest, JavascriptUrlItemIsDroppedRestCommitted) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  json::value before = board_json(kV2ex);
  const auto& before_items = before.at("items").as_array();

  json::value topics = json::parse(read_file(root_ / "good/v2ex/fixtures/hot.json"));
  ASSERT_TRUE(topics.is_array());
  ASSERT_GE(topics.as_array().size(), 3u);
  ASSERT_EQ(before_items.size(), topics.as_array().size());
  const std::string bad_title(topics.as_array()[1].at("title").as_string());
  topics.as_array()[1].as_object()["url"] = "javascript:alert(document.cookie)";
  ASSERT_NO_FATAL_FAILURE(install_replay_fault("javascript-url", kV2exUrl, "hot.json",
                                               json::serialize(topics), 200,
                                               "application/json;charset=UTF-8"));
  EXPECT_GE(tick_next_slot(kV2ex), 1);

  auto r = runs(kV2ex);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, "ok") << r[0].error_message;
  EXPECT_EQ(r[0].stats.item_count, static_cast<int>(before_items.size()) - 1);

  json::value after = board_json(kV2ex);
  EXPECT_FALSE(after.at("stale").as_bool());
  EXPECT_TRUE(after.at("error").is_null());
  EXPECT_GT(after.at("version").as_int64(), before.at("version").as_int64());
  const auto& items = after.at("items").as_array();
  ASSERT_EQ(items.size(), before_items.size() - 1);
  expect_ranks_in_order(after);
  std::vector<std::string> want;
  for (const auto& it : before_items) {
    if (it.at("title").as_string() != bad_title) want.emplace_back(it.at("url").as_string());
  }
  ASSERT_EQ(want.size(), items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].at("url").as_string(), want[i]);
    EXPECT_NE(items[i].at("title").as_string(), bad_title);
    const std::string url(items[i].at("url").as_string());
    EXPECT_EQ(url.rfind("https://", 0), 0u) << url;
  }
  EXPECT_EQ(std::string(after.at("items").as_array().front().at("title").as_string()),
            std::string(before_items.front().at("title").as_string()));
  expect_others_healthy(kV2ex);
}

// A board never fetched renders as an empty list, not as an error.
TEST_F(FailureModesTest, NeverFetchedBoardIsEmptyWithNullFetchedAt) {
  for (const auto& b : boards_) {
    json::value v = board_json(b.id);
    ASSERT_TRUE(v.is_object()) << b.id;
    EXPECT_TRUE(v.at("items").as_array().empty()) << b.id;
    EXPECT_TRUE(v.at("fetched_at").is_null()) << b.id;
    EXPECT_TRUE(v.at("last_run_at").is_null()) << b.id;
    EXPECT_FALSE(v.at("stale").as_bool()) << b.id;
    EXPECT_TRUE(v.at("error").is_null()) << b.id;
    EXPECT_EQ(v.at("version").as_int64(), 0) << b.id;
    json::value entry = catalogue_entry(b.id);
    ASSERT_TRUE(entry.is_object());
    EXPECT_TRUE(entry.at("fetched_at").is_null()) << b.id;
    EXPECT_EQ(entry.at("item_count").as_int64(), 0) << b.id;
  }
  EXPECT_EQ(transport_->total_calls(), 0);
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(get("/readyz").status, 200);

  // If its very first fetch fails, it is still an empty list, now with the error.
  ASSERT_NO_FATAL_FAILURE(install_replay_fault("first-fails", kWeiboUrl, "hot-search.json",
                                               "{\"ok\":", 200, "application/json"));
  EXPECT_EQ(scheduler_->tick(), static_cast<int>(boards_.size()));
  json::value v = board_json(kWeibo);
  EXPECT_TRUE(v.at("items").as_array().empty());
  EXPECT_TRUE(v.at("fetched_at").is_null());
  EXPECT_FALSE(v.at("last_run_at").is_null());
  EXPECT_TRUE(v.at("stale").as_bool());
  ASSERT_TRUE(v.at("error").is_object());
  EXPECT_EQ(v.at("error").at("code").as_string(), "parse");
  expect_others_healthy(kWeibo);
}

// A restart (new Scheduler + ApiService on the same SQLite file) serves the last good data
// at once and does not refetch boards whose slot already ran.
TEST_F(FailureModesTest, RestartServesLastGoodDataWithoutFetching) {
  ASSERT_NO_FATAL_FAILURE(fetch_all_good());
  // One board is stale when the process stops; that survives the restart too.
  ASSERT_NO_FATAL_FAILURE(
      install_replay_fault("restart-500", kWeiboUrl, "error.html", "oops", 503, "text/plain"));
  EXPECT_GE(tick_next_slot(kWeibo), 1);
  clock_.advance(kRetryCap);
  scheduler_->tick();  // the retry fails too
  transport_->clear_faults();

  std::map<std::string, Response> before;
  for (const auto& b : boards_) before[b.id] = get("/api/v1/boards/" + b.id);
  const std::string catalogue_before(get("/api/v1/boards").body_view());

  stop_roles();
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(open_store());
  const int calls = transport_->total_calls();
  ASSERT_NO_FATAL_FAILURE(start_roles());

  for (const auto& b : boards_) {
    Response r = get("/api/v1/boards/" + b.id);
    ASSERT_EQ(r.status, 200) << b.id;
    EXPECT_EQ(r.body_view(), before[b.id].body_view()) << b.id;
    EXPECT_EQ(r.etag, before[b.id].etag) << b.id << ": ETags must survive restarts";
  }
  EXPECT_EQ(get("/api/v1/boards").body_view(), catalogue_before);
  json::value weibo = board_json(kWeibo);
  EXPECT_TRUE(weibo.at("stale").as_bool());
  EXPECT_EQ(weibo.at("error").at("code").as_string(), "http");
  EXPECT_FALSE(weibo.at("items").as_array().empty());

  // Planning at the same moment: every board's current slot already ran.
  EXPECT_EQ(scheduler_->tick(), 0);
  EXPECT_EQ(transport_->total_calls(), calls);

  // The next slot after the restart fetches again and heals the stale board.
  const int weibo_calls = transport_->calls(kWeiboUrl);
  EXPECT_GE(tick_next_slot(kWeibo), 1);
  EXPECT_EQ(transport_->calls(kWeiboUrl), weibo_calls + 1);
  json::value healed = board_json(kWeibo);
  EXPECT_FALSE(healed.at("stale").as_bool());
  EXPECT_TRUE(healed.at("error").is_null());
}

}  // namespace
}  // namespace mu
