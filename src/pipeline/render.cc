#include "pipeline/render.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "core/compress.h"

namespace mu {
namespace json = boost::json;

namespace {

json::object site_object(const Site& site) {
  json::object o;
  o["id"] = site.id;
  o["name"] = site.name_zh;
  o["name_en"] = site.name_en;
  o["home"] = site.home;
  o["icon"] = site.icon;
  o["color"] = site.color;
  o["region"] = site.region;
  o["category"] = site.category;
  return o;
}

void put_if(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

json::value time_or_null(int64_t ms) {
  if (ms <= 0) return nullptr;
  return json::value(iso8601_utc(ms));
}

json::value error_or_null(const BoardState& st) {
  if (st.last_error_code.empty()) return nullptr;
  json::object e;
  e["code"] = st.last_error_code;
  e["message"] = st.last_error;
  e["at"] = time_or_null(st.last_run_at_ms);
  return e;
}

// Run history and the overdue point, shared by the catalogue entry and the board body.
void put_run_health(json::object& o, const BoardMeta& meta, const BoardState& st) {
  o["recent_runs"] = st.recent_runs;
  o["recent_ok"] = st.recent_ok;
  if (auto rate = success_rate(st)) {
    o["success_rate"] = *rate;
  } else {
    o["success_rate"] = nullptr;
  }
  o["due_by"] = time_or_null(due_by_ms(meta, st));
}

json::object board_header(const BoardMeta& meta) {
  json::object o;
  o["id"] = meta.id;
  o["name"] = meta.name_zh;
  o["name_en"] = meta.name_en;
  o["kind"] = std::string(board_kind_name(meta.kind));
  o["category"] = meta.category;
  o["group"] = meta.group;
  o["homepage"] = meta.homepage;
  o["every_seconds"] = meta.schedule.every.count();
  if (meta.schedule.cron.empty()) {
    o["cron"] = nullptr;
  } else {
    o["cron"] = meta.schedule.cron;
  }
  return o;
}

}  // namespace

uint64_t fnv1a64(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string iso8601_utc(int64_t unix_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds(unix_ms)};
  auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::optional<double> success_rate(const BoardState& state) {
  if (state.recent_runs <= 0) {
    return std::nullopt;
  }
  const double ok = std::clamp(state.recent_ok, 0, state.recent_runs);
  return std::round(ok * 1000.0 / state.recent_runs) / 1000.0;
}

int64_t schedule_max_age_s(const BoardMeta& meta) {
  if (!meta.schedule.cron.empty()) return 60;
  return std::clamp<int64_t>(meta.schedule.every.count() / 4, 15, 300);
}

std::string schedule_cache_control(const BoardMeta& meta) {
  return "public, max-age=" + std::to_string(schedule_max_age_s(meta)) +
         ", stale-while-revalidate=60";
}

int64_t due_by_ms(const BoardMeta& meta, const BoardState& state) {
  if (state.fetched_at_ms <= 0 || !state.enabled || !meta.schedule.cron.empty()) {
    return 0;
  }
  const auto grace =
      2 * std::chrono::duration_cast<std::chrono::milliseconds>(meta.schedule.every) +
      std::chrono::duration_cast<std::chrono::milliseconds>(meta.schedule.timeout);
  return state.fetched_at_ms + grace.count();
}

RenderedBody make_rendered(std::string json_text) {
  RenderedBody r;
  char etag[24];
  std::snprintf(etag, sizeof etag, "\"%016llx\"",
                static_cast<unsigned long long>(fnv1a64(json_text)));
  r.etag = etag;
  r.gzip = std::make_shared<const std::string>(gzip_compress(json_text, 6));
  r.json = std::make_shared<const std::string>(std::move(json_text));
  return r;
}

RenderedBody render_board(const Site& site, const BoardMeta& meta, const BoardState& state,
                          const std::vector<RankedItem>& items) {
  json::object root = board_header(meta);
  root["site"] = site_object(site);
  root["enabled"] = state.enabled;
  root["version"] = state.version;
  root["fetched_at"] = time_or_null(state.fetched_at_ms);
  root["last_run_at"] = time_or_null(state.last_run_at_ms);
  root["stale"] = state.stale;
  root["error"] = error_or_null(state);
  put_run_health(root, meta, state);
  json::array arr;
  arr.reserve(items.size());
  for (const auto& r : items) {
    const Item& it = r.item;
    json::object o;
    o["rank"] = r.rank;
    o["key"] = it.key;
    o["title"] = it.title;
    o["url"] = it.url;
    put_if(o, "mobile_url", it.mobile_url);
    put_if(o, "summary", it.summary);
    put_if(o, "image", it.image);
    if (it.hot) o["hot"] = *it.hot;
    put_if(o, "hot_text", it.hot_text);
    put_if(o, "label", it.label);
    put_if(o, "author", it.author);
    if (it.published_at_ms) o["published_at"] = iso8601_utc(*it.published_at_ms);
    if (!it.extra.empty()) {
      json::object extra;
      for (const auto& [k, v] : it.extra) extra[k] = v;
      o["extra"] = std::move(extra);
    }
    if (r.prev_rank) {
      o["rank_change"] = *r.prev_rank - r.rank;
    } else {
      o["rank_change"] = nullptr;
    }
    o["new"] = r.is_new;
    o["first_seen_at"] = time_or_null(r.first_seen_ms);
    o["best_rank"] = r.best_rank;
    arr.push_back(std::move(o));
  }
  root["items"] = std::move(arr);
  return make_rendered(json::serialize(root));
}

std::string render_catalogue_entry(const BoardMeta& meta, const BoardState& st) {
  json::object o = board_header(meta);
  o["site"] = meta.site;
  o["enabled"] = st.enabled;
  o["version"] = st.version;
  o["item_count"] = st.item_count;
  o["fetched_at"] = time_or_null(st.fetched_at_ms);
  o["last_run_at"] = time_or_null(st.last_run_at_ms);
  o["stale"] = st.stale;
  o["error"] = error_or_null(st);
  put_run_health(o, meta, st);
  return json::serialize(o);
}

RenderedBody assemble_catalogue(const std::vector<const std::string*>& entries, size_t total) {
  size_t bytes = 32;
  for (const std::string* e : entries) bytes += e->size() + 1;
  std::string out;
  out.reserve(bytes);
  out += R"({"boards":[)";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i != 0) out += ',';
    out += *entries[i];
  }
  out += R"(],"total":)";
  out += std::to_string(total);
  out += '}';
  return make_rendered(std::move(out));
}

RenderedBody render_catalogue(const std::vector<BoardMeta>& boards,
                              const std::vector<BoardState>& states) {
  std::unordered_map<std::string_view, const BoardState*> by_id;
  for (const auto& s : states) by_id.emplace(s.board, &s);
  std::vector<std::string> rendered;
  rendered.reserve(boards.size());
  const BoardState empty;
  for (const auto& meta : boards) {
    auto it = by_id.find(meta.id);
    rendered.push_back(render_catalogue_entry(meta, it != by_id.end() ? *it->second : empty));
  }
  std::vector<const std::string*> entries;
  entries.reserve(rendered.size());
  for (const auto& e : rendered) entries.push_back(&e);
  return assemble_catalogue(entries, entries.size());
}

RenderedBody render_sites(const std::vector<Site>& sites, const std::vector<BoardMeta>& boards) {
  std::unordered_map<std::string_view, json::array> ids_of;
  for (const auto& b : boards) ids_of[b.site].push_back(json::value(b.id));
  json::array arr;
  arr.reserve(sites.size());
  for (const auto& s : sites) {
    json::object o = site_object(s);
    auto it = ids_of.find(s.id);
    json::array ids = it != ids_of.end() ? std::move(it->second) : json::array();
    o["board_count"] = ids.size();
    o["boards"] = std::move(ids);
    arr.push_back(std::move(o));
  }
  // The categories some site or board is in, in the tabs' order.
  std::unordered_set<std::string_view> used;
  for (const auto& s : sites) used.insert(s.category);
  for (const auto& b : boards) used.insert(b.category);
  json::array cats;
  for (const auto& c : categories()) {
    if (!used.contains(c.id)) continue;
    cats.push_back(json::object{{"id", c.id}, {"name", c.name_zh}, {"name_en", c.name_en}});
  }
  json::object root;
  root["sites"] = std::move(arr);
  root["categories"] = std::move(cats);
  return make_rendered(json::serialize(root));
}

}  // namespace mu
