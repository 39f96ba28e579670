#!/usr/bin/env bash
# Issue 17 item 1 as a process-level probe: outbound calls made for a client (the GitHub
# token exchange of the sign-in callback) must not stall the io threads. Starts `mu serve`
# (replay mode, default 2 io threads) with auth.github_token_url pointing at a local token
# endpoint that holds every request until the probe ends; completes 20 sign-in starts and
# sends their 20 callbacks, all of which then hang on the token endpoint; and checks that
# /healthz and a board still answer, each well before the token endpoint would let go.
# Before the fix each callback held an io thread, so two callbacks stalled every request.
#
# Usage: tests/security/slow_outbound.sh PATH/TO/mu   (ctest: security_slow_outbound)
# The 5 s bound per request is a liveness bound against a 60 s stall, not a timing
# assertion; the latencies are printed for the record.
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mu-slow-outbound.XXXXXX")
SERVER_PID=""
SLOW_PID=""
cleanup() {
  for pid in "$SERVER_PID" "$SLOW_PID"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
  echo "FAIL  $*"
  echo "      server log:"
  tail -n 20 "$TMP/serve.log" | sed -e 's/^/      /'
  exit 1
}

# The token endpoint: accepts every connection and answers nothing for 60 s.
slow_port=$(free_port)
python3 - "$slow_port" "$TMP/slow.hits" <<'PY' &
import socket, sys, threading, time
port, hits = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(128)
held = []
lock = threading.Lock()
def hold(conn):
    conn.recv(65536)
    with lock:
        held.append(conn)
        with open(hits, "w") as f:
            f.write(str(len(held)))
    time.sleep(60)
while True:
    c, _ = srv.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()
PY
SLOW_PID=$!
wait_until 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$slow_port" || fail "the slow endpoint did not start"

port=$(free_port)
BASE="http://127.0.0.1:$port"
mkdir -p "$TMP/static"
MU_STORAGE_URL="sqlite://$TMP/mu.db" MU_SCHEDULER_ENABLED=false MU_SERVER_STATIC_DIR="$TMP/static" \
  MU_AUTH_GITHUB_CLIENT_ID=probe MU_AUTH_GITHUB_CLIENT_SECRET=probe-secret \
  MU_AUTH_GITHUB_TOKEN_URL="http://127.0.0.1:$slow_port/login/oauth/access_token" \
  "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
up_or_gone() { ! kill -0 "$SERVER_PID" 2>/dev/null || curl -fsS -o /dev/null "$BASE/healthz"; }
wait_until 60 up_or_gone
curl -fsS -o /dev/null "$BASE/healthz" || fail "mu serve did not answer /healthz (60 s bound)"

python3 - "$port" "$TMP/slow.hits" <<'PY' || fail "requests stalled behind the pending callbacks"
import http.client, sys, threading, time, urllib.parse
port, hits = int(sys.argv[1]), sys.argv[2]
CALLBACKS = 20

def get(path, headers=None, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t = time.monotonic()
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    r.read()
    return r, time.monotonic() - t

def latencies(path, n=40):
    out = []
    for _ in range(n):
        r, dt = get(path)
        if r.status != 200:
            sys.exit(f"{path}: {r.status}")
        out.append(dt)
    out.sort()
    return out[int(0.99 * (len(out) - 1))]

idle = {p: latencies(p) for p in ("/healthz", "/api/v1/boards/weibo.hot-search")}

# 20 sign-ins started in this "browser", then their callbacks, which hang on the endpoint.
def callback(state, cookie):
    try:
        get(f"/auth/github/callback?code=c&state={state}", {"Cookie": cookie}, timeout=90)
    except Exception:
        pass
threads = []
for _ in range(CALLBACKS):
    r, _ = get("/auth/github/login")
    loc = urllib.parse.urlparse(r.getheader("Location"))
    state = urllib.parse.parse_qs(loc.query)["state"][0]
    cookie = r.getheader("Set-Cookie").split(";")[0]
    t = threading.Thread(target=callback, args=(state, cookie), daemon=True)
    t.start()
    threads.append(t)

def held():
    try:
        return int(open(hits).read() or 0)
    except FileNotFoundError:
        return 0
deadline = time.monotonic() + 30
while held() < 4 and time.monotonic() < deadline:  # at least the pool's threads are in
    time.sleep(0.05)
if held() < 4:
    sys.exit(f"only {held()} callbacks reached the token endpoint")

try:
    busy = {p: latencies(p) for p in idle}
except Exception as e:  # a 5 s read timeout: the io threads are stalled
    sys.exit(f"a request did not answer within 5 s while callbacks were pending: {e}")
for p in idle:
    print(f"{p}: p99 {idle[p] * 1000:.1f} ms idle, {busy[p] * 1000:.1f} ms with "
          f"{CALLBACKS} callbacks pending ({held()} at the token endpoint)")
PY
echo "ok    /healthz and a board answer while $((20)) sign-in callbacks wait on a stalled GitHub"
