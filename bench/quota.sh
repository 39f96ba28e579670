#!/usr/bin/env bash
# What the request quotas (issue 16) cost a board read: the same Mu binary and board served
# by three `mu serve` processes in one run — quotas off, quotas on for anonymous readers
# (every request takes a token of its address's bucket) and quotas on with an API key
# (the key is looked up in the key cache and its usage counted) — each loaded by wrk in
# turn. The limits are set far above what wrk sends so that nothing is refused: the figures
# are the bookkeeping alone. Prints req/s, p99 and the ratios; never asserts.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=${MU:-build/release/mu}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
work=$(mktemp -d /tmp/mu-bench-quota.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_mu() {  # start_mu NAME ENV... ; prints the port
  local name=$1 port
  shift
  port=$(free_port)
  env MU_STORAGE_URL="sqlite://$work/$name.db" MU_LOG_LEVEL=warn MU_SCHEDULER_ENABLED=true \
    MU_SERVER_STATIC_DIR="$work" MU_QUOTA_ANONYMOUS_BURST=100000000 \
    MU_QUOTA_ANONYMOUS_PER_MINUTE=100000000 MU_QUOTA_KEY_BURST=100000000 \
    MU_QUOTA_KEY_PER_MINUTE=100000000 "$@" \
    "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_until 60 board_has_items "http://127.0.0.1:$port/api/v1/boards/weibo.hot-search" ||
    { cat "$work/$name.log" >&2; echo "$name did not come up" >&2; exit 1; }
  echo "$port"
}

off=$(start_mu off MU_QUOTA_ENABLED=false)
on=$(start_mu on)
keyed=$(start_mu keyed)

# A key on the third: the local admin link signs a session in, the session makes the key.
link=$(grep -o "http://[^ ]*/auth/local?token=[^ ]*" "$work/keyed.log" | head -1)
curl -fsS -c "$work/jar" -b "$work/jar" -o /dev/null "$link"
csrf=$(curl -fsS -b "$work/jar" "http://127.0.0.1:$keyed/api/v1/me" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
secret=$(curl -fsS -b "$work/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"name":"bench"}' "http://127.0.0.1:$keyed/api/v1/me/keys" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

path=/api/v1/boards/weibo.hot-search
echo "wrk -t2 -c$CONNS -d$DURATION keep-alive on $path"
run_wrk "http://127.0.0.1:$off$path" >/dev/null  # warm-up pass, discarded
read -r off_rps off_p99 < <(run_wrk "http://127.0.0.1:$off$path")
read -r on_rps on_p99 < <(run_wrk "http://127.0.0.1:$on$path")
read -r key_rps key_p99 < <(WRK_HEADER="Authorization: Bearer $secret" run_wrk "http://127.0.0.1:$keyed$path")
printf '%-22s %12s %10s\n' "quotas" "req/s" "p99 ms"
printf '%-22s %12.0f %10.2f\n' "off" "$off_rps" "$off_p99"
printf '%-22s %12.0f %10.2f\n' "on, anonymous" "$on_rps" "$on_p99"
printf '%-22s %12.0f %10.2f\n' "on, with an API key" "$key_rps" "$key_p99"
python3 -c "print('ratio on/off: %.2fx anonymous, %.2fx with a key' % ($on_rps / $off_rps, $key_rps / $off_rps))"
refused=$(curl -fsS "http://127.0.0.1:$on/metrics" | awk '/^mu_api_quota_requests_total\{outcome="refused"\}/ {print $2}')
echo "requests refused during the runs: ${refused:-0} (expected 0)"
echo "goal: ratio >= 0.95"
