// Rendering of API bodies that are built once per board update and served many times:
// the board JSON (+ gzip + ETag) and the catalogue. Pure functions; safe for concurrent
// use. The JSON shapes are documented in docs/api.md and api/openapi.json.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace mu {

// A response body built once: identity bytes, gzip bytes and a strong ETag over the
// identity bytes. Immutable; share it freely.
struct RenderedBody {
  std::shared_ptr<const std::string> json;
  std::shared_ptr<const std::string> gzip;
  std::string etag;  // quoted, e.g. "\"9f2c01ab33de4410\""
  // Cache-Control for this body when it depends on what it holds (a board: its schedule);
  // "" leaves it to the route.
  std::string cache_control;
};

// How long a client or CDN may reuse what a board's schedule produces: a quarter of its
// interval within 15 s..5 min (a cron board: 60 s, its gaps vary).
int64_t schedule_max_age_s(const BoardMeta& meta);
// "public, max-age=<schedule_max_age_s>, stale-while-revalidate=60".
std::string schedule_cache_control(const BoardMeta& meta);

// Builds a RenderedBody from a JSON text (gzips it and computes the ETag).
RenderedBody make_rendered(std::string json);

// Stable 64-bit FNV-1a hash, used for ETags (identical across processes and restarts).
uint64_t fnv1a64(std::string_view data);

// Share of successful runs among the board's recent runs (BoardState::recent_ok /
// recent_runs), rounded to 3 decimals; nullopt when the board has no runs.
std::optional<double> success_rate(const BoardState& state);

// When the board is overdue if it has not been fetched again: fetched_at + 2 x every +
// timeout, in unix ms. A fixed point in time (not "is it late now?"), so a cached body that
// carries it stays correct as time passes. 0 (rendered as null) when the board was never
// fetched, is disabled, or runs on a cron schedule (whose gaps vary; see docs/api.md).
int64_t due_by_ms(const BoardMeta& meta, const BoardState& state);

// GET /api/v1/boards/{id}
RenderedBody render_board(const Site& site, const BoardMeta& meta, const BoardState& state,
                          const std::vector<RankedItem>& items);

// One board's entry of GET /api/v1/boards (a JSON object): its metadata and freshness
// (fetched_at, stale, error, run history, due_by). Ages and "overdue" are left to clients so
// the cached text stays valid until the board's next update.
std::string render_catalogue_entry(const BoardMeta& meta, const BoardState& state);

// {"boards":[<entries>...],"total":total} from entries rendered by render_catalogue_entry:
// the catalogue is assembled from per-board texts, so one board update re-renders one
// entry, not every board.
RenderedBody assemble_catalogue(const std::vector<const std::string*>& entries, size_t total);

// GET /api/v1/boards: every board with its freshness (see render_catalogue_entry).
RenderedBody render_catalogue(const std::vector<BoardMeta>& boards,
                              const std::vector<BoardState>& states);

// GET /api/v1/sites: every site with its board ids and board_count.
RenderedBody render_sites(const std::vector<Site>& sites, const std::vector<BoardMeta>& boards);

// ISO 8601 UTC text with milliseconds ("2026-11-26T08:30:00.000Z").
std::string iso8601_utc(int64_t unix_ms);

}  // namespace mu
