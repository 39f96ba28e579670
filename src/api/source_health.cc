#include "api/source_health.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include "api/handler_util.h"
#include "pipeline/render.h"

namespace mu {
namespace json = boost::json;

namespace {

// The status of "HTTP 429 from https://..." (0 when the message does not start so, after
// an optional "board: " prefix).
int http_status_of(std::string_view message) {
  const size_t at = message.find("HTTP ");
  if (at == std::string_view::npos) return 0;
  std::string_view rest = message.substr(at + 5);
  int status = 0;
  auto [end, ec] =
      std::from_chars(rest.data(), rest.data() + std::min<size_t>(rest.size(), 3), status);
  if (ec != std::errc() || end != rest.data() + 3) return 0;
  return status;
}

bool mentions(std::string_view message, std::string_view what) {
  return message.find(what) != std::string_view::npos;
}

}  // namespace

FailureClass classify_failure(std::string_view code, std::string_view message, bool needs_cookie) {
  const int http = http_status_of(message);
  if (code == "blocked" || code == "http" || code == "config") {
    if (http == 401 || mentions(message, "login required") ||
        (needs_cookie && (code == "config" || http == 403 || code == "blocked"))) {
      return {"needs-cookie",
              "The site wants a signed-in cookie (or a token) for this board: set one for "
              "the board in the admin console."};
    }
  }
  if (code == "blocked") {
    return {"blocked",
            "The site refuses Mu's requests (an anti-bot check, 403 or 412): set a cookie or "
            "a proxy for the board, or run it on a collector in another region."};
  }
  if (code == "http") {
    if (http == 429) {
      return {"rate-limited",
              "The site limits how often it may be asked; Mu backs off by itself. Lengthen "
              "the board's interval if this persists."};
    }
    if (http == 404 || http == 410) {
      return {"gone", "The page moved or no longer exists: the source needs an update."};
    }
    if (http >= 500) {
      return {"site-error", "The site answers with a server error; this is usually brief."};
    }
    return {"http", "The site answered with an HTTP error status."};
  }
  if (code == "parse") {
    return {"parse",
            "The page no longer has the structure the source expects (the site changed): the "
            "source needs an update."};
  }
  if (code == "timeout") {
    return {"timeout",
            "The site did not answer in time: check the network path or raise the board's "
            "timeout."};
  }
  if (code == "network") {
    return {"network",
            "Mu could not reach the site (DNS, TLS or a refused connection): check this "
            "machine's network or the proxy."};
  }
  if (code == "too-large") {
    return {"too-large", "The answer was larger than the size cap Mu accepts."};
  }
  if (code == "unavailable") {
    return {"unavailable",
            "Something Mu depends on was down (the store, or no live collector for the "
            "board's group); Mu tries again."};
  }
  if (code == "config") {
    return {"config", "The source is not configured completely (a missing token or setting)."};
  }
  return {"internal", "An unexpected error; the log of the run has the details."};
}

std::string_view board_standing(const BoardHealth& b, int64_t now_ms) {
  if (!b.enabled) return "disabled";
  if (b.fetched_at_ms <= 0) return b.last_run_at_ms > 0 ? "stale" : "never";
  const bool old = b.every_ms > 0 && now_ms - b.fetched_at_ms > 3 * b.every_ms;
  if (old) return "stale";
  return b.stale ? "failing" : "ok";
}

int64_t trend_since(int64_t now_ms) {
  const int64_t current = now_ms - ((now_ms % kTrendBucketMs) + kTrendBucketMs) % kTrendBucketMs;
  return current - (kTrendBuckets - 1) * kTrendBucketMs;
}

RunTrends run_trends(int64_t since_ms, const std::vector<RunTally>& tallies) {
  RunTrends out;
  out.since_ms = since_ms;
  for (const RunTally& t : tallies) {
    if (t.bucket < 0 || t.bucket >= kTrendBuckets) continue;
    RunTrend& trend = out.boards[t.board];
    if (trend.buckets.empty()) trend.buckets.resize(kTrendBuckets);
    RunCounts& b = trend.buckets[static_cast<size_t>(t.bucket)];
    b.runs += t.runs;
    b.ok += t.ok;
    trend.week.runs += t.runs;
    trend.week.ok += t.ok;
    if (t.bucket >= kTrendBuckets - kDayBuckets) {
      trend.day.runs += t.runs;
      trend.day.ok += t.ok;
    }
  }
  return out;
}

namespace {

json::value rate_or_null(const RunCounts& c) {
  if (c.runs <= 0) return nullptr;
  return static_cast<double>(c.ok) / static_cast<double>(c.runs);
}

void add_trend(json::object& o, const RunTrends* trends, const std::string& board) {
  if (trends == nullptr) {
    o["runs_24h"] = nullptr;
    o["success_rate_24h"] = nullptr;
    o["runs_7d"] = nullptr;
    o["success_rate_7d"] = nullptr;
    o["trend"] = nullptr;
    return;
  }
  const auto it = trends->boards.find(board);
  const RunTrend none{{}, {}, std::vector<RunCounts>(kTrendBuckets)};
  const RunTrend& t = it != trends->boards.end() ? it->second : none;
  o["runs_24h"] = t.day.runs;
  o["success_rate_24h"] = rate_or_null(t.day);
  o["runs_7d"] = t.week.runs;
  o["success_rate_7d"] = rate_or_null(t.week);
  json::array buckets;
  buckets.reserve(t.buckets.size());
  for (const RunCounts& b : t.buckets) buckets.push_back(json::array{b.runs, b.ok});
  o["trend"] = std::move(buckets);
}

}  // namespace

std::string render_health(const std::vector<BoardHealth>& boards, const RunTrends* trends,
                          int64_t now_ms) {
  json::array out;
  out.reserve(boards.size());
  std::map<std::string_view, int64_t> counts = {
      {"ok", 0}, {"failing", 0}, {"stale", 0}, {"disabled", 0}, {"never", 0}};
  for (const BoardHealth& b : boards) {
    json::object o;
    o["board"] = b.board;
    o["site"] = b.site;
    o["name"] = b.name_zh;
    o["name_en"] = b.name_en;
    const std::string_view standing = board_standing(b, now_ms);
    ++counts[standing];
    o["status"] = standing;
    o["enabled"] = b.enabled;
    if (b.every_ms > 0) {
      o["every_seconds"] = b.every_ms / 1000;
    } else {
      o["every_seconds"] = nullptr;
    }
    o["fetched_at"] = handler::time_or_null(b.fetched_at_ms);
    o["last_run_at"] = handler::time_or_null(b.last_run_at_ms);
    if (b.fetched_at_ms > 0) {
      o["data_age_seconds"] = std::max<int64_t>(0, now_ms - b.fetched_at_ms) / 1000;
    } else {
      o["data_age_seconds"] = nullptr;
    }
    o["items"] = b.items;
    if (b.success_rate) {
      o["success_rate"] = *b.success_rate;
    } else {
      o["success_rate"] = nullptr;
    }
    add_trend(o, trends, b.board);
    if (b.stale && !b.last_error_code.empty()) {
      const FailureClass c = classify_failure(b.last_error_code, b.last_error, b.needs_cookie);
      json::object e;
      e["class"] = c.id;
      e["code"] = b.last_error_code;
      e["message"] = b.last_error;
      e["hint"] = c.hint;
      o["error"] = std::move(e);
    } else {
      o["error"] = nullptr;
    }
    out.emplace_back(std::move(o));
  }
  json::object summary;
  for (const auto& [k, v] : counts) summary[k] = v;
  json::object root;
  root["generated_at"] = iso8601_utc(now_ms);
  if (trends != nullptr) {
    root["trend_since"] = iso8601_utc(trends->since_ms);
  } else {
    root["trend_since"] = nullptr;
  }
  root["trend_bucket_hours"] = kTrendBucketMs / 3'600'000;
  root["summary"] = std::move(summary);
  root["boards"] = std::move(out);
  return json::serialize(root);
}

}  // namespace mu
