#!/usr/bin/env bash
# Leader failover of the distributed scheduler on a real local cluster (scripts/cluster:
# Redis, PostgreSQL, 3 schedulers, 4 collectors, 2 APIs): kill -9 the leader ROUNDS times
# (default 20) and SIGTERM it 5 times, timing each takeover (from the signal to a new lease
# holder in Redis) and the first dispatch of the new term. Prints p50/p99, and the ratio of
# the kill -9 p99 to its baseline, the lease TTL (the time a dead leader's lease needs to
# expire: the floor any lease-based takeover has). Figures are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
MU=${MU:-build/release/mu}
ROUNDS=${ROUNDS:-20}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
python3 tests/cluster/chaos.py "$MU" --only failover --rounds "$ROUNDS" | tee "$out"
ttl=3.0
p99=$(grep -oE 'takeover after kill -9 .* p99 [0-9.]+s' "$out" | grep -oE 'p99 [0-9.]+' | cut -d' ' -f2)
p99_term=$(grep -oE 'takeover after SIGTERM .* p99 [0-9.]+s' "$out" | grep -oE 'p99 [0-9.]+' | cut -d' ' -f2)
python3 - "$p99" "$p99_term" "$ttl" <<'PY'
import sys
p99, p99_term, ttl = (float(x) for x in sys.argv[1:])
print(f"\nfailover summary (baseline: lease TTL {ttl:.1f}s)")
print(f"  kill -9 takeover p99  {p99:.2f}s = {p99 / ttl:.2f}x the lease TTL (goal p99 <= 3.5 s)")
print(f"  SIGTERM takeover p99  {p99_term:.3f}s = {p99_term / ttl:.2f}x the lease TTL (goal <= 0.3 s)")
PY
