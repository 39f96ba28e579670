#!/usr/bin/env bash
# Issue 17 item 3 as a process-level probe: anonymous "sign in with GitHub" starts must not
# fill the database. Starts `mu serve` in replay mode (SQLite in a temp dir, a GitHub client
# id so the login route is on), sends 3,000 GET /auth/github/login with a 2,000-byte
# return_to from one address, then checks that at most auth.pending_logins_per_client
# pending sign-ins are stored and that the database files grew by less than 1 MiB (before
# the fix: one ~2 KB row per request, about 7 MB).
#
# Usage: tests/security/login_flood.sh PATH/TO/mu   (ctest: security_login_flood)
# Waits are liveness bounds, never timing assertions.
set -u -o pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/mu" >&2
  exit 2
fi
MU=$(realpath "$1")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=SCRIPTDIR/../../bench/lib.sh
source bench/lib.sh
while read -r name; do unset "$name"; done < <(compgen -e | grep '^MU_')

REQUESTS=3000
PER_CLIENT=50  # auth.pending_logins_per_client, set below
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mu-login-flood.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
  echo "FAIL  $*"
  echo "      server log:"
  tail -n 20 "$TMP/serve.log" | sed -e 's/^/      /'
  exit 1
}

port=$(free_port)
BASE="http://127.0.0.1:$port"
mkdir -p "$TMP/static"  # no web app needed
MU_STORAGE_URL="sqlite://$TMP/mu.db" MU_SCHEDULER_ENABLED=false MU_SERVER_STATIC_DIR="$TMP/static" \
  MU_AUTH_GITHUB_CLIENT_ID=probe MU_AUTH_GITHUB_CLIENT_SECRET=probe-secret \
  MU_AUTH_PENDING_LOGINS_PER_CLIENT=$PER_CLIENT \
  "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
up_or_gone() { ! kill -0 "$SERVER_PID" 2>/dev/null || curl -fsS -o /dev/null "$BASE/healthz"; }
wait_until 60 up_or_gone
curl -fsS -o /dev/null "$BASE/healthz" || fail "mu serve did not answer /healthz (60 s bound)"

db_bytes() {
  local total=0 f
  for f in "$TMP"/mu.db "$TMP"/mu.db-wal; do
    [ -f "$f" ] && total=$((total + $(stat -c %s "$f")))
  done
  echo "$total"
}
before=$(db_bytes)

# One keep-alive connection, requests back to back (each answers 302 to GitHub).
python3 - "$port" "$REQUESTS" <<'PY' || fail "the flood did not get 302s"
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
path = "/auth/github/login?return_to=/" + "a" * 2000
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
codes = {}
for _ in range(n):
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    codes[r.status] = codes.get(r.status, 0) + 1
print("answers:", codes)
sys.exit(0 if codes == {302: n} else 1)
PY

# A graceful stop checkpoints the write-ahead log into the database file, so its size is the
# data's (the log itself is reused, not grown, by further writes).
kill -TERM "$SERVER_PID"
wait_until 60 bash -c "! kill -0 $SERVER_PID 2>/dev/null"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
pending=$(python3 - "$TMP/mu.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(db.execute("SELECT COUNT(*) FROM login_states").fetchone()[0])
PY
) || fail "could not count login_states"
after=$(db_bytes)
growth=$((after - before))
echo "pending sign-ins: $pending (cap $PER_CLIENT); database files: $before -> $after bytes"
[ "$pending" -le "$PER_CLIENT" ] || fail "$pending pending sign-ins stored, more than the cap $PER_CLIENT"
[ "$growth" -lt 1048576 ] || fail "the database files grew by $growth bytes (>= 1 MiB)"
echo "ok    $REQUESTS sign-in starts kept at most $PER_CLIENT pending sign-ins"
