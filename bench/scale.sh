#!/usr/bin/env bash
# How Mu's costs grow with the number of boards (issue 18). For each board count (generated
# declarative boards on many hosts, bench/gen_boards.py, answered from a local replay map;
# the 78 built-in boards always run too) and each interval, one `mu serve` (SQLite) is started
# and measured:
#   fill    seconds from start until every board was fetched once
#   upd/s   board updates (committed runs) per second in the measuring window
#   cpu%    CPU of the process over the window (100 % = one core)
#   ms/upd  CPU milliseconds per board update (cpu seconds / updates)
#   RSS     resident memory after the window; KB/board against the run with 0 extra boards
#   req/s p99   wrk -c64 on /api/v1/boards/weibo.hot-search while the updates run
#   cat_ms  median time of GET /api/v1/boards (whole catalogue, gzip) and of ?limit=60
# Ratios are printed against the first row that had updates in its window (req/s against the
# first row), like bench/api.sh prints Mu against nginx; KB/board is measured against the
# 0-extra-boards row of the same interval. Figures are reported, never asserted.
#
#   bench/scale.sh                          # BOARDS="0 1000 10000" EVERY="1m 10m"
#   BOARDS="0 2000" EVERY=1m WINDOW=30 bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source bench/lib.sh
MU=$(realpath "${MU:-build/release/mu}")
BOARDS=${BOARDS:-"0 1000 10000"}
EVERY=${EVERY:-"1m 10m"}
WINDOW=${WINDOW:-60}
WRK_SECONDS=${WRK_SECONDS:-10}
FILL_LIMIT=${FILL_LIMIT:-900}
work=$(mktemp -d /tmp/mu-scale.XXXXXX)
mu_pid=""
cleanup() {
  [ -n "$mu_pid" ] && kill "$mu_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
runs_since() {  # DB MS: committed runs that finished after MS
  sqlite3 -readonly "$1" "SELECT COUNT(*) FROM runs WHERE status = 'ok' AND finished_ms > $2" 2>/dev/null || echo 0
}
unfetched() {  # boards never fetched, from the store (cheaper than the catalogue)
  sqlite3 -readonly "$1" "SELECT COUNT(*) FROM boards WHERE retired = 0 AND (last_run_ms IS NULL OR last_run_ms = 0)" 2>/dev/null || echo -1
}
median_ms() {  # URL: median of 15 timed requests, gzip accepted
  for _ in $(seq 15); do
    curl -s -o /dev/null --compressed -w '%{time_total}\n' "$1"
  done | sort -n | sed -n 8p | awk '{printf "%.1f", $1 * 1000}'
}

printf '%-7s %-5s %6s %7s %6s %7s %7s %8s %8s %7s %8s %8s\n' boards every fill upd/s 'cpu%' ms/upd \
  RSS_MB KB/board req/s p99_ms cat_ms page_ms
base_rss=""
for every in $EVERY; do
  for n in $BOARDS; do
    dir="$work/g$n-$every"
    python3 bench/gen_boards.py "$n" "$dir" --every "$every"
    port=$(free_port)
    db="$dir/mu.db"
    start_s=$(date +%s.%N)
    (cd "$dir" && MU_STORAGE_URL="sqlite://$db" MU_LOG_LEVEL=warn MU_QUOTA_ANONYMOUS_BURST=100000000 \
      MU_SERVER_STATIC_DIR="$ROOT/web/public" \
      exec "$MU" serve --listen "127.0.0.1:$port" --replay "$ROOT/src/sources:$dir/replay" \
      >"$dir/mu.log" 2>&1) &
    mu_pid=$!
    api="http://127.0.0.1:$port/api/v1"
    wait_until 60 curl -fsS "$api/boards/weibo.hot-search" || { tail "$dir/mu.log"; exit 1; }
    deadline=$((SECONDS + FILL_LIMIT))
    until [ "$(unfetched "$db")" = 0 ] || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
    fill=$(python3 -c "import time; print(f'{time.time() - $start_s:.0f}')")
    # Measure a window of steady updates.
    t0_ms=$(($(date +%s%N) / 1000000))
    c0=$(cpu_ticks "$mu_pid")
    sleep "$WINDOW"
    c1=$(cpu_ticks "$mu_pid")
    updates=$(runs_since "$db" "$t0_ms")
    cpu_s=$(python3 -c "print(($c1 - $c0) / $hz)")
    read -r ups cpu_pct ms_upd < <(python3 -c "
u = $updates; c = $cpu_s; w = $WINDOW
print(f'{u / w:.1f} {100 * c / w:.1f} ' + (f'{1000 * c / u:.2f}' if u else '-'))")
    rss=$(rss_kb "$mu_pid")
    # Throughput of one board while the updates go on.
    wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency "$api/boards/weibo.hot-search" >"$dir/wrk.out"
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$dir/wrk.out")
    p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; printf "%.2f", v}' "$dir/wrk.out")
    cat_ms=$(median_ms "$api/boards")
    page_ms=$(median_ms "$api/boards?limit=60")
    if [ "$n" = 0 ]; then base_rss=$rss; fi
    per_board=$(python3 -c "print(f'{($rss - ${base_rss:-$rss}) / $n:.1f}' if $n and '$base_rss' else '-')")
    printf '%-7s %-5s %6s %7s %6s %7s %7s %8s %8s %7s %8s %8s\n' "$n" "$every" "$fill" "$ups" \
      "$cpu_pct" "$ms_upd" "$((rss / 1024))" "$per_board" "$rps" "$p99" "$cat_ms" "$page_ms"
    echo "$n $every $ms_upd $rps" >>"$work/rows"
    kill "$mu_pid"
    wait "$mu_pid" 2>/dev/null || true
    mu_pid=""
    rm -rf "$dir"
  done
done
echo
echo "ratios against the first row (per-update CPU; board req/s while updating):"
python3 - "$work/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
base_ms = next((float(r[2]) for r in rows if r[2] != "-"), None)
base_rps = int(rows[0][3])
for n, every, ms, rps in rows:
    r_ms = f"{float(ms) / base_ms:.2f}x" if ms != "-" and base_ms else "-"
    print(f"  {n:>6} boards, every {every:>3}: cpu/update {r_ms:>6}, req/s {int(rps) / base_rps:.2f}x")
PY
