#!/usr/bin/env bash
# History at scale (issue 12): DAYS simulated days of the built-in catalogue at its default
# schedules written into a real store through Store::commit_snapshot (the same call the
# scheduler makes), with daily compaction; then rows and bytes on disk, the ingest cost per
# board update (against the same updates with history switched off, as a ratio), and
# search / timeline / archive / day's-top latencies. SQLite always; PostgreSQL too unless
# PG=0 (a private server on a free port, fsync off like scripts/cluster). Figures are
# printed, never asserted.
#
#   bench/history.sh                 # DAYS=90 PG_DAYS=$DAYS QUERIES=200
#   DAYS=7 PG=0 bench/history.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=$(realpath "${MU:-build/release/mu}")
BENCH=$(realpath "${BENCH:-build/release/bench/mu_bench_history}")
DAYS=${DAYS:-90}
PG_DAYS=${PG_DAYS:-$DAYS}
QUERIES=${QUERIES:-200}
PG=${PG:-1}
work=$(mktemp -d /tmp/mu-history.XXXXXX)
chmod 755 "$work"
pg_bin=""
cleanup() {
  if [ -n "$pg_bin" ]; then as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# The catalogue and a corpus of items parsed from the recorded fixtures.
"$MU" sources --json >"$work/boards.json"
mkdir -p "$work/corpus"
python3 - "$work/boards.json" <<'PY' >"$work/board_ids"
import json, sys
for b in json.load(open(sys.argv[1])):
    print(b["id"])
PY
while read -r board; do
  "$MU" fetch "$board" --replay src/sources --json >"$work/corpus/$board.json" 2>/dev/null || rm -f "$work/corpus/$board.json"
done <"$work/board_ids"
echo "corpus: $(ls "$work/corpus" | wc -l) boards parsed from src/sources/*/fixtures"

sqlite_size() {  # bytes of the database file and its WAL, after a checkpoint
  sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  stat -c %s "$1"
}

echo
echo "== SQLite, $DAYS days =="
"$BENCH" --store "sqlite://$work/h.db" --boards "$work/boards.json" --corpus "$work/corpus" \
  --days "$DAYS" --queries "$QUERIES" | tee "$work/sqlite.out"
bytes=$(sqlite_size "$work/h.db")
sqlite3 "$work/h.db" "SELECT 'rows: items ' || (SELECT COUNT(*) FROM items) || ', item_points ' || (SELECT COUNT(*) FROM item_points) || ', snapshots ' || (SELECT COUNT(*) FROM snapshots) || ', snapshot_items ' || (SELECT COUNT(*) FROM snapshot_items)"
sqlite3 "$work/h.db" "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12" 2>/dev/null \
  | awk -F'|' '{printf "  %-32s %8.1f MB\n", $1, $2 / 1048576}' || true
# A year: what grows with history (items, their indexes, points, the FTS5 index) at this
# rate, plus what is bounded whatever the age (snapshots: storage.keep_snapshots per board;
# runs: storage.keep_runs_days = 30, scaled up when the run is shorter than that; the rest).
growing=$(sqlite3 "$work/h.db" "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('items', 'item_points', 'sqlite_autoindex_items_1') OR name LIKE 'items\_%' ESCAPE '\'")
runs=$(sqlite3 "$work/h.db" "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('runs', 'runs_board_id', 'runs_dispatch')")
awk -v b="$bytes" -v g="$growing" -v r="$runs" -v d="$DAYS" 'BEGIN {
  rd = d < 30 ? 30 / d : 1
  printf "on disk: %.1f MB after %d days (history %.1f MB, runs %.1f MB, the rest %.1f MB)\n", b / 1048576, d, g / 1048576, r / 1048576, (b - g - r) / 1048576
  printf "a year: %.2f GB (history at this rate %.2f GB + runs kept 30 days %.2f GB + the rest %.2f GB)\n", (g / d * 365 + r * rd + b - g - r) / 1073741824, g / d * 365 / 1073741824, r * rd / 1073741824, (b - g - r) / 1073741824 }'

echo
echo "== SQLite, 2 days, history off (the commit cost before history) =="
"$BENCH" --store "sqlite://$work/off.db" --boards "$work/boards.json" --corpus "$work/corpus" \
  --days 2 --queries 0 --history-off | grep -E 'commit mean' | tee "$work/off.out"
echo "== SQLite, 2 days, history on =="
"$BENCH" --store "sqlite://$work/on.db" --boards "$work/boards.json" --corpus "$work/corpus" \
  --days 2 --queries 0 | grep -E 'commit mean' | tee "$work/on.out"
off=$(sed -E 's/.*commit mean ([0-9.]+) ms.*/\1/' "$work/off.out")
on=$(sed -E 's/.*commit mean ([0-9.]+) ms.*/\1/' "$work/on.out")
awk -v a="$on" -v b="$off" 'BEGIN {printf "history adds %.0f %% to a commit (%.3f ms vs %.3f ms)\n", (a / b - 1) * 100, a, b}'

if [ "$PG" = 1 ]; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
  port=$(free_port)
  mkdir -p "$work/pg" "$work/pg-run"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work/pg" "$work/pg-run"
  as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  as_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg-run/log" -w -t 60 \
    -o "-p $port -k $work/pg-run -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE mu" >/dev/null
  url="postgresql://postgres@127.0.0.1:$port/mu"
  echo
  echo "== PostgreSQL, $PG_DAYS days =="
  "$BENCH" --store "$url" --boards "$work/boards.json" --corpus "$work/corpus" \
    --days "$PG_DAYS" --queries "$QUERIES" | tee "$work/pg.out"
  psql -h 127.0.0.1 -p "$port" -U postgres -d mu -tAc "VACUUM ANALYZE" >/dev/null
  psql -h 127.0.0.1 -p "$port" -U postgres -d mu -tAc \
    "SELECT relname, pg_total_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC LIMIT 8" \
    | awk -F'|' '{printf "  %-32s %8.1f MB\n", $1, $2 / 1048576}'
  bytes=$(psql -h 127.0.0.1 -p "$port" -U postgres -d mu -tAc "SELECT pg_database_size('mu')")
  awk -v b="$bytes" -v d="$PG_DAYS" 'BEGIN {printf "database: %.1f MB after %d days; a year at this rate: %.2f GB\n", b / 1048576, d, b / d * 365 / 1073741824}'
fi
