# Shared helpers for bench/ and tests/ shell scripts. Source it; do not run it.

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds or SECONDS pass.
# A liveness bound, not a timing assertion: callers give it generous time.
wait_until() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.1
  done
}

# board_has_items URL: true when the board JSON at URL lists at least one item.
board_has_items() {
  curl -fsS "$1" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["items"] else 1)'
}

# run_wrk URL: wrk -t2 -c$CONNS -d$DURATION with latency stats; prints "req/s p99_ms".
# Uses $work for its output file.
run_wrk() {  # prints "req/s p99_ms"; DURATION may be overridden per call, WRK_HEADER adds one
  if [ -n "${WRK_HEADER:-}" ]; then
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "$WRK_HEADER" "$1" >"$work/wrk.out"
  else
    wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$1" >"$work/wrk.out"
  fi
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' "$work/wrk.out")
  echo "$rps $p99"
}
