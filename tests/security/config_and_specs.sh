#!/usr/bin/env bash
# Issue 17, items 9 and 10, probed from outside the process:
# - `mu config check` refuses values that used to pass (a size that overflowed to 0, a port
#   past 65535, a bad listen address) with exit 2 and a message naming the key, and warns
#   about misspelled MU_* variables;
# - a sources.d holding a FIFO, a directory, a dangling symlink, a 2 MiB file and a
#   non-UTF-8 file is reported entry by entry by `mu sources`, `mu check-sources` and the
#   admin sources list (valid UTF-8 JSON), and nothing blocks on the FIFO.
# Every process runs under `timeout`, so a hang fails the probe instead of the suite.
# Usage: tests/security/config_and_specs.sh path/to/mu
set -u -o pipefail
MU=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/lib.sh"
while read -r name; do unset "$name"; done < <(compgen -e | grep '^MU_')
TMP=$(mktemp -d /tmp/mu-sec-config.XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
PASSED=0
FAILED=0
check() {
  local name=$1; shift
  if "$@" >"$TMP/out" 2>&1; then echo "ok    $name"; PASSED=$((PASSED + 1));
  else echo "FAIL  $name"; sed -e 's/^/      /' "$TMP/out" | head -20; FAILED=$((FAILED + 1)); fi
}
cd "$TMP"

# --- configuration ------------------------------------------------------------------------
# config_refused TOML WORDS...: `mu config check` exits 2 and its message has every WORD.
config_refused() {
  local toml=$1; shift
  printf '%b' "$toml" >"$TMP/bad.toml"
  local rc=0
  timeout 30 "$MU" config check --config "$TMP/bad.toml" >"$TMP/cc.out" 2>&1 || rc=$?
  cat "$TMP/cc.out"
  [ "$rc" -eq 2 ] || { echo "exit $rc, expected 2"; return 1; }
  for word in "$@"; do grep -qF -- "$word" "$TMP/cc.out" || { echo "missing: $word"; return 1; }; done
}
check "a size that overflows is refused, naming the key and range" \
  config_refused '[server]\nmax_body = "17179869184GiB"\n' "server.max_body" "between 1KiB and 1GiB"
check "a zero body limit is refused" config_refused '[fetch]\nmax_body = "0"\n' "fetch.max_body"
check "a port past 65535 is refused" \
  config_refused '[server]\nlisten = "127.0.0.1:99999"\n' "server.listen" "between 1 and 65535"
check "a bad gRPC listen address is refused" \
  config_refused '[scheduler]\nlisten = "[::1:7400"\n' "scheduler.listen"
check "a bad advertise port is refused" \
  config_refused '[collector]\nadvertise = "c1:0"\n' "collector.advertise"
check "a duration that overflows is refused" \
  config_refused "[coordination]\nlease_ttl = \"$(printf '999999999d%.0s' $(seq 1 120))\"\n" \
  "coordination.lease_ttl"

misspelled_variable_warned() {
  local rc=0
  MU_SERVER_LISEN=0.0.0.0:80 MU_BIN=/x MU_CLUSTER_DIR=/y \
    timeout 30 "$MU" config check >"$TMP/w.out" 2>"$TMP/w.err" || rc=$?
  cat "$TMP/w.out" "$TMP/w.err"
  [ "$rc" -eq 0 ] &&
    grep -qF 'MU_SERVER_LISEN: unknown variable, ignored (did you mean MU_SERVER_LISTEN?)' "$TMP/w.err" &&
    ! grep -qE 'MU_BIN|MU_CLUSTER_DIR' "$TMP/w.err"
}
check "a misspelled MU_* variable is warned about (with a suggestion)" misspelled_variable_warned
bad_flag_refused() {
  local rc=0
  timeout 30 "$MU" serve --listen 127.0.0.1:70000 >"$TMP/f.out" 2>&1 || rc=$?
  cat "$TMP/f.out"
  [ "$rc" -eq 2 ] && grep -qF -- "--listen" "$TMP/f.out"
}
check "--listen with a bad port is refused before anything starts" bad_flag_refused

# --- sources.d ------------------------------------------------------------------------------
mkdir -p "$TMP/sources.d/dir.toml" "$TMP/replay"
cat >"$TMP/sources.d/acme.toml" <<'TOML'
[site]
id = "acme"
name_zh = "阿克米新闻"
name_en = "Acme News"
home = "https://news.acme.example"
region = "global"
[[boards]]
id = "acme.latest"
name_zh = "最新"
name_en = "Latest"
kind = "stream"
every = "10m"
group = "global"
homepage = "https://news.acme.example/"
[boards.request]
url = "https://news.acme.example/rss.xml"
[boards.parse]
type = "feed"
TOML
mkfifo "$TMP/sources.d/pipe.toml"
ln -s "$TMP/nowhere.toml" "$TMP/sources.d/gone.toml"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$TMP/sources.d/big.toml"
printf '# \xff\xfe\x00\x01 binary\n' >"$TMP/sources.d/binary.toml"
cat >"$TMP/replay/feed.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Acme</title><link>https://news.acme.example/</link>
<item><title>First</title><link>https://news.acme.example/a/1</link><guid>a1</guid><pubDate>Wed, 25 Nov 2026 08:00:00 +0000</pubDate></item>
</channel></rss>
XML
printf 'GET\thttps://news.acme.example/rss.xml\tfeed.xml\t200\tapplication/rss+xml\n' >"$TMP/replay/replay.tsv"
BROKEN=("pipe.toml: a FIFO" "dir.toml: a directory" "gone.toml: a symbolic link"
        "big.toml: larger than the 1 MiB limit" "binary.toml: not valid UTF-8")

every_entry_named() {
  for m in "${BROKEN[@]}"; do grep -qF -- "$m" "$1" || { echo "missing: $m"; cat "$1"; return 1; }; done
}
sources_reports_entries() {
  timeout 60 "$MU" sources >"$TMP/s.out" 2>"$TMP/s.err" || { echo "exit $?"; cat "$TMP/s.err"; return 1; }
  grep -q '^acme.latest ' "$TMP/s.out" && every_entry_named "$TMP/s.err"
}
check "mu sources reports each unusable entry and loads the good spec" sources_reports_entries
check_sources_reports_entries() {
  local rc=0
  timeout 100 "$MU" check-sources --replay "$ROOT/src/sources:$TMP/replay" >"$TMP/c.out" 2>&1 || rc=$?
  [ "$rc" -eq 1 ] || { echo "exit $rc, expected 1 (broken specs)"; tail -20 "$TMP/c.out"; return 1; }
  grep -q '^acme.latest .* ok ' "$TMP/c.out" && every_entry_named "$TMP/c.out"
}
check "mu check-sources reports each unusable entry and fails" check_sources_reports_entries

PORT=$(free_port)
MU_STORAGE_URL="sqlite://$TMP/s.db" MU_SERVER_STATIC_DIR="" MU_SERVER_LISEN=x \
  timeout 100 "$MU" serve --listen "127.0.0.1:$PORT" --replay "$ROOT/src/sources:$TMP/replay" \
  >"$TMP/log" 2>&1 &
PID=$!
BASE="http://127.0.0.1:$PORT"
check "mu serve starts next to the FIFO (60 s bound)" wait_until 60 curl -fsS "$BASE/healthz"
serve_logged() { every_entry_named "$TMP/log" && grep -qF "MU_SERVER_LISEN: unknown variable" "$TMP/log"; }
check "mu serve logs each unusable entry and the unknown variable" serve_logged
admin_list_valid() {
  local token
  token=$(grep -o 'auth/local?token=[A-Za-z0-9_-]*' "$TMP/log" | head -1 | cut -d= -f2)
  [ -n "$token" ] || { echo "no admin link in the log"; return 1; }
  curl -fsS -c "$TMP/jar" -o /dev/null "$BASE/auth/local?token=$token" || return 1
  curl -fsS -b "$TMP/jar" "$BASE/api/v1/admin/sources" >"$TMP/list.json" || return 1
  python3 - "$TMP/list.json" "${BROKEN[@]}" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: raises on invalid UTF-8
specs = {s["name"]: s for s in json.loads(text)["specs"]}
assert len(raw) < 64 * 1024, f"answer is {len(raw)} bytes: a big file came back"
assert specs["acme"]["error"] is None, specs["acme"]
for expected in sys.argv[2:]:
    name = expected.split(".toml")[0]
    assert name in specs, (name, sorted(specs))
    assert expected in (specs[name]["error"] or ""), specs[name]
    assert specs[name]["text"] == "", (name, specs[name]["text"][:80])
PY
}
check "GET /api/v1/admin/sources lists every entry as valid UTF-8 JSON" admin_list_valid

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
