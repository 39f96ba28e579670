#!/usr/bin/env bash
# How the cluster's costs grow with the number of boards (issue 18): the local cluster of
# scripts/cluster (Redis, PostgreSQL, 3 schedulers, 4 collectors, 2 `mu api`) with generated
# declarative boards (bench/gen_boards.py, answered from a local replay map), for each case
# BOARDS:EVERY. After every board was fetched once, a window of steady updates is measured:
#   fill     seconds from `cluster up` until every board was fetched once
#   upd/s    committed runs per second in the window (from the runs table)
#   api_ms   CPU milliseconds of both `mu api` together per board update: the pub/sub
#            event, reading the one board and re-rendering it (the resync path is timed below)
#   sch_ms   the same for the three schedulers (the leader plans, dispatches and commits)
#   col_ms   the same for the four collectors (fetch + parse)
#   api_MB   RSS of a1 after the window
#   req/s p99   wrk -c64 on a1's /api/v1/boards/weibo.hot-search while the updates run
#   restart  seconds for a restarted a1 to load every board and answer again, and the CPU
#            seconds it spent doing so (the cold resync)
# Ratios are printed against the first case, like bench/scale.sh. Figures are reported, never
# asserted. Uses port offset 300 (MU_CLUSTER_PORT_OFFSET) so a developer's cluster can run.
#
#   bench/scale_cluster.sh                       # CASES="1000:1m 10000:1m"
#   CASES="1000:1m 10000:10m" WINDOW=610 bench/scale_cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source bench/lib.sh
export MU_BIN=$(realpath "${MU:-build/release/mu}")
CASES=${CASES:-"1000:1m 10000:1m"}
WINDOW=${WINDOW:-60}
WRK_SECONDS=${WRK_SECONDS:-10}
FILL_LIMIT=${FILL_LIMIT:-900}
OFF=${OFF:-300}
export MU_CLUSTER_PORT_OFFSET=$OFF
PG_PORT=$((5440 + OFF))
API="http://127.0.0.1:$((8081 + OFF))/api/v1"
work=$(mktemp -d /tmp/mu-scale-cluster.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as the postgres user when this runs as root
cluster_up=""
cleanup() {
  if [ -n "$cluster_up" ]; then MU_CLUSTER_DIR="$cluster_up" scripts/cluster down >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "scale_cluster.sh: failed at line $LINENO" >&2' ERR
hz=$(getconf CLK_TCK)

pg() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d mu -tAc "$1" 2>/dev/null; }
pids_of() { for n in "$@"; do MU_CLUSTER_DIR="$cluster_up" scripts/cluster pid "$n"; done; }
cpu_ticks() {  # total utime + stime of the given pids
  local sum=0 t
  for p in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    sum=$((sum + t))
  done
  echo "$sum"
}
rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
api_total() {  # boards the API lists (0 while it is not answering)
  curl -fsS "$API/boards?limit=1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])' 2>/dev/null || echo 0
}

printf '%-7s %-5s %5s %6s %7s %7s %7s %6s %7s %7s %8s %8s\n' boards every fill upd/s api_ms \
  sch_ms col_ms api_MB req/s p99_ms restart_s restart_cpu
for case in $CASES; do
  n=${case%%:*}
  every=${case#*:}
  gen="$work/g$n-$every"
  python3 bench/gen_boards.py "$n" "$gen" --every "$every"
  printf '[sources]\ndir = "%s"\n' "$gen/sources.d" >"$work/extra.toml"
  cluster_up="$work/cluster-$n-$every"
  start_s=$(date +%s.%N)
  MU_CLUSTER_DIR="$cluster_up" MU_CLUSTER_EXTRA_CONFIG="$work/extra.toml" \
    MU_CLUSTER_REPLAY="$ROOT/src/sources:$gen/replay" scripts/cluster up >"$work/up.log" 2>&1 ||
    { cat "$work/up.log"; exit 1; }
  # Every enabled board (the generated ones and the built-in ones the replay map answers).
  deadline=$((SECONDS + FILL_LIMIT))
  expected=0
  until [ "$expected" -ge "$n" ] || [ $SECONDS -ge $deadline ]; do
    expected=$(pg "SELECT COUNT(*) FROM boards WHERE retired = 0 AND enabled = 1" || echo 0)
    expected=${expected:-0}
    sleep 1
  done
  until [ "$(pg "SELECT COUNT(*) FROM boards WHERE retired = 0 AND enabled = 1 AND last_run_ms > 0")" -ge "$expected" ] ||
    [ $SECONDS -ge $deadline ]; do sleep 1; done
  [ $SECONDS -lt $deadline ] || echo "not every board was fetched within ${FILL_LIMIT}s" >&2
  fill=$(python3 -c "import time; print(f'{time.time() - $start_s:.0f}')")
  read -r -a api_pids < <(pids_of a1 a2 | tr '\n' ' ') || true
  read -r -a sch_pids < <(pids_of s1 s2 s3 | tr '\n' ' ') || true
  read -r -a col_pids < <(pids_of c1 c2 c3 c4 | tr '\n' ' ') || true
  t0_ms=$(($(date +%s%N) / 1000000))
  a0=$(cpu_ticks "${api_pids[@]}")
  s0=$(cpu_ticks "${sch_pids[@]}")
  k0=$(cpu_ticks "${col_pids[@]}")
  sleep "$WINDOW"
  a1=$(cpu_ticks "${api_pids[@]}")
  s1=$(cpu_ticks "${sch_pids[@]}")
  k1=$(cpu_ticks "${col_pids[@]}")
  updates=$(pg "SELECT COUNT(*) FROM runs WHERE status = 'ok' AND finished_ms > $t0_ms")
  read -r ups api_ms sch_ms col_ms < <(python3 -c "
u = $updates; w = $WINDOW; hz = $hz
per = lambda d: f'{1000 * d / hz / u:.2f}' if u else '-'
print(f'{u / w:.1f}', per($a1 - $a0), per($s1 - $s0), per($k1 - $k0))")
  rss=$(rss_mb "${api_pids[0]}")
  wrk -t2 -c64 -d"${WRK_SECONDS}s" --latency "$API/boards/weibo.hot-search" >"$work/wrk.out"
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; printf "%.2f", v}' "$work/wrk.out")
  # Cold resync: restart a1 and wait until it lists every board again.
  listed=$(api_total)
  MU_CLUSTER_DIR="$cluster_up" scripts/cluster stop a1
  r0=$(date +%s.%N)
  MU_CLUSTER_DIR="$cluster_up" scripts/cluster start a1
  a1_pid=$(pids_of a1)
  wait_until 300 bash -c "[ \"\$(curl -fsS '$API/boards?limit=1' 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"total\"])' 2>/dev/null)\" -ge $listed ]" ||
    echo "a1 did not list $listed boards after a restart (has $(api_total))" >&2
  read -r restart restart_cpu < <(python3 -c "
import time; print(f'{time.time() - $r0:.1f}', f'{$(cpu_ticks "$a1_pid") / $hz:.2f}')")
  printf '%-7s %-5s %5s %6s %7s %7s %7s %6s %7s %7s %8s %8s\n' "$n" "$every" "$fill" "$ups" \
    "$api_ms" "$sch_ms" "$col_ms" "$rss" "$rps" "$p99" "$restart" "$restart_cpu"
  echo "$n $every $api_ms $sch_ms $col_ms $rps" >>"$work/rows"
  MU_CLUSTER_DIR="$cluster_up" scripts/cluster down >/dev/null
  cluster_up=""
done
echo
echo "ratios against the first case (CPU per update by role; board req/s while updating):"
python3 - "$work/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
base = rows[0]
def ratio(v, b):
    return f"{float(v) / float(b):.2f}x" if v != "-" and b != "-" and float(b) else "-"
for n, every, api, sch, col, rps in rows:
    print(f"  {n:>6} boards, every {every:>3}: api {ratio(api, base[2]):>6}, scheduler "
          f"{ratio(sch, base[3]):>6}, collector {ratio(col, base[4]):>6}, "
          f"req/s {ratio(rps, base[5]):>6}")
PY
