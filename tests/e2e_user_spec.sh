#!/usr/bin/env bash
# A user-written spec dropped into sources.d appears in `mu sources` and /api/v1/boards
# after (re)start and is fetched; a broken spec is reported with its file and key while
# every other board keeps working. Usage: tests/e2e_user_spec.sh path/to/mu
set -u -o pipefail
MU=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/bench/lib.sh"
while read -r name; do unset "$name"; done < <(compgen -e | grep '^MU_')
TMP=$(mktemp -d /tmp/mu-user-spec.XXXXXX)
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
mkdir -p "$TMP/sources.d" "$TMP/replay"
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
cat >"$TMP/sources.d/broken.toml" <<'TOML'
[site]
id = "broken"
name_en = "Broken"
home = "https://broken.example"
region = "global"
[[boards]]
id = "broken.top"
name_zh = "坏"
name_en = "Top"
kind = "rank"
homepage = "https://broken.example/"
group = "global"
[boards.request]
url = "https://broken.example/api"
[boards.parse]
type = "json"
lisst = "data"
TOML
cat >"$TMP/replay/feed.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Acme</title><link>https://news.acme.example/</link>
<item><title>第一条 Acme 新闻</title><link>https://news.acme.example/a/1</link><guid>a1</guid><pubDate>Wed, 25 Nov 2026 08:00:00 +0000</pubDate></item>
<item><title>Second story</title><link>https://news.acme.example/a/2</link><guid>a2</guid><pubDate>Wed, 25 Nov 2026 07:00:00 +0000</pubDate></item>
</channel></rss>
XML
printf 'GET\thttps://news.acme.example/rss.xml\tfeed.xml\t200\tapplication/rss+xml\n' >"$TMP/replay/replay.tsv"

cd "$TMP"
sources_lists_user_board() { "$MU" sources 2>"$TMP/sources.err" | grep -q '^acme.latest '; }
check "mu sources lists the user's board" sources_lists_user_board
broken_named() { grep -q 'broken.toml: boards\[0\].parse' "$TMP/sources.err" || { cat "$TMP/sources.err"; false; }; }
check "a broken spec is reported with its file and key" broken_named

PORT=$(free_port)
MU_STORAGE_URL="sqlite://$TMP/u.db" MU_SERVER_STATIC_DIR="$ROOT/web/public" \
  "$MU" serve --listen "127.0.0.1:$PORT" --replay "$ROOT/src/sources:$TMP/replay" >"$TMP/log" 2>&1 &
PID=$!
API="http://127.0.0.1:$PORT/api/v1"
user_board_fetched() {
  curl -fsS "$API/boards/acme.latest" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [i["title"] for i in d["items"]] == ["第一条 Acme 新闻", "Second story"], d["items"]'
}
check "the user's board is served with its items (60 s bound)" wait_until 60 user_board_fetched
others_fine() { board_has_items "$API/boards/weibo.hot-search"; }
check "built-in boards keep working" wait_until 60 others_fine
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
