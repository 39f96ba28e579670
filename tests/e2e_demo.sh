#!/usr/bin/env bash
# Checks are functions run through check(); shellcheck would call them unreachable.
# shellcheck disable=SC2317

# End-to-end check of what `make demo` does: a real `mu serve` on a free port, every fetch
# answered from the recorded fixtures (src/sources), SQLite in a temp dir, the static page
# from web/dist. Then the CLI subcommands, then a graceful SIGTERM.
#
# Usage: tests/e2e_demo.sh PATH/TO/mu   (ctest: e2e_demo, label "integration")
# Prints one line per check and ends with "N passed, M failed"; exits non-zero on any
# failure. Waits are liveness bounds (generous), never timing assertions.
set -u -o pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PATH/TO/mu" >&2
  exit 2
fi
MU=$(realpath "$1")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=SCRIPTDIR/../bench/lib.sh
source bench/lib.sh

# Only the settings this script chooses: no MU_* from the caller's environment.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^MU_')

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mu-e2e.XXXXXX")
SERVER_PID=""
LOG="$TMP/serve.log"

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PASSED=0
FAILED=0

# check NAME CMD...: runs CMD; its output is shown only when it fails.
check() {
  local name=$1
  shift
  if "$@" >"$TMP/check.out" 2>&1; then
    echo "ok    $name"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL  $name"
    sed -e 's/^/      /' "$TMP/check.out" | head -n 30
    FAILED=$((FAILED + 1))
    return 1
  fi
}

summary_and_exit() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}

BASE=""
API=""

# --- the server ------------------------------------------------------------------------

server_up_or_gone() {
  ! kill -0 "$SERVER_PID" 2>/dev/null || board_has_items "$API/boards/weibo.hot-search"
}

# Starts `mu serve` like `make demo` and waits until weibo.hot-search lists items. Another
# process may take the free port between free_port and bind: then it tries a new port.
start_server() {
  local attempt port
  for attempt in 1 2 3; do
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    API="$BASE/api/v1"
    MU_STORAGE_URL="sqlite://$TMP/e2e.db" MU_SERVER_STATIC_DIR=web/dist \
      "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$LOG" 2>&1 &
    SERVER_PID=$!
    wait_until 60 server_up_or_gone
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      board_has_items "$API/boards/weibo.hot-search"
      return
    fi
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
    echo "attempt $attempt: mu serve exited early:"
    cat "$LOG"
    grep -qi "in use" "$LOG" || return 1
  done
  return 1
}

check "mu serve --replay starts and weibo.hot-search lists items (60 s bound)" start_server
if [ -z "$SERVER_PID" ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "server log:"
  sed -e 's/^/  /' "$LOG" 2>/dev/null
  summary_and_exit
fi

# Every board is fetched in the first planning round; wait for the rest before asserting.
all_boards_fetched() {
  curl -fsS "$API/boards" | python3 -c '
import json, sys
boards = json.load(sys.stdin)["boards"]
sys.exit(0 if boards and all(b["fetched_at"] for b in boards) else 1)'
}
if ! check "every board fetched (60 s bound)" wait_until 60 all_boards_fetched; then
  # Say which boards are missing and why, with the end of the server log.
  curl -fsS "$API/boards" | python3 -c '
import json, sys
for b in json.load(sys.stdin)["boards"]:
    if not b["fetched_at"]:
        print("      not fetched:", b["id"], "last_run_at:", b["last_run_at"], "error:", b["error"])'
  tail -n 40 "$LOG" | sed -e 's/^/      log: /'
fi

# --- one board -------------------------------------------------------------------------

board_items_match_fixture() {
  curl -fsS -o "$TMP/weibo.json" "$API/boards/weibo.hot-search" || return 1
  python3 - "$TMP/weibo.json" src/sources/weibo/fixtures/hot-search.json <<'PY'
import json, sys
board = json.load(open(sys.argv[1], encoding="utf-8"))
fixture = json.load(open(sys.argv[2], encoding="utf-8"))
topics = [t for t in fixture["data"]["realtime"]
          if not t.get("is_ad") and str(t.get("word", "")).strip()]
first = (str(topics[0].get("note") or "").strip() or str(topics[0]["word"]).strip())
items = board["items"]
ranks = [it["rank"] for it in items]
assert board["id"] == "weibo.hot-search", board["id"]
assert len(items) >= 10, f"only {len(items)} items"
assert ranks == list(range(1, len(items) + 1)), f"ranks {ranks}"
assert items[0]["title"] == first, f"first title {items[0]['title']!r}, fixture {first!r}"
assert len({it["key"] for it in items}) == len(items), "duplicate keys"
assert all(it["url"].startswith("https://") for it in items), "non-https url"
assert board["fetched_at"] and board["stale"] is False and board["error"] is None, board
print(f"{len(items)} items, first {first!r}")
PY
}
check "board: ranks 1..N and the fixture's first title" board_items_match_fixture

header() {  # header FILE NAME: value of the header NAME in a curl -D dump
  tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr '[:upper:]' '[:lower:]')" -F': ' \
    'tolower($1) == n { sub(/^[^:]*: /, ""); print; exit }'
}

# The board may be refetched at its next slot while these run (a new version and ETag), so
# each pair of requests is retried when the ETag changed in between.
etag_gives_304() {
  local _ etag code
  for _ in 1 2 3; do
    curl -fsS -D "$TMP/h1" -o /dev/null "$API/boards/weibo.hot-search" || return 1
    etag=$(header "$TMP/h1" ETag)
    [ -n "$etag" ] || { echo "no ETag"; return 1; }
    code=$(curl -sS -D "$TMP/h2" -o "$TMP/b2" -w '%{http_code}' \
      -H "If-None-Match: $etag" "$API/boards/weibo.hot-search") || return 1
    if [ "$code" = 304 ]; then
      [ ! -s "$TMP/b2" ] || { echo "304 with a body"; return 1; }
      [ "$(header "$TMP/h2" ETag)" = "$etag" ] || { echo "304 without the ETag"; return 1; }
      echo "ETag $etag -> 304"
      # The same for the gzip variant, whose ETag may be the weak form of this one.
      code=$(curl -sS -o "$TMP/b3" -w '%{http_code}' -H 'Accept-Encoding: gzip' \
        -H "If-None-Match: W/$etag" "$API/boards/weibo.hot-search") || return 1
      [ "$code" = 304 ] && [ ! -s "$TMP/b3" ] && echo "gzip + W/$etag -> 304" && return 0
      [ "$code" = 200 ] && continue  # changed in between
      echo "gzip + If-None-Match W/$etag gave $code"
      return 1
    fi
    [ "$code" = 200 ] && [ "$(header "$TMP/h2" ETag)" != "$etag" ] && continue  # changed
    echo "If-None-Match $etag gave $code"
    return 1
  done
  echo "the ETag changed three times in a row"
  return 1
}
check "If-None-Match with the ETag gives 304 and an empty body" etag_gives_304

gzip_matches_identity() {
  local _
  for _ in 1 2 3; do
    curl -fsS -D "$TMP/hi" -o "$TMP/identity" "$API/boards/weibo.hot-search" || return 1
    curl -fsS -D "$TMP/hz" -o "$TMP/gz" -H 'Accept-Encoding: gzip' \
      "$API/boards/weibo.hot-search" || return 1
    # The gzip variant may carry the weak form W/"x" of the identity ETag "x".
    [ "$(header "$TMP/hi" ETag)" = "$(header "$TMP/hz" ETag | sed 's|^W/||')" ] || continue
    [ "$(header "$TMP/hz" Content-Encoding)" = gzip ] || { echo "no Content-Encoding: gzip"; return 1; }
    [ -z "$(header "$TMP/hi" Content-Encoding)" ] || { echo "identity request got encoded"; return 1; }
    header "$TMP/hz" Vary | grep -qi 'accept-encoding' || { echo "no Vary: Accept-Encoding"; return 1; }
    python3 - "$TMP/identity" "$TMP/gz" <<'PY'
import gzip, json, sys
identity = open(sys.argv[1], "rb").read()
compressed = open(sys.argv[2], "rb").read()
plain = gzip.decompress(compressed)
assert plain == identity, "gunzipped body differs from the identity body"
json.loads(plain)
print(f"{len(identity)} bytes -> {len(compressed)} gzip bytes")
PY
    return
  done
  echo "the ETag changed three times in a row"
  return 1
}
check "Accept-Encoding: gzip gives Content-Encoding: gzip of the same JSON" gzip_matches_identity

# --- catalogue, sites, errors, health --------------------------------------------------

"$MU" sources --json >"$TMP/sources.json" 2>"$TMP/sources.err"
SOURCES_RC=$?

sources_json_is_array() {
  [ "$SOURCES_RC" -eq 0 ] || { cat "$TMP/sources.err"; return 1; }
  python3 - "$TMP/sources.json" <<'PY'
import json, re, sys
boards = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(boards, list), type(boards)
assert len(boards) >= 5, f"{len(boards)} boards"
for b in boards:
    assert re.fullmatch(r"[a-z0-9-]+\.[a-z0-9-]+", b["id"]), b["id"]
    assert b["id"].startswith(b["site"] + "."), b
print(len(boards), "boards:", ", ".join(b["id"] for b in boards))
PY
}
check "mu sources --json is a JSON array of >= 5 boards" sources_json_is_array

catalogue_lists_all_boards() {
  curl -fsS -o "$TMP/boards.json" "$API/boards" || return 1
  python3 - "$TMP/boards.json" "$TMP/sources.json" <<'PY'
import json, sys
boards = json.load(open(sys.argv[1], encoding="utf-8"))["boards"]
expected = [b["id"] for b in json.load(open(sys.argv[2], encoding="utf-8"))]
ids = [b["id"] for b in boards]
assert sorted(ids) == sorted(expected), f"{ids} != {expected}"
for b in boards:
    assert b["fetched_at"], f"{b['id']}: fetched_at {b['fetched_at']}"
    assert b["item_count"] > 0, f"{b['id']}: item_count {b['item_count']}"
    assert b["stale"] is False and b["error"] is None, f"{b['id']}: {b['error']}"
print(len(boards), "boards, all fetched")
PY
}
check "/api/v1/boards lists every board with fetched_at" catalogue_lists_all_boards

sites_list() {
  curl -fsS -o "$TMP/sites.json" "$API/sites" || return 1
  python3 - "$TMP/sites.json" "$TMP/sources.json" <<'PY'
import json, sys
sites = json.load(open(sys.argv[1], encoding="utf-8"))["sites"]
sources = json.load(open(sys.argv[2], encoding="utf-8"))
assert len(sites) >= 5, f"{len(sites)} sites"
assert {s["id"] for s in sites} == {b["site"] for b in sources}
listed = sorted(b for s in sites for b in s["boards"])
assert listed == sorted(b["id"] for b in sources), listed
for s in sites:
    assert s["name"] and s["home"].startswith("https://"), s
print(len(sites), "sites")
PY
}
check "/api/v1/sites lists every site with its boards" sites_list

unknown_board_404() {
  local code
  code=$(curl -sS -D "$TMP/h404" -o "$TMP/b404" -w '%{http_code}' "$API/boards/nope.nope") || return 1
  [ "$code" = 404 ] || { echo "status $code"; return 1; }
  header "$TMP/h404" Content-Type | grep -q '^application/json' || { echo "not JSON"; return 1; }
  python3 - "$TMP/b404" <<'PY'
import json, sys
body = json.load(open(sys.argv[1], encoding="utf-8"))
assert body["error"]["code"] == "not-found", body
assert body["error"]["message"], body
print(body)
PY
}
check "unknown board gives 404 with error code not-found" unknown_board_404

status_200() {  # status_200 PATH
  local code
  code=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$BASE$1") || return 1
  cat "$TMP/body"
  [ "$code" = 200 ]
}
check "/healthz 200" status_200 /healthz
check "/readyz 200" status_200 /readyz

# Feeds are read back by an independent parser, Debian's python3-feedparser: a board's and a
# site's RSS, Atom and JSON Feed parse without a bozo flag, with the board's items, stable
# ids and the self link; a bad RE2 pattern is a 400 naming the parameter.
feeds_parse() {
  local kind id ext
  for kind in boards/weibo.hot-search sites/hackernews; do
    for ext in rss atom json; do
      id="$kind.$ext"
      curl -fsS -D "$TMP/hf" -o "$TMP/feed.$ext" "$BASE/feeds/$id" || return 1
      header "$TMP/hf" Content-Type | grep -q 'charset=utf-8' || { echo "$id: no charset"; return 1; }
      [ -n "$(header "$TMP/hf" ETag)" ] || { echo "$id: no ETag"; return 1; }
    done
    local py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    "$py" - "$TMP" "$BASE/feeds/$kind" <<'PY' || return 1
import json, sys
import feedparser
tmp, self_base = sys.argv[1], sys.argv[2]
ids = {}
for ext in ("rss", "atom"):
    raw = open(f"{tmp}/feed.{ext}", "rb").read()
    d = feedparser.parse(raw)
    assert not d.bozo, f"{ext}: {d.bozo_exception!r}"
    assert d.version == ("rss20" if ext == "rss" else "atom10"), d.version
    assert d.feed.title, ext
    selfs = [l.href for l in d.feed.get("links", []) if l.get("rel") == "self"]
    assert selfs and selfs[0].endswith(f"/feeds/{self_base.split('/feeds/')[1]}.{ext}"), selfs
    assert len(d.entries) >= 5, f"{ext}: {len(d.entries)} entries"
    for e in d.entries:
        assert e.id.startswith("tag:mu,2026:board/"), e.id
        assert e.get("link", "https://").startswith(("https://", "http://")), e.link
        assert e.get("published_parsed"), f"{ext}: no date on {e.id}"
    ids[ext] = [e.id for e in d.entries]
feed = json.load(open(f"{tmp}/feed.json", encoding="utf-8"))
assert feed["version"] == "https://jsonfeed.org/version/1.1", feed["version"]
ids["json"] = [i["id"] for i in feed["items"]]
assert ids["rss"] == ids["atom"] == ids["json"], "the formats disagree on ids"
print(f"{self_base}: {len(ids['rss'])} entries in rss, atom and json")
PY
  done
  # A saved search over the history: the first weibo title's first two characters.
  local first py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  first=$(curl -fsS "$API/boards/weibo.hot-search" |
    "$py" -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["items"][0]["title"][:2]))') ||
    return 1
  curl -fsS -o "$TMP/search.atom" "$BASE/feeds/search.atom?q=$first" || return 1
  "$py" - "$TMP/search.atom" <<'PY' || return 1
import sys
import feedparser
d = feedparser.parse(open(sys.argv[1], "rb").read())
assert not d.bozo, repr(d.bozo_exception)
assert d.version == "atom10" and d.entries, f"{d.version}, {len(d.entries)} entries"
assert all(e.id.startswith("tag:mu,2026:board/") for e in d.entries)
print(f"search feed: {len(d.entries)} entries")
PY
  local code
  code=$(curl -sS -o "$TMP/body" -w '%{http_code}' \
    "$BASE/feeds/boards/weibo.hot-search.rss?filterout=%28") || return 1
  if [ "$code" != 400 ] || ! grep -q '"filterout: ' "$TMP/body"; then
    echo "bad filterout gave $code: $(cat "$TMP/body")"
    return 1
  fi
}
check "feeds: RSS, Atom and JSON Feed of a board, a site and a search parse (feedparser)" feeds_parse

# The exposition is read back by the Prometheus project's own Python parser
# (python3-prometheus-client), with the facts a scrape must carry.
metrics_parse() {
  curl -fsS -D "$TMP/hm" -o "$TMP/metrics" "$BASE/metrics" || return 1
  header "$TMP/hm" Content-Type | grep -q '^text/plain; version=0.0.4' ||
    { echo "Content-Type is not the text format 0.0.4"; return 1; }
  # Debian's python3 (python3-prometheus-client), not another one earlier on PATH.
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  "$py" - "$TMP/metrics" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
families = {f.name: f for f in text_string_to_metric_families(text)}
def need(name, kind):
    f = families.get(name)
    assert f is not None, f"no family {name}"
    assert f.type == kind, f"{name} is a {f.type}, not a {kind}"
    return f
age = need("mu_board_data_age_seconds", "gauge")
boards = {s.labels["board"] for s in age.samples}
assert "weibo.hot-search" in boards, "weibo.hot-search has no data age"
assert all(s.value >= 0 for s in age.samples)
runs = need("mu_board_runs", "counter")  # the parser drops the _total suffix of the family
assert any(s.labels.get("outcome") == "ok" for s in runs.samples), "no successful run counted"
http = need("http_requests", "counter")
assert any(s.labels.get("route") == "/api/v1/boards/{id}" for s in http.samples), \
    "board requests not counted under their route pattern"
lat = need("http_request_duration_seconds", "histogram")
assert any(s.name.endswith("_bucket") and s.labels.get("le") == "+Inf" for s in lat.samples)
need("process_resident_memory_bytes", "gauge")
need("process_cpu_seconds", "counter")
need("mu_breaker_state", "gauge")
# Every family and label is one docs/operations.md lists (its metrics table).
import re
doc = open("docs/operations.md", encoding="utf-8").read()
table = doc[doc.index("## Metrics"):]
documented = set(re.findall(r"`([a-z_]+)`", table))
for name, f in families.items():
    spelled = name + "_total" if f.type == "counter" else name
    assert spelled in documented or name in documented, f"{spelled} is not in docs/operations.md"
    for s in f.samples:
        for label in s.labels:
            assert label == "le" or label in documented, f"label {label} of {name} is not documented"
print(f"{len(families)} families, {sum(len(f.samples) for f in families.values())} samples")
PY
}
check "/metrics parses with the Prometheus parser and names boards, runs, routes" metrics_parse

index_page() {
  curl -fsS -D "$TMP/hidx" -o "$TMP/index.html" "$BASE/" || return 1
  header "$TMP/hidx" Content-Type | grep -q '^text/html' || { echo "Content-Type not text/html"; return 1; }
  grep -qi '<html' "$TMP/index.html" || { echo "no <html>"; return 1; }
  # web/dist's page, with its empty #mu-first block filled with the first answers (JSON the
  # sites, the catalogue and the first boards, as src/api/home_page.h writes them).
  python3 - "$TMP/index.html" web/dist/index.html <<'PY'
import json, re, sys
served, built = open(sys.argv[1]).read(), open(sys.argv[2]).read()
pattern = r'(<script type="application/json" id="mu-first" data-boards=")([^"]*)(">)(.*?)(</script>)'
m = re.search(pattern, served, re.S)
assert m, "no #mu-first block in the served page"
data = json.loads(m.group(4))
ids = m.group(2).split(",")
assert [b["id"] for b in data["bodies"]] == ids and ids, f"data-boards {ids} vs bodies"
assert data["sites"]["sites"] and data["boards"]["boards"], "sites and catalogue written"
assert "<" not in m.group(4), "a raw '<' in the block"
rest = served[: m.start()] + re.sub(r'data-boards="[^"]*"', "", m.group(1) + m.group(3)) + m.group(5) + served[m.end():]
b = re.search(pattern, built, re.S)
assert b and b.group(4) == "", "web/dist has an empty block"
want = built[: b.start()] + re.sub(r'data-boards="[^"]*"', "", b.group(1) + b.group(3)) + b.group(5) + built[b.end():]
assert rest == want, "the rest of the page differs from web/dist/index.html"
PY
}
check "/ serves web/dist's page with the first answers written in" index_page

# --- CLI -------------------------------------------------------------------------------

fetch_prints_items() {
  timeout 60 "$MU" fetch hackernews.front --replay src/sources >"$TMP/fetch.out" 2>"$TMP/fetch.err"
  local rc=$?
  cat "$TMP/fetch.err"
  [ "$rc" -eq 0 ] || { echo "exit $rc"; return 1; }
  local n
  n=$(grep -cE '^[0-9]+\. ' "$TMP/fetch.out")
  head -n 2 "$TMP/fetch.out"
  if ! grep -q '^1\. ' "$TMP/fetch.out" || [ "$n" -lt 10 ]; then
    echo "$n numbered items"
    return 1
  fi
}
check "mu fetch hackernews.front --replay src/sources prints items" fetch_prints_items

fetch_unknown_board_fails() {
  timeout 60 "$MU" fetch nope.nope >"$TMP/nope.out" 2>"$TMP/nope.err"
  local rc=$?
  cat "$TMP/nope.err"
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    echo "exit $rc"
    return 1
  fi
  grep -q 'nope\.nope' "$TMP/nope.err" && grep -qi 'no board' "$TMP/nope.err"
}
check "mu fetch nope.nope exits non-zero naming the board" fetch_unknown_board_fails

config_unknown_key() {
  printf '[server]\nlisten = "127.0.0.1:0"\nlisen_typo = "x"\n' >"$TMP/bad.toml"
  "$MU" config check -c "$TMP/bad.toml" >"$TMP/cfg.out" 2>"$TMP/cfg.err"
  local rc=$?
  cat "$TMP/cfg.out" "$TMP/cfg.err"
  [ "$rc" -eq 2 ] || { echo "exit $rc, want 2"; return 1; }
  grep -q 'server\.lisen_typo' "$TMP/cfg.err"
}
check "mu config check with an unknown key exits 2 naming the key" config_unknown_key

# --- graceful stop ---------------------------------------------------------------------

server_gone() { ! kill -0 "$SERVER_PID" 2>/dev/null; }

sigterm_stops_cleanly() {
  kill -TERM "$SERVER_PID" || return 1
  if ! wait_until 60 server_gone; then
    echo "still running 60 s after SIGTERM"
    return 1
  fi
  wait "$SERVER_PID"
  local rc=$?
  SERVER_PID=""
  [ "$rc" -eq 0 ] || { echo "exit $rc"; tail -n 20 "$LOG"; return 1; }
  grep -q 'stopped cleanly' "$LOG" || { tail -n 20 "$LOG"; return 1; }
}
check "SIGTERM: mu serve exits 0 and logs \"stopped cleanly\"" sigterm_stops_cleanly

summary_and_exit
