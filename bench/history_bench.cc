// mu_bench_history: simulated days of every board into a real store, then the history
// queries timed. Run by bench/history.sh, which prepares the catalogue (`mu sources --json`)
// and a corpus of real-looking items (`mu fetch BOARD --replay src/sources --json` for each
// board). Prints figures; never asserts timings.
//
//   mu_bench_history --store sqlite:///tmp/h.db|postgresql://... --boards boards.json
//                    --corpus DIR [--days 90] [--full-days 7] [--seed 1] [--queries 200]
//                    [--history-off]
//
// The simulation: each board is fetched at its default interval (with a random phase) for
// --days days ending now. A rank board keeps its size; every hour about 12 % of its items
// are replaced by new ones (lower ranks more often) and every item's heat drifts by a few
// percent per fetch, which reorders the list. A stream board gets about 12 new items an
// hour on top and drops the oldest. New items splice two corpus titles (any board), and one
// in seven repeats a title that is on another board right now (the same story on two
// sites). Once a simulated day the store compacts history (points older than --full-days
// become hourly) and prunes snapshots beyond the newest 500 per board, as the scheduler does.
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/search_text.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace mu {
namespace {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;

struct CorpusItem {
  std::string title;
  std::string url;
  std::string summary;
  std::optional<double> hot;
};

struct SimItem {
  std::string key;
  std::string title;
  std::string url;
  std::string summary;
  double hot = 0;
  bool has_hot = false;
};

struct SimBoard {
  BoardMeta meta;
  std::vector<SimItem> items;
  size_t size = 0;
};

struct Args {
  std::string store;
  std::string boards;
  std::string corpus;
  int days = 90;
  int full_days = 7;
  uint64_t seed = 1;
  int queries = 200;
  bool history = true;   // --history-off: commits without points and search entries
  bool simulate = true;  // --queries-only: query the store a run before left (same --days)
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

void print_latency(const std::string& what, const std::vector<double>& ms) {
  std::printf("  %-34s n=%-5zu p50 %8.2f ms   p99 %8.2f ms\n", what.c_str(), ms.size(),
              percentile(ms, 0.50), percentile(ms, 0.99));
}

template <typename F>
double time_ms(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class Simulation {
 public:
  Simulation(const Args& args, Store& store) : args_(args), store_(store), rng_(args.seed) {}

  Status load() {
    const json::value boards = json::parse(read_file(args_.boards));
    std::map<std::string, Site> sites;
    for (const json::value& b : boards.as_array()) {
      const json::object& o = b.as_object();
      SimBoard board;
      board.meta.id = std::string(o.at("id").as_string());
      board.meta.site = std::string(o.at("site").as_string());
      board.meta.name_zh = std::string(o.at("name").as_string());
      board.meta.kind =
          o.at("kind").as_string() == "stream" ? BoardKind::kStream : BoardKind::kRank;
      board.meta.schedule.every = std::chrono::seconds(o.at("every_seconds").to_number<int64_t>());
      const std::string path = args_.corpus + "/" + board.meta.id + ".json";
      if (!std::filesystem::exists(path)) continue;
      json::value items;
      try {
        items = json::parse(read_file(path));
      } catch (const std::exception&) {
        continue;
      }
      for (const json::value& it : items.as_array()) {
        const json::object& io = it.as_object();
        CorpusItem c;
        c.title = std::string(io.at("title").as_string());
        c.url = std::string(io.at("url").as_string());
        if (auto* s = io.if_contains("summary")) c.summary = std::string(s->as_string());
        if (auto* h = io.if_contains("hot")) c.hot = h->to_number<double>();
        corpus_.push_back(c);
        SimItem item;
        item.key = "c" + std::to_string(next_key_++);
        item.title = c.title;
        item.url = c.url;
        item.summary = c.summary;
        item.has_hot = c.hot.has_value();
        item.hot = c.hot.value_or(0);
        board.items.push_back(std::move(item));
      }
      if (board.items.empty()) continue;
      board.size = board.items.size();
      Site site;
      site.id = board.meta.site;
      site.name_en = site.id;
      sites[site.id] = site;
      boards_.push_back(std::move(board));
    }
    std::vector<Site> site_list;
    for (auto& [id, s] : sites) site_list.push_back(s);
    std::vector<BoardMeta> metas;
    for (const SimBoard& b : boards_) metas.push_back(b.meta);
    std::printf("catalogue: %zu boards on %zu sites, corpus of %zu items\n", boards_.size(),
                site_list.size(), corpus_.size());
    return store_.sync_catalogue(site_list, metas);
  }

  // Runs the simulated days; returns the commit times (ms).
  Status run(int64_t start_ms, int64_t end_ms) {
    using Due = std::pair<int64_t, size_t>;  // (time, board index)
    std::priority_queue<Due, std::vector<Due>, std::greater<>> queue;
    for (size_t i = 0; i < boards_.size(); ++i) {
      const int64_t every = boards_[i].meta.schedule.every.count() * 1000;
      queue.push({start_ms + static_cast<int64_t>(rng_() % static_cast<uint64_t>(every)), i});
    }
    int64_t next_compact = start_ms + kDayMs;
    int64_t last_report = start_ms;
    while (!queue.empty() && queue.top().first < end_ms) {
      auto [t, i] = queue.top();
      queue.pop();
      if (t >= next_compact) {
        const double ms = time_ms([&] {
          auto r = store_.compact_history(next_compact - args_.full_days * kDayMs, 0);
          if (!r.ok()) std::fprintf(stderr, "compact: %s\n", r.status().to_string().c_str());
        });
        // The scheduler's pruning too (storage.keep_snapshots, default 50 per board, and
        // storage.keep_runs_days, default 30).
        if (auto pruned = store_.prune_snapshots(50); !pruned.ok()) {
          std::fprintf(stderr, "prune: %s\n", pruned.status().to_string().c_str());
        }
        if (auto pruned = store_.prune_runs(next_compact - 30 * kDayMs); !pruned.ok()) {
          std::fprintf(stderr, "prune runs: %s\n", pruned.status().to_string().c_str());
        }
        compact_ms_.push_back(ms);
        next_compact += kDayMs;
      }
      SimBoard& board = boards_[i];
      const int64_t every = board.meta.schedule.every.count() * 1000;
      step(board, every);
      CommitRequest req;
      req.board = board.meta.id;
      req.epoch = 1;
      req.slot = t / 1000;
      req.dispatch_id = board.meta.id + "@" + std::to_string(req.slot);
      req.stats.started_ms = t - 200;
      req.stats.finished_ms = t;
      req.stats.item_count = static_cast<int>(board.items.size());
      for (const SimItem& s : board.items) {
        Item item;
        item.key = s.key;
        item.title = s.title;
        item.url = s.url;
        item.summary = s.summary;
        if (s.has_hot) item.hot = std::round(s.hot);
        req.items.push_back(std::move(item));
      }
      Status status;
      commit_ms_.push_back(time_ms([&] { status = store_.commit_snapshot(req).status(); }));
      if (!status.ok()) return status;
      ++commits_;
      observations_ += static_cast<int64_t>(board.items.size());
      queue.push({t + every, i});
      if (t - last_report >= 10 * kDayMs) {
        last_report = t;
        std::fprintf(stderr, "  simulated to day %lld: %lld commits\n",
                     static_cast<long long>((t - start_ms) / kDayMs),
                     static_cast<long long>(commits_));
      }
      if (sample_.size() < 2000 || rng_() % 64 == 0) {
        const SimItem& s = board.items[rng_() % board.items.size()];
        if (sample_.size() < 2000) {
          sample_.push_back({board.meta.id, s.key});
        } else {
          sample_[rng_() % sample_.size()] = {board.meta.id, s.key};
        }
      }
    }
    return Status();
  }

  void report_ingest() const {
    double sum = 0;
    for (double ms : commit_ms_) sum += ms;
    std::printf("ingest: %lld commits, %lld item observations, %lld new items\n",
                static_cast<long long>(commits_), static_cast<long long>(observations_),
                static_cast<long long>(next_key_));
    std::printf(
        "  commit mean %.3f ms, p50 %.3f ms, p99 %.3f ms; daily compaction p50 %.1f ms, "
        "max %.1f ms\n",
        commit_ms_.empty() ? 0 : sum / static_cast<double>(commit_ms_.size()),
        percentile(commit_ms_, 0.5), percentile(commit_ms_, 0.99), percentile(compact_ms_, 0.5),
        compact_ms_.empty() ? 0 : *std::max_element(compact_ms_.begin(), compact_ms_.end()));
  }

  void run_queries(int64_t start_ms, int64_t end_ms) {
    std::printf("queries (%d of each kind):\n", args_.queries);
    std::vector<std::u32string> titles;
    for (const CorpusItem& c : corpus_) titles.push_back(search::decode_utf8(c.title));
    auto cjk_run = [&](size_t length) -> std::string {
      for (int attempt = 0; attempt < 1000; ++attempt) {
        const std::u32string& t = titles[rng_() % titles.size()];
        if (t.size() < length) continue;
        const size_t at = rng_() % (t.size() - length + 1);
        const std::u32string part = t.substr(at, length);
        if (std::all_of(part.begin(), part.end(), [](char32_t c) { return search::is_cjk(c); })) {
          return search::encode_utf8(part);
        }
      }
      return "";
    };
    auto english_word = [&]() -> std::string {
      for (int attempt = 0; attempt < 1000; ++attempt) {
        const std::vector<std::string> words =
            search::tokens(corpus_[rng_() % corpus_.size()].title);
        std::vector<std::string> latin;
        for (const std::string& w : words) {
          if (w.size() >= 3 &&
              std::all_of(w.begin(), w.end(), [](char c) { return (c >= 'a' && c <= 'z'); })) {
            latin.push_back(w);
          }
        }
        if (!latin.empty()) return latin[rng_() % latin.size()];
      }
      return "";
    };
    struct Kind {
      std::string name;
      std::function<std::string()> make;
      SearchOrder order = SearchOrder::kNewest;
    };
    const std::vector<Kind> kinds = {
        {"search: 1 Chinese character", [&] { return cjk_run(1); }},
        {"search: 2 Chinese characters", [&] { return cjk_run(2); }},
        {"search: 3-4 Chinese characters", [&] { return cjk_run(3 + rng_() % 2); }},
        {"search: an English word", english_word},
        {"search: Chinese + English", [&] { return cjk_run(2) + " " + english_word(); }},
        {"search: 2 characters, sort=rank", [&] { return cjk_run(2); }, SearchOrder::kBestRank},
    };
    for (const Kind& kind : kinds) {
      std::vector<double> ms;
      int64_t hits = 0;
      for (int i = 0; i < args_.queries; ++i) {
        const std::string q = kind.make();
        auto query = search::parse_query(q);
        if (!query.ok()) continue;
        SearchRequest req;
        req.query = *query;
        req.limit = 20;
        req.facets = true;
        req.order = kind.order;
        Result<SearchResult> r = SearchResult{};
        ms.push_back(time_ms([&] { r = store_.search(req); }));
        if (r.ok()) hits += r->total;
      }
      print_latency(kind.name, ms);
      std::printf("  %-34s mean total %.0f matches\n", "",
                  ms.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(ms.size()));
    }
    std::vector<double> timeline_ms;
    int64_t points = 0;
    for (int i = 0; i < args_.queries && !sample_.empty(); ++i) {
      const auto& [board, key] = sample_[rng_() % sample_.size()];
      Result<std::optional<ItemTimeline>> r = std::optional<ItemTimeline>{};
      timeline_ms.push_back(time_ms([&] { r = store_.item_timeline(board, key, 20); }));
      if (r.ok() && r->has_value()) points += static_cast<int64_t>((*r)->points.size());
    }
    print_latency("item timeline", timeline_ms);
    std::printf("  %-34s mean %.1f points\n", "",
                timeline_ms.empty()
                    ? 0.0
                    : static_cast<double>(points) / static_cast<double>(timeline_ms.size()));
    std::vector<double> at_ms;
    std::vector<double> day_ms;
    const int64_t days = std::max<int64_t>(1, (end_ms - start_ms) / kDayMs);
    for (int i = 0; i < args_.queries; ++i) {
      const SimBoard& board = boards_[rng_() % boards_.size()];
      const int64_t at =
          start_ms + static_cast<int64_t>(rng_() % static_cast<uint64_t>(end_ms - start_ms));
      at_ms.push_back(time_ms([&] { (void)store_.board_at(board.meta.id, at); }));
      const int64_t day =
          start_ms + static_cast<int64_t>(rng_() % static_cast<uint64_t>(days)) * kDayMs;
      day_ms.push_back(
          time_ms([&] { (void)store_.window_entries(board.meta.id, day, day + kDayMs, 100); }));
    }
    print_latency("board at an instant", at_ms);
    print_latency("board over a day", day_ms);
    std::vector<double> top_ms;
    for (int i = 0; i < 5; ++i) {
      const int64_t day = end_ms - (i + 2) * kDayMs;
      top_ms.push_back(time_ms([&] { (void)store_.window_entries("", day, day + kDayMs, 20000); }));
    }
    print_latency("day's top: every rank board", top_ms);
  }

 private:
  std::string splice_title() {
    const std::u32string a = search::decode_utf8(corpus_[rng_() % corpus_.size()].title);
    const std::u32string b = search::decode_utf8(corpus_[rng_() % corpus_.size()].title);
    const size_t cut_a = a.empty() ? 0 : rng_() % (a.size() / 2 + 1) + a.size() / 4;
    const size_t cut_b = b.empty() ? 0 : rng_() % (b.size() / 2 + 1);
    return search::encode_utf8(a.substr(0, cut_a) + b.substr(std::min(cut_b, b.size())));
  }

  SimItem new_item(const SimBoard& board) {
    SimItem item;
    item.key = "n" + std::to_string(next_key_++);
    if (rng_() % 7 == 0) {  // the same story as an item on another board right now
      const SimBoard& other = boards_[rng_() % boards_.size()];
      if (&other != &board && !other.items.empty()) {
        item.title = other.items[rng_() % other.items.size()].title;
      }
    }
    if (item.title.empty()) item.title = splice_title();
    item.url = "https://news.example.com/" + board.meta.site + "/" + item.key;
    return item;
  }

  void step(SimBoard& board, int64_t every_ms) {
    std::normal_distribution<double> drift(0.0, 0.04);
    const double hours = static_cast<double>(every_ms) / static_cast<double>(kHourMs);
    if (board.meta.kind == BoardKind::kStream) {
      std::poisson_distribution<int> arrivals(12.0 * hours);
      const int n = arrivals(rng_);
      for (int k = 0; k < n; ++k) board.items.insert(board.items.begin(), new_item(board));
      if (board.items.size() > board.size) board.items.resize(board.size);
      return;
    }
    std::poisson_distribution<int> leaving(0.12 * hours * static_cast<double>(board.size));
    const int n = std::min<int>(leaving(rng_), static_cast<int>(board.items.size()));
    for (int k = 0; k < n; ++k) {
      // Lower ranks leave more often: pick from the bottom half two times in three.
      const size_t size = board.items.size();
      const size_t at = rng_() % 3 != 0 ? size / 2 + rng_() % (size - size / 2) : rng_() % size;
      SimItem fresh = new_item(board);
      const SimItem& old = board.items[at];
      fresh.has_hot = old.has_hot;
      fresh.hot = old.hot * (0.8 + 0.4 * static_cast<double>(rng_() % 1000) / 1000.0);
      board.items[at] = std::move(fresh);
    }
    bool any_hot = false;
    for (SimItem& item : board.items) {
      if (item.has_hot) {
        item.hot *= std::exp(drift(rng_));
        any_hot = true;
      }
    }
    if (any_hot) {
      std::stable_sort(board.items.begin(), board.items.end(),
                       [](const SimItem& a, const SimItem& b) { return a.hot > b.hot; });
    } else {
      for (size_t k = 0; k + 1 < board.items.size(); ++k) {
        if (rng_() % 8 == 0) std::swap(board.items[k], board.items[k + 1]);
      }
    }
  }

  const Args& args_;
  Store& store_;
  std::mt19937_64 rng_;
  std::vector<SimBoard> boards_;
  std::vector<CorpusItem> corpus_;
  std::vector<double> commit_ms_;
  std::vector<double> compact_ms_;
  std::vector<std::pair<std::string, std::string>> sample_;
  int64_t next_key_ = 0;
  int64_t commits_ = 0;
  int64_t observations_ = 0;
};

int run(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--store")
      args.store = value();
    else if (a == "--boards")
      args.boards = value();
    else if (a == "--corpus")
      args.corpus = value();
    else if (a == "--days")
      args.days = std::stoi(value());
    else if (a == "--full-days")
      args.full_days = std::stoi(value());
    else if (a == "--seed")
      args.seed = std::stoull(value());
    else if (a == "--queries")
      args.queries = std::stoi(value());
    else if (a == "--history-off")
      args.history = false;
    else if (a == "--queries-only")
      args.simulate = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (args.store.empty() || args.boards.empty() || args.corpus.empty()) {
    std::fprintf(stderr,
                 "usage: mu_bench_history --store URL --boards FILE --corpus DIR "
                 "[--days N] [--full-days N] [--seed N] [--queries N] [--history-off] "
                 "[--queries-only]\n");
    return 2;
  }
  SqliteStoreOptions sqlite_options;
  sqlite_options.record_history = args.history;
  PostgresStoreOptions postgres_options;
  postgres_options.record_history = args.history;
  Result<std::unique_ptr<Store>> store =
      args.store.starts_with("sqlite://")
          ? open_sqlite_store(args.store.substr(std::string_view("sqlite://").size()),
                              sqlite_options)
          : open_postgres_store(args.store, postgres_options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().to_string().c_str());
    return 1;
  }
  if (Status s = (*store)->migrate(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  Simulation sim(args, **store);
  if (Status s = sim.load(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  const int64_t end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t start_ms = end_ms - args.days * kDayMs;
  if (!args.simulate) {
    sim.run_queries(start_ms, end_ms);
    return 0;
  }
  const double wall = time_ms([&] {
    if (Status s = sim.run(start_ms, end_ms); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
      std::exit(1);
    }
  });
  std::printf("simulated %d days in %.1f s\n", args.days, wall / 1000);
  sim.report_ingest();
  if (args.queries > 0) sim.run_queries(start_ms, end_ms);
  return 0;
}

}  // namespace
}  // namespace mu

int main(int argc, char** argv) { return mu::run(argc, argv); }
