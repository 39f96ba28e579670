#!/usr/bin/env bash
# Issue 17, item 2: a flood of event streams and idle connections must not make `mu serve`
# unreachable. Runs `mu serve` (replayed fixtures, SQLite in a temp dir) under a low file
# descriptor limit (256: caps of 192 connections, 48 per address, 96 event streams, 24 per
# address), opens far more streams and idle connections than that from 8 loopback addresses,
# then checks that
#   - the server refuses what is over the caps (503) instead of running out of descriptors,
#   - /healthz from another address still answers 200, each try within 5 s,
#   - idle connections are closed (server.idle_timeout = 2s),
#   - event streams are ended by the server at their maximum age (server.sse_max_age = 20s),
#   - everything is given back once the clients leave.
# Before the caps, the streams took every descriptor and /healthz got no answer.
#
# Usage: tests/security/conn_limits.sh PATH/TO/mu   (ctest: security_conn_limits)
# Waits are liveness bounds (generous), never timing assertions.
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mu-conn-limits.XXXXXX")
SERVER_PID=""
FLOOD_PID=""
LOG="$TMP/serve.log"

cleanup() {
  for pid in $FLOOD_PID $SERVER_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAILED=0
fail() {
  echo "FAIL  $*"
  FAILED=$((FAILED + 1))
}
ok() { echo "ok    $*"; }

healthz() {  # healthz FROM_ADDRESS: prints the status code (000 when there was no answer)
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$1" "$BASE/healthz"
}

# --- start the server under 256 descriptors ---------------------------------------------
started=""
for attempt in 1 2 3; do
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  MU_STORAGE_URL="sqlite://$TMP/mu.db" MU_SERVER_STATIC_DIR="" MU_SERVER_IDLE_TIMEOUT=2s MU_SERVER_SSE_MAX_AGE=20s \
    prlimit --nofile=256:256 "$MU" serve --listen "127.0.0.1:$port" --replay src/sources \
    >"$LOG" 2>&1 &
  SERVER_PID=$!
  if wait_until 60 curl -fsS --max-time 5 "$BASE/healthz"; then
    started=1
    break
  fi
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  grep -qi "in use" "$LOG" || break
  echo "attempt $attempt: port in use, trying another"
done
if [ -z "$started" ]; then
  echo "FAIL  mu serve did not start"
  sed -e 's/^/      log: /' "$LOG"
  exit 1
fi
ok "mu serve started with 256 descriptors"

# --- the flood ----------------------------------------------------------------------------
# From 127.0.0.1..8: 30 event streams and 30 idle connections each (480 in all). The python
# process reports what it got in $TMP/flood.json, then holds its sockets until $TMP/release
# exists, and reports which idle connections the server closed meanwhile.
python3 - "$port" "$TMP" >"$TMP/flood.log" 2>&1 <<'PY' &
import json, os, select, socket, sys, time
port, tmp = int(sys.argv[1]), sys.argv[2]
streams, idle = [], []
def connect(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s
def head(s):
    data = b""
    deadline = time.monotonic() + 10
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = s.recv(4096)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")
began = time.monotonic()
status = {"stream_200": 0, "stream_503": 0, "stream_other": 0, "idle_open": 0,
          "idle_refused": 0}
for n in range(1, 9):
    src = f"127.0.0.{n}"
    for _ in range(30):
        try:
            s = connect(src)
            s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
            line = head(s)
        except OSError:
            line = ""
        if " 200 " in line:
            status["stream_200"] += 1
            streams.append(s)
        elif " 503 " in line:
            status["stream_503"] += 1
            s.close()
        else:
            status["stream_other"] += 1
    for _ in range(30):
        try:
            idle.append(connect(src))  # connected, never sends a byte
        except OSError:
            status["idle_refused"] += 1
status["idle_open"] = len(idle)
status["seconds"] = time.monotonic() - began
with open(os.path.join(tmp, "flood.json.tmp"), "w") as f:
    json.dump(status, f)
os.rename(os.path.join(tmp, "flood.json.tmp"), os.path.join(tmp, "flood.json"))
# Hold everything; count the sockets the server has closed (EOF or reset; an idle one may
# also get a 503 first). Streams are read (heartbeats, frames) until they end.
deadline = time.monotonic() + 110
closed = set()
for s in streams + idle:
    s.setblocking(False)
while not os.path.exists(os.path.join(tmp, "release")) and time.monotonic() < deadline:
    still_open = [s for s in streams + idle if s.fileno() not in closed]
    readable, _, _ = select.select(still_open, [], [], 0.2) if still_open else ([], [], [])
    for s in readable:
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data or (s in idle and data.startswith(b"HTTP/1.1 503")):
            closed.add(s.fileno())
    counts = {"idle": sum(1 for s in idle if s.fileno() in closed),
              "streams": sum(1 for s in streams if s.fileno() in closed)}
    with open(os.path.join(tmp, "closed.tmp"), "w") as f:
        f.write(f"{counts['idle']} {counts['streams']}\n")
    os.rename(os.path.join(tmp, "closed.tmp"), os.path.join(tmp, "closed"))
PY
FLOOD_PID=$!

if ! wait_until 40 test -f "$TMP/flood.json"; then
  fail "the flood client did not finish opening its connections"
  cat "$TMP/flood.log"
  exit 1
fi
read -r stream_200 stream_503 stream_other idle_open flood_seconds < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["stream_200"], s["stream_503"], s["stream_other"], s["idle_open"], int(s["seconds"]))' \
  "$TMP/flood.json")
echo "      flood: $stream_200 streams open, $stream_503 refused (503), $stream_other other;" \
  "$idle_open idle connections; opened in ${flood_seconds}s"

if kill -0 "$SERVER_PID" 2>/dev/null; then ok "server alive under the flood"; else
  fail "server died under the flood"
fi
# Streams end at 18-20 s (sse_max_age with its spread); a flood that took longer than that
# to open saw slots freed and cannot tell the cap from the expiry.
if [ "$flood_seconds" -ge 15 ]; then
  echo "skip  event stream cap: the flood took ${flood_seconds}s to open (streams expire at 18 s)"
elif [ "$stream_200" -ge 1 ] && [ "$stream_200" -le 96 ]; then
  ok "event streams capped (at most 96 of 240 open)"
else
  fail "event streams open: $stream_200 (expected 1..96)"
fi
if [ "$stream_503" -ge 1 ]; then ok "streams over the caps answered 503"; else
  fail "no stream was refused with 503"
fi

# /healthz from an address that took no part in the flood: each try answers within 5 s
# (curl --max-time), and a 200 comes within 20 s (a refusal makes room by closing idle
# connections; the idle timeout frees the rest).
healthz_ok() {
  local code
  code=$(healthz 127.0.0.9)
  echo "$code" >>"$TMP/healthz.codes"
  [ "$code" = 200 ]
}
if wait_until 20 healthz_ok; then ok "/healthz answers 200 during the flood"; else
  fail "/healthz did not answer 200 during the flood (codes: $(tr '\n' ' ' <"$TMP/healthz.codes"))"
fi
if grep -q '^000$' "$TMP/healthz.codes" 2>/dev/null; then
  fail "a /healthz try got no answer within 5 s"
else
  ok "every /healthz try was answered within 5 s"
fi

# Idle connections are closed (idle timeout 2 s, or refused outright).
closed_count() {  # closed_count idle|streams
  local idle streams
  read -r idle streams <"$TMP/closed" 2>/dev/null || { echo 0; return; }
  if [ "$1" = idle ]; then echo "$idle"; else echo "$streams"; fi
}
idle_all_closed() { [ "$(closed_count idle)" -ge "$idle_open" ]; }
if wait_until 20 idle_all_closed; then ok "every idle connection was closed by the server"; else
  fail "idle connections still open after 20 s: closed $(closed_count idle) of $idle_open"
fi

# For the log: the streams stay open (no timeout within this test).
fds=$(find /proc/"$SERVER_PID"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
echo "      server descriptors during the flood: $fds (limit 256)"

# Event streams end at their maximum age (20 s); EventSource would reconnect.
streams_all_closed() { [ "$(closed_count streams)" -ge "$stream_200" ]; }
if wait_until 40 streams_all_closed; then ok "every event stream was ended at its maximum age"; else
  fail "event streams still open after 40 s: ended $(closed_count streams) of $stream_200"
fi

# --- release ------------------------------------------------------------------------------
touch "$TMP/release"
wait "$FLOOD_PID" 2>/dev/null
FLOOD_PID=""
few_descriptors() {
  [ "$(find /proc/"$SERVER_PID"/fd -mindepth 1 -maxdepth 1 | wc -l)" -lt 100 ]
}
if wait_until 20 few_descriptors; then ok "descriptors given back after the clients left"; else
  fail "server still holds $(find /proc/"$SERVER_PID"/fd -mindepth 1 -maxdepth 1 | wc -l) descriptors"
fi
if [ "$(healthz 127.0.0.1)" = 200 ]; then ok "/healthz from a former flooder answers 200"; else
  fail "/healthz from 127.0.0.1 does not answer 200 after the flood"
fi

kill -TERM "$SERVER_PID"
if wait_until 20 bash -c "! kill -0 $SERVER_PID 2>/dev/null"; then
  ok "graceful stop"
else
  fail "mu serve did not stop on SIGTERM within 20 s"
fi
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

if [ "$FAILED" -gt 0 ]; then
  sed -e 's/^/      flood client: /' "$TMP/flood.log"
fi
echo "$FAILED failed"
[ "$FAILED" -eq 0 ]
