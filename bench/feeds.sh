#!/usr/bin/env bash
# What a feed request costs next to a board request (issue 13): one `mu serve` with the
# fixtures, wrk on the board's JSON (the baseline, in the same run), then on the same board's
# RSS, Atom and JSON Feed, a site's RSS and a filter= variant (rendered per request). All
# with gzip accepted, as readers send it. Prints req/s, p99 and the ratio to the board JSON
# (goal ≥ 0.8× for the cached feeds); never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=${MU:-build/release/mu}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
work=$(mktemp -d /tmp/mu-bench-feeds.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
env MU_STORAGE_URL="sqlite://$work/mu.db" MU_LOG_LEVEL=warn MU_SERVER_STATIC_DIR="$work" \
  MU_QUOTA_ENABLED=false "$MU" serve --listen "127.0.0.1:$port" --replay src/sources \
  >"$work/mu.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
wait_until 60 board_has_items "$base/api/v1/boards/weibo.hot-search" ||
  { cat "$work/mu.log" >&2; echo "mu did not come up" >&2; exit 1; }

export WRK_HEADER="Accept-Encoding: gzip"
echo "wrk -t2 -c$CONNS -d$DURATION keep-alive, gzip accepted"
run_wrk "$base/api/v1/boards/weibo.hot-search" >/dev/null  # warm-up pass, discarded
read -r json_rps json_p99 < <(run_wrk "$base/api/v1/boards/weibo.hot-search")
printf '%-44s %10s %9s %7s\n' "request" "req/s" "p99 ms" "ratio"
printf '%-44s %10.0f %9.2f %7s\n' "GET /api/v1/boards/weibo.hot-search" "$json_rps" "$json_p99" "1.00"
for path in /feeds/boards/weibo.hot-search.rss /feeds/boards/weibo.hot-search.atom \
  /feeds/boards/weibo.hot-search.json /feeds/sites/weibo.rss \
  "/feeds/boards/weibo.hot-search.rss?filter=%E7%83%AD"; do
  curl -fsS -o /dev/null "$base$path"  # the first request renders a cached feed
  read -r rps p99 < <(run_wrk "$base$path")
  printf '%-44s %10.0f %9.2f %7.2f\n' "GET $path" "$rps" "$p99" \
    "$(python3 -c "print($rps / $json_rps)")"
done
