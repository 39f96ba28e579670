#!/usr/bin/env bash
# Mu vs nginx serving the same bytes: wrk, keep-alive, 64 connections, 2 threads, against
# /api/v1/boards/weibo.hot-search (Mu, fed from fixtures) and the same JSON as a static file
# (nginx: 1 worker, keep-alive, access log off). Prints req/s, p99, the ratio and Mu's
# resident memory after the load. Figures are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=${MU:-build/release/mu}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
work=$(mktemp -d /tmp/mu-bench.XXXXXX)
chmod 755 "$work"  # nginx workers run as an unprivileged user
cleanup() {
  [ -n "${mu_pid:-}" ] && kill "$mu_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mu_port=$(free_port)
MU_STORAGE_URL="sqlite://$work/bench.db" MU_LOG_LEVEL=warn MU_QUOTA_ANONYMOUS_BURST=100000000 \
  "$MU" serve --listen "127.0.0.1:$mu_port" --replay src/sources >"$work/mu.log" 2>&1 &
mu_pid=$!
url="http://127.0.0.1:$mu_port/api/v1/boards/weibo.hot-search"
wait_until 60 board_has_items "$url" || { cat "$work/mu.log"; echo "Mu did not come up"; exit 1; }
curl -fsS "$url" -o "$work/board.json"

ngx_port=$(free_port)
mkdir -p "$work/www"
cp "$work/board.json" "$work/www/board.json"
cat >"$work/nginx.conf" <<NGX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$ngx_port;
    root $work/www;
    location = /board.json { etag on; }
  }
}
NGX
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work"
wait_until 10 curl -fsS "http://127.0.0.1:$ngx_port/board.json"

bytes=$(stat -c %s "$work/board.json")
echo "body: $bytes bytes of JSON (weibo.hot-search), wrk -t2 -c$CONNS -d$DURATION keep-alive"
run_wrk "$url" >/dev/null  # warm-up pass, discarded
read -r mu_rps mu_p99 < <(run_wrk "$url")
read -r ngx_rps ngx_p99 < <(run_wrk "http://127.0.0.1:$ngx_port/board.json")
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$mu_pid/status")
printf '%-8s %12s %10s\n' "server" "req/s" "p99 ms"
printf '%-8s %12.0f %10.2f\n' "mu" "$mu_rps" "$mu_p99"
printf '%-8s %12.0f %10.2f\n' "nginx" "$ngx_rps" "$ngx_p99"
python3 -c "print('ratio mu/nginx: %.2fx req/s' % ($mu_rps / $ngx_rps))"
echo "mu resident memory after load: $((rss_kb / 1024)) MiB ($rss_kb KiB)"
echo "goals: ratio >= 0.9, p99 <= 5 ms, RSS <= 40 MB"
