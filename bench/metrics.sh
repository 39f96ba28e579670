#!/usr/bin/env bash
# What a Prometheus scrape costs the readers: wrk on /api/v1/boards/weibo.hot-search of one
# `mu serve` (fed from fixtures) without scrapes, then with GET /metrics every second (a
# scraper ten times as eager as the usual 15 s) in the same run. Prints req/s and p99 of
# both, their ratio (goal >= 0.95), and the size and time of one scrape. Figures are
# reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=${MU:-build/release/mu}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
work=$(mktemp -d /tmp/mu-bench-metrics.XXXXXX)
cleanup() {
  [ -n "${scraper:-}" ] && kill "$scraper" 2>/dev/null || true
  [ -n "${mu_pid:-}" ] && kill "$mu_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
MU_STORAGE_URL="sqlite://$work/bench.db" MU_LOG_LEVEL=warn MU_QUOTA_ANONYMOUS_BURST=100000000 \
  "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$work/mu.log" 2>&1 &
mu_pid=$!
base="http://127.0.0.1:$port"
url="$base/api/v1/boards/weibo.hot-search"
wait_until 60 board_has_items "$url" || { cat "$work/mu.log"; echo "Mu did not come up"; exit 1; }

run_wrk "$url" >/dev/null  # warm-up pass, discarded
read -r plain_rps plain_p99 < <(run_wrk "$url")
(while true; do curl -fsS -o /dev/null "$base/metrics"; sleep 1; done) &
scraper=$!
read -r scraped_rps scraped_p99 < <(run_wrk "$url")
kill "$scraper" 2>/dev/null || true
wait "$scraper" 2>/dev/null || true
scraper=""
scrape=$(curl -fsS -o /dev/null -w '%{size_download} %{time_total}' "$base/metrics")
printf '%-22s %12s %10s\n' "board requests" "req/s" "p99 ms"
printf '%-22s %12.0f %10.2f\n' "no scrapes" "$plain_rps" "$plain_p99"
printf '%-22s %12.0f %10.2f\n' "a scrape every second" "$scraped_rps" "$scraped_p99"
python3 -c "print('ratio with/without scrapes: %.3fx req/s (goal >= 0.95)' % ($scraped_rps / $plain_rps))"
read -r bytes secs <<<"$scrape"
python3 -c "print('one scrape: %d bytes in %.1f ms' % ($bytes, $secs * 1000))"
