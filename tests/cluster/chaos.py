#!/usr/bin/env python3
"""Chaos tests of Mu's distributed mode against the real parts.

Starts a local cluster with scripts/cluster (redis-server, PostgreSQL, 3 schedulers, 4
collectors in groups cn and global, 2 API instances; fixtures replayed with a 1 s delay so
dispatches are in flight when something breaks), then:

  failover   kill -9 the leader N times (default 20): a new leader takes the lease and
             dispatches every time; SIGTERM it 5 times: hand-over; prints p50/p99.
  pause      SIGSTOP the leader for 5 s, SIGCONT: its late commits are rejected as fenced.
  collector  kill -9 a collector with dispatches in flight: they are retried on the other
             collector of the same group and committed.
  stall      a psql session takes the fence row lock (as a leader frozen between its lock
             and COMMIT) and goes silent while the leader is killed: the new leader raises
             the fence and commits within about 5 s plus a retry, not after the 40 s the
             writer meant to hold it; the writer's transaction is rolled back.
  pgstop     PostgreSQL stopped for 10 s while boards run: the APIs keep serving, the
             leader keeps its term, every attempt of every slot that ran has its run record
             afterwards; then a takeover after the restart is timed.
  redis      restart Redis mid-run: the cluster recovers by itself, nothing committed lost,
             the API instances serve fresh data again.
  updates    100 schedule updates sent to random scheduler instances while the leader is
             killed and restarted: every board ends on the last update sent.
  alerts     a rule with a webhook channel (made through an API instance, signed in with
             `mu admin link`); new matching items are written into a replayed feed while
             the leader is killed: every matching item reaches the webhook, no (rule, item)
             is recorded or delivered as two deliveries, every signature verifies.
  checker    over the runs table: each (board, slot) committed at most once, no dispatch id
             committed twice, commit epochs never go back, and every slot missing between
             two run records lies in a leader change (fire-once misfire after a takeover)
             or in a retry of the slot before.

Safety is asserted strictly; liveness gets generous deadlines. Exit code 0 when every
assertion held.
Usage: chaos.py MU_BIN [--only failover,pause,...] [--rounds N] [--stall-rounds N]
"""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import random
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mu_session import admin_session  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")

# Boards run every 10 s in the test (the smallest schedule Mu accepts); with a 1 s replay
# delay a dispatch (even tried on two collectors) ends before the next slot, so within one
# leader term no slot is skipped for overlap.
CHAOS_BOARDS = {
    "cn": ["weibo.hot-search", "zhihu.hot", "baidu.realtime", "bilibili.hot-search",
           "toutiao.hot", "v2ex.hot"],
    "global": ["hackernews.front", "hackernews.newest", "lobsters.hottest", "github.trending",
               "reddit.popular", "bbc.world"],
}
EVERY_S = 10
ALL_BOARDS = [b for bs in CHAOS_BOARDS.values() for b in bs]
UPDATED_BOARDS = ALL_BOARDS[0::2]  # the updates scenario changes these schedules
STEADY_BOARDS = ALL_BOARDS[1::2]   # these keep every = 10 s: the checker's slot grid
FAILURES = []


def log(msg):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(cond, msg):
    if cond:
        log(f"ok: {msg}")
    else:
        log(f"FAIL: {msg}")
        FAILURES.append(msg)
    return cond


def free_offset():
    """A port offset at which every port of the cluster is free."""
    base = [6390, 5440, 7401, 7402, 7403, 7501, 7502, 7503, 7504, 8081, 8082]
    rng = random.Random(os.getpid())
    for _ in range(200):
        off = rng.randrange(20000, 50000, 10)
        ok = True
        for p in base:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p + off))
                except OSError:
                    ok = False
                    break
        if ok:
            return off
    raise RuntimeError("no free port range for the cluster")


class Cluster:
    def __init__(self, mu_bin, workdir, offset):
        self.mu = mu_bin
        self.dir = workdir
        self.off = offset
        self.env = dict(os.environ)
        self.env.update({
            "MU_BIN": mu_bin,
            "MU_CLUSTER_DIR": workdir,
            "MU_CLUSTER_PORT_OFFSET": str(offset),
            "MU_CLUSTER_EXTRA_CONFIG": os.path.join(workdir, "extra.toml"),
            "MU_FETCH_REPLAY_DELAY": "1s",
            "MU_SCHEDULER_RECONCILE_EVERY": "3s",
            "MU_LOG_LEVEL": "info",
        })
        with open(os.path.join(workdir, "extra.toml"), "w") as f:
            for boards in CHAOS_BOARDS.values():
                for b in boards:
                    f.write(f'[boards."{b}"]\nevery = "{EVERY_S}s"\n')
        self.redis_port = 6390 + offset
        self.pg_port = 5440 + offset
        self.sched = {f"s{i}": 7400 + i + offset for i in (1, 2, 3)}
        self.api = {"a1": 8081 + offset, "a2": 8082 + offset}

    def run(self, *args, check_rc=True, timeout=180, env=None):
        r = subprocess.run([CLUSTER, *args], env={**self.env, **(env or {})}, cwd=ROOT,
                           timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if check_rc and r.returncode != 0:
            raise RuntimeError(f"scripts/cluster {' '.join(args)} failed:\n{r.stdout}")
        return r.stdout

    def pid(self, name):
        out = self.run("pid", name, check_rc=False).strip()
        return int(out) if out else None

    def redis(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw", *args],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=10)
        return r.stdout.strip()

    def sql(self, query):
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres",
                            "-d", "mu", "-tA", "-F", "|", "-c", query],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr}")
        return [line.split("|") for line in r.stdout.splitlines() if line]

    def leader(self):
        """(holder, epoch) of the lease, or (None, 0)."""
        v = self.redis("GET", "{mu}:leader")
        if not v or "|" not in v:
            return None, 0
        holder, epoch = v.rsplit("|", 1)
        return holder, int(epoch)

    def ctl(self, instance, *args, timeout=30):
        r = subprocess.run([self.mu, "ctl", "--scheduler", f"127.0.0.1:{self.sched[instance]}",
                            *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        return r.returncode, r.stdout.strip(), r.stderr.strip()

    def log_text(self, name):
        try:
            with open(os.path.join(self.dir, "logs", f"{name}.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def wait_until(what, predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def runs_since_epoch(c, epoch):
    return int(c.sql(f"SELECT count(*) FROM runs WHERE epoch >= {epoch}")[0][0])


def wait_for_leader(c, not_holder=None, timeout=30):
    return wait_until("a leader", lambda: (lambda h: h if h[0] and h[0] != not_holder else None)(
        c.leader()), timeout, interval=0.01)


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def scenario_failover(c, rounds):
    kill_times, first_dispatch, term_times = [], [], []
    for i in range(rounds):
        holder, epoch = wait_for_leader(c)
        # Let the leader's term do some work first.
        wait_until("a dispatch of the current term",
                   lambda: runs_since_epoch(c, epoch) > 0, 60, interval=0.1)
        pid = c.pid(holder)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
        t1 = time.monotonic()
        kill_times.append(t1 - t0)
        check(new_epoch > epoch, f"kill -9 #{i + 1}: {new_holder} leads with epoch {new_epoch} > "
              f"{epoch} after {t1 - t0:.2f}s")
        wait_until(f"a dispatch by epoch {new_epoch}",
                   lambda: runs_since_epoch(c, new_epoch) > 0, 60, interval=0.05)
        first_dispatch.append(time.monotonic() - t0)
        c.run("kill", holder, check_rc=False)  # clears the pid file
        c.run("start", holder)
    for i in range(5):
        holder, epoch = wait_for_leader(c)
        wait_until("a dispatch of the current term",
                   lambda: runs_since_epoch(c, epoch) > 0, 60, interval=0.1)
        pid = c.pid(holder)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
        term_times.append(time.monotonic() - t0)
        check(new_epoch > epoch, f"SIGTERM #{i + 1}: {new_holder} took over in "
              f"{term_times[-1]:.3f}s")
        c.run("stop", holder, check_rc=False)
        c.run("start", holder)
    return kill_times, first_dispatch, term_times


def report_failover(kill_times, first_dispatch, term_times):
    log(f"takeover after kill -9 ({len(kill_times)}x): p50 {percentile(kill_times, 50):.2f}s "
        f"p99 {percentile(kill_times, 99):.2f}s max {max(kill_times):.2f}s (goal p99 <= 3.5s)")
    log(f"first dispatch of the new term after kill -9: p50 "
        f"{percentile(first_dispatch, 50):.2f}s p99 {percentile(first_dispatch, 99):.2f}s")
    log(f"takeover after SIGTERM ({len(term_times)}x): p50 {percentile(term_times, 50):.3f}s "
        f"p99 {percentile(term_times, 99):.3f}s (goal <= 0.3s)")


def scenario_pause(c):
    holder, epoch = wait_for_leader(c)
    # Pause while dispatches are in flight (each takes 1 s at the collector).
    wait_until("dispatches in flight on the leader", lambda: in_flight_total(c) >= 2, 60,
               interval=0.02)
    pid = c.pid(holder)
    before = c.log_text(holder).count("commit rejected: fenced")
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
    check(new_epoch > epoch, f"paused leader {holder} replaced by {new_holder} (epoch "
          f"{new_epoch})")
    fence = int(c.sql("SELECT epoch FROM fence WHERE id = 1")[0][0])
    check(fence >= new_epoch, f"store fence raised to {fence} by the new leader")
    time.sleep(max(0.0, 5.0 - (time.monotonic() - t0)))  # the pause itself: 5 s of SIGSTOP
    os.kill(pid, signal.SIGCONT)
    # The term ends once the resumed leader noticed and its running dispatches finished
    # (their commits are attempted before this line is logged).
    wait_until("the resumed leader's term to end",
               lambda: f"term {epoch} ended" in c.log_text(holder), 60, interval=0.1)
    text = c.log_text(holder)
    fenced = text.count("commit rejected: fenced") - before
    # Run ids are assigned in commit order, so "after" is "with a larger id".
    late = int(c.sql(f"SELECT count(*) FROM runs WHERE status = 'ok' AND epoch = {epoch} AND "
                     f"id > (SELECT min(id) FROM runs WHERE epoch = {new_epoch})")[0][0])
    check(fenced >= 1, f"resumed leader's late commits rejected as fenced ({fenced})")
    check(late == 0, f"no commit of epoch {epoch} landed after epoch {new_epoch} began ({late})")


def in_flight_total(c):
    raw = c.redis("HGETALL", "{mu}:collectors")
    total = 0
    lines = raw.splitlines()
    for j in range(1, len(lines), 2):
        try:
            total += int(json.loads(lines[j]).get("in_flight", 0))
        except (ValueError, AttributeError):
            pass
    return total


def collector_in_flight(c, name):
    raw = c.redis("HGET", "{mu}:collectors", name)
    try:
        return int(json.loads(raw).get("in_flight", 0))
    except (ValueError, AttributeError):
        return 0


def scenario_collector(c):
    victim, sibling = "c1", "c2"
    # The victim replays slowly (6 s a fetch) so that a dispatch seen starting on it in the
    # registry (its in-flight count, published every heartbeat of 1 s, going from 0 to 1) is
    # certainly still running when it is killed: the count alone may be a second old.
    c.run("stop", victim)
    c.run("start", victim, env={"MU_FETCH_REPLAY_DELAY": "6s"})
    wait_until(f"{victim} idle in the registry", lambda: c.redis(
        "HGET", "{mu}:collectors", victim) and collector_in_flight(c, victim) == 0, 60,
        interval=0.02)
    wait_until(f"a dispatch starting on {victim}", lambda: collector_in_flight(c, victim) >= 1,
               90, interval=0.02)
    c.run("kill", victim)

    # The router logs every dispatch it moves to another collector; each of them must then be
    # committed by the sibling of the same group.
    def retried():
        moved = []
        for name in c.sched:
            for line in c.log_text(name).splitlines():
                if "trying another" in line and f"collector {victim} " in line:
                    for word in line.replace(":", " ").split():
                        if "@" in word and "." in word.split("@")[0]:
                            moved.append(word.strip(",;()"))
        return moved or None
    moved = wait_until("a dispatch moved off the killed collector", retried, 60, interval=0.2)
    dispatch = moved[0]
    rows = wait_until(f"{dispatch} committed", lambda: c.sql(
        f"SELECT collector, status FROM runs WHERE dispatch_id = '{dispatch}' AND status = 'ok'"),
        60, interval=0.2)
    check(rows[0][0] == sibling, f"{dispatch}, in flight on killed {victim}, committed by "
          f"{rows[0][0]} of the same group")
    c.run("start", victim)
    wait_until(f"{victim} back in the registry", lambda: c.redis("HGET", "{mu}:collectors",
                                                                   victim), 30, interval=0.2)


class FrozenWriter:
    """A psql session that takes the store's fence row lock (and a board row) in a
    transaction and then goes silent, as a leader stopped between its lock and COMMIT
    would. It runs with the session settings Mu's own connections use, so the server ends
    it after 5 s idle in its transaction; left alone it would hold the lock for 40 s."""

    def __init__(self, c, hold_s=40):
        env = dict(os.environ, PGOPTIONS="-c idle_in_transaction_session_timeout=5s")
        self.c = c
        self.hold_s = hold_s
        self.p = subprocess.Popen(
            ["psql", "-h", "127.0.0.1", "-p", str(c.pg_port), "-U", "postgres", "-d", "mu",
             "-tAq", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=env)
        self.p.stdin.write("BEGIN;\n"
                           "SELECT pg_backend_pid() FROM fence WHERE id = 1 FOR UPDATE;\n"
                           "UPDATE boards SET last_error = 'frozen writer' "
                           "WHERE id = 'weibo.hot-search';\n"
                           "SELECT 'locked';\n")
        self.p.stdin.flush()
        self.backend = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.p.stdout], [], [], 1.0)
            if not ready:
                continue
            line = self.p.stdout.readline().strip()
            if line.isdigit():
                self.backend = line
            elif line == "locked":
                break
            elif not line:
                break
        if self.backend is None:
            raise RuntimeError("psql could not take the fence row lock")
        self.locked_at = time.monotonic()

    def alive(self):
        return bool(self.c.sql(f"SELECT 1 FROM pg_stat_activity WHERE pid = {self.backend}"))

    def close(self):
        try:
            self.p.stdin.write("COMMIT;\n")
            self.p.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def first_commit_of(c, epoch):
    return int(c.sql(f"SELECT count(*) FROM runs WHERE epoch >= {epoch} AND status = 'ok'")
               [0][0]) > 0


def scenario_stall(c, rounds):
    """A writer frozen holding the fence row lock while the leader is killed: the new leader
    still raises the fence and commits long before the writer would have let go (40 s)."""
    fence_times, commit_times = [], []
    for i in range(rounds):
        holder, epoch = wait_for_leader(c)
        wait_until("a dispatch of the current term",
                   lambda: runs_since_epoch(c, epoch) > 0, 60, interval=0.1)
        frozen = FrozenWriter(c)
        try:
            pid = c.pid(holder)
            t0 = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
            wait_until(f"the fence raised to {new_epoch}", lambda: int(c.sql(
                "SELECT epoch FROM fence WHERE id = 1")[0][0]) >= new_epoch, 60, interval=0.05)
            fence_times.append(time.monotonic() - t0)
            wait_until(f"a commit of epoch {new_epoch}", lambda: first_commit_of(c, new_epoch),
                       60, interval=0.05)
            commit_times.append(time.monotonic() - t0)
            held = time.monotonic() - frozen.locked_at
            check(commit_times[-1] < 30 and held < frozen.hold_s,
                  f"stalled writer #{i + 1}: {new_holder} (epoch {new_epoch}) raised the fence "
                  f"{fence_times[-1]:.2f}s and committed {commit_times[-1]:.2f}s after the "
                  f"kill, with the lock taken {held:.1f}s before by a writer meaning to hold "
                  f"it {frozen.hold_s}s")
            check(not frozen.alive(), "the server ended the frozen writer's session")
        finally:
            frozen.close()
        left = int(c.sql("SELECT count(*) FROM boards WHERE last_error = 'frozen writer'")[0][0])
        check(left == 0, f"the frozen writer's transaction was rolled back ({left} rows)")
        c.run("kill", holder, check_rc=False)
        c.run("start", holder)
    return fence_times, commit_times


def scenario_pg_restart(c):
    """PostgreSQL stopped for 10 s while boards run: the API keeps serving the last good data,
    the leader keeps its term, every attempt of every slot that ran gets its run record once
    the store is back, and a takeover after the restart is as quick as before."""
    holder, epoch = wait_for_leader(c)
    wait_until("a dispatch of the current term",
               lambda: runs_since_epoch(c, epoch) > 0, 60, interval=0.1)
    before = {a: wait_until(f"{a} serving weibo.hot-search", lambda a=a: newest_fetch(c, a), 60,
                            interval=0.2) for a in c.api}
    t_stop = int(time.time())
    c.run("stop", "pg")
    outage_start = time.monotonic()
    served = {a: board_answer(c, a) for a in c.api}
    check(all(v.startswith("200 ") and v[4:] >= before[a] for a, v in served.items()),
          f"the API instances serve their last good data while PostgreSQL is down ({served})")
    time.sleep(max(0.0, 10.0 - (time.monotonic() - outage_start)))  # the outage: 10 s
    c.run("start", "pg")
    t_start = int(time.time())
    same = c.leader()
    check(same == (holder, epoch), f"{holder} kept its term (epoch {epoch}) through the outage "
          f"(lease now {same})")
    # Each board's first slot well after the restart is committed; failure records are
    # written before a dispatch runs, so by then every record kept in memory is stored.
    after = t_start + 2 * EVERY_S

    def all_committed_after():
        rows = c.sql(f"SELECT count(DISTINCT board) FROM runs WHERE status = 'ok' AND "
                     f"slot >= {after}")
        return int(rows[0][0]) >= len(ALL_BOARDS)
    wait_until("every board committed after the restart", all_committed_after, 120,
               interval=0.5)
    text = c.log_text(holder)
    written = sum(int(line.split("wrote ")[1].split()[0]) for line in text.splitlines()
                  if "failure record(s) kept during a store outage" in line)
    check(written >= 1, f"{written} failure record(s) kept during the outage written after it")
    problems = []
    lo, hi = t_stop - EVERY_S, t_start + EVERY_S
    for board in ALL_BOARDS:
        # From a minute before the outage: a slot begun then may still retry through it.
        rows = c.sql(f"SELECT slot, attempt, finished_ms, epoch FROM runs WHERE board = "
                     f"'{board}' AND slot BETWEEN {lo - 60} AND {hi + 60} ORDER BY slot, attempt")
        attempts, finished, epochs = {}, {}, {}
        for slot, attempt, fin, ep in rows:
            slot = int(slot)
            attempts.setdefault(slot, set()).add(int(attempt))
            finished[slot] = max(finished.get(slot, 0), int(fin))
            epochs.setdefault(slot, set()).add(int(ep))
        slots = sorted(attempts)
        for slot in slots:  # every attempt of a slot that ran left a record
            if slot >= lo and attempts[slot] != set(range(1, max(attempts[slot]) + 1)):
                problems.append(f"{board}@{slot} attempts {sorted(attempts[slot])}")
        # A slot without any record was never run: the one before was still running
        # (retrying) when it came due, or a leader change fell in between. The runs
        # after the outage close the window (every board committed after it).
        for s1, s2 in zip(slots, slots[1:]):
            if s2 - s1 <= EVERY_S or s2 <= lo or s1 >= hi:
                continue
            if finished[s1] < (s1 + EVERY_S) * 1000 and epochs[s1] == epochs[s2]:
                problems.append(f"{board}: no record of slots between {s1} and {s2}")
        if not slots or slots[-1] <= hi:
            problems.append(f"{board}: no run after {hi} (runs: {slots[-3:]})")
    check(not problems, f"every slot that ran during the outage has all its run records "
          f"({len(problems)} problems: {problems[:5]})")
    # A takeover right after the restart.
    holder, epoch = wait_for_leader(c)
    t0 = time.monotonic()
    os.kill(c.pid(holder), signal.SIGKILL)
    new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
    takeover = time.monotonic() - t0
    wait_until(f"a commit of epoch {new_epoch}", lambda: first_commit_of(c, new_epoch), 60,
               interval=0.05)
    commit = time.monotonic() - t0
    log(f"after the PostgreSQL restart: kill -9 takeover {takeover:.2f}s, first commit of the "
        f"new term {commit:.2f}s")
    c.run("kill", holder, check_rc=False)
    c.run("start", holder)
    return takeover, commit


def board_answer(c, api):
    """'200 <fetched_at>' or what went wrong, for weibo.hot-search on an API instance."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{c.api[api]}/api/v1/boards/"
                                    f"weibo.hot-search", timeout=5) as r:
            return f"{r.status} {json.loads(r.read()).get('fetched_at')}"
    except Exception as e:  # noqa: BLE001 (reported)
        return f"{type(e).__name__}: {e}"


def newest_fetch(c, api):
    """fetched_at of weibo.hot-search on an API instance; "" when not yet (or not answering)."""
    answer = board_answer(c, api)
    return answer[4:] if answer.startswith("200 ") and answer != "200 None" else ""


def scenario_redis(c):
    committed_before = int(c.sql("SELECT count(*) FROM snapshots")[0][0])
    seen_before = {a: newest_fetch(c, a) for a in c.api}
    c.run("stop", "redis")
    time.sleep(4)  # down longer than the leader's renew deadline (2.5 s)
    c.run("start", "redis")
    holder, epoch = wait_for_leader(c, timeout=60)
    log(f"after the Redis restart {holder} leads with epoch {epoch}")
    wait_until("commits after the restart", lambda: int(c.sql(
        "SELECT count(*) FROM snapshots")[0][0]) > committed_before + 3, 90, interval=0.5)
    committed_after = int(c.sql("SELECT count(*) FROM snapshots")[0][0])
    check(committed_after > committed_before,
          f"commits continue after the Redis restart ({committed_before} -> {committed_after})")
    for a in c.api:
        fresh = wait_until(f"{a} serving data fetched after the restart",
                           lambda: (lambda v: v if v and v > seen_before[a] else None)(
                               newest_fetch(c, a)), 90, interval=0.5)
        check(bool(fresh), f"{a} resynced: weibo.hot-search fetched_at {fresh}")


def scenario_updates(c, count=100):
    boards = UPDATED_BOARDS
    rng = random.Random(7)
    last = {}
    churn_every = 20
    for i in range(count):
        if i > 0 and i % churn_every == 0:
            holder, _ = wait_for_leader(c)
            if i // churn_every % 2 == 1:
                c.run("kill", holder)
            else:
                c.run("stop", holder)
            c.run("start", holder)
        board = rng.choice(boards)
        every = rng.choice([10, 20, 30, 60, 120, 300])
        instance = rng.choice(list(c.sched))
        for attempt in range(60):  # the instance may be restarting: retry, same update
            rc, out, err = c.ctl(instance, "update", board, f"every={every}s")
            if rc == 0:
                break
            instance = rng.choice(list(c.sched))
            time.sleep(0.5)
        check(rc == 0, f"update #{i + 1} {board} every={every}s via {instance}") if rc else None
        last[board] = (every, json.loads(out)["version"])
    log(f"sent {count} updates; waiting for the leader to apply the last of each board")

    def converged():
        holder, _ = c.leader()
        if holder not in c.sched:
            return None
        rc, out, _ = c.ctl(holder, "status")
        if rc != 0:
            return None
        versions = {b["board"]: b["version"] for b in json.loads(out)["boards"]}
        return all(versions.get(b) == v for b, (_, v) in last.items()) and versions
    versions = wait_until("the leader to apply the last update of every board", converged, 90,
                          interval=0.5)
    stored = {r[0]: (int(r[1]), json.loads(r[2])) for r in
              c.sql("SELECT board, version, body FROM board_overrides")}
    for board, (every, version) in last.items():
        got_version, body = stored[board]
        check(got_version == version and body.get("every_s") == every and
              versions[board] == version,
              f"{board}: leader runs v{versions[board]}, store v{got_version} every_s "
              f"{body.get('every_s')} == last update sent (every {every}s, v{version})")


def api_json(c, api, path):
    """The JSON body of GET path on an API instance (raises on a non-200 answer)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{c.api[api]}{path}", timeout=10) as r:
        return json.loads(r.read())


def search_term(title):
    """Two CJK characters of a title, else its first word of three or more letters."""
    cjk = [ch for ch in title if "\u4e00" <= ch <= "\u9fff"]
    if len(cjk) >= 2:
        for i in range(len(title) - 1):
            if all("\u4e00" <= ch <= "\u9fff" for ch in title[i:i + 2]):
                return title[i:i + 2]
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in title).split()
             if len(w) >= 3]
    return words[0] if words else title


def scenario_history(c):
    """Every API instance answers the history routes from the shared store alike: search
    finds a live item by two of its characters, its timeline is ordered, and the board at
    "now" is the live board (retried while a commit lands between the two requests)."""
    board = "weibo.hot-search"
    for a in c.api:
        live = wait_until(f"{a} serving {board}", lambda: (lambda b: b if b.get("items")
                                                           else None)(
            api_json(c, a, f"/api/v1/boards/{board}")), 60, interval=0.5)
        item = live["items"][0]
        term = search_term(item["title"])
        q = urllib.parse.quote(term)
        found = api_json(c, a, f"/api/v1/search?q={q}&board={board}&limit=100")
        keys = [(i["board"], i["key"]) for i in found["items"]]
        check((board, item["key"]) in keys,
              f"{a}: search for {term!r} finds {item['title']!r} ({found['total']} matches)")
        key = urllib.parse.quote(item["key"], safe="")
        timeline = api_json(c, a, f"/api/v1/items/{board}/{key}")
        times = [p["at"] for p in timeline["points"]]
        check(times == sorted(times) and len(set(times)) == len(times) and times,
              f"{a}: the timeline of {item['key']!r} has {len(times)} ordered points")

        def agrees():
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
            past = api_json(c, a, f"/api/v1/boards/{board}/history?at={now}")
            current = api_json(c, a, f"/api/v1/boards/{board}")
            want = [(i["rank"], i["key"]) for i in current["items"]]
            got = [(i["rank"], i["key"]) for i in past["items"]]
            return got == want
        check(wait_until(f"{a}: history at now == the live board", agrees, 30, interval=0.5),
              f"{a}: {board} as of now from history is the live board")
    # Both instances read the same store: the same query finds the same items on each
    # (retried while a commit lands between the two requests).
    first = next(iter(c.api))
    q = urllib.parse.quote(search_term(
        api_json(c, first, f"/api/v1/boards/{board}")["items"][0]["title"]))

    def same_answers():
        answers = {json.dumps(sorted((i["board"], i["key"]) for i in api_json(
            c, a, f"/api/v1/search?q={q}&limit=100&facets=0")["items"])) for a in c.api}
        return len(answers) == 1
    check(wait_until("both API instances to answer a search alike", same_answers, 30,
                     interval=0.5), "every API instance answers the same search alike")


ALERT_BOARD = "bbc.world"
ALERT_SECRET = "chaos-hook-secret"


class HookReceiver:
    """A webhook receiver on loopback: every alert POST with its signature checked."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sig = dict(kv.split("=", 1) for kv in
                           self.headers.get("X-Mu-Signature", "").split(",") if "=" in kv)
                good = hmac.compare_digest(sig.get("v1", ""), hmac.new(
                    ALERT_SECRET.encode(), sig.get("t", "").encode() + b"." + body,
                    hashlib.sha256).hexdigest())
                with hook.lock:
                    hook.received.append((json.loads(body), good,
                                          self.headers.get("X-Mu-Delivery", "")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self):
        with self.lock:
            return [r for r in self.received if r[0].get("type") == "alert"]


def add_feed_item(replay_dir, n):
    """Puts a new item on top of the replayed bbc.world feed (read by the collectors at each
    fetch)."""
    path = os.path.join(replay_dir, "bbc", "fixtures", "world.xml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    item = (f"<item>\n<title><![CDATA[CHAOSALERT story {n}]]></title>\n"
            f"<link>https://www.bbc.com/news/articles/chaos{n}</link>\n"
            f"<guid isPermaLink=\"false\">https://www.bbc.com/news/articles/chaos{n}</guid>\n"
            "</item>\n")
    at = text.index("<item>")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text[:at] + item + text[at:])
    os.replace(tmp, path)


def scenario_alerts(c, replay_dir, rounds=4):
    """New matching items appear while the leader is killed: each reaches the webhook, and
    no (rule, item) becomes two deliveries (a repeat of one delivery id — a send the store
    had not recorded when its sender died — is allowed and reported)."""
    hook = HookReceiver()
    session = admin_session(c.mu, os.path.join(c.dir, "mu.toml"), c.env,
                            f"http://127.0.0.1:{c.api['a1']}")
    post = session.post
    channel = post("/api/v1/me/alerts/channels",
                   {"name": "chaos", "url": f"webhook+http://127.0.0.1:{hook.port}/hook",
                    "secret": ALERT_SECRET})
    post("/api/v1/me/alerts/rules", {"name": "chaos", "keywords": ["CHAOSALERT"],
                                     "boards": [ALERT_BOARD], "channels": [channel["id"]]})
    # The rules have seen the board at least once (its first snapshot fires nothing: there
    # is nothing for an item to be new against).
    wait_until(f"{ALERT_BOARD} committed twice", lambda: int(c.sql(
        f"SELECT count(*) FROM snapshots WHERE board = '{ALERT_BOARD}'")[0][0]) >= 2, 60,
        interval=0.5)
    titles = []
    for n in range(1, rounds + 1):
        holder, epoch = wait_for_leader(c)
        add_feed_item(replay_dir, n)
        titles.append(f"CHAOSALERT story {n}")
        # Kill the leader once the item is committed (its evaluation and delivery may be
        # pending) or, every other round, at once (the fetch itself may be in flight).
        if n % 2 == 0:
            wait_until(f"story {n} on {ALERT_BOARD}", lambda: any(
                i["title"] == titles[-1] for i in api_json(
                    c, "a1", f"/api/v1/boards/{ALERT_BOARD}")["items"]), 60, interval=0.2)
        os.kill(c.pid(holder), signal.SIGKILL)
        new_holder, new_epoch = wait_for_leader(c, not_holder=holder, timeout=30)
        check(new_epoch > epoch, f"alerts round {n}: {new_holder} took over")
        c.run("kill", holder, check_rc=False)
        c.run("start", holder)

    def delivered():
        got = {i["title"] for a in hook.alerts() for i in a[0]["items"]}
        return set(titles) <= got
    wait_until("every matching item at the webhook", delivered, 180, interval=0.5)
    alerts = hook.alerts()
    check(all(good for _, good, _ in alerts), "every alert's signature verifies")
    by_item = {}
    for body, _, delivery in alerts:
        for ids, item in zip([delivery] * len(body["items"]), body["items"]):
            by_item.setdefault(item["title"], set()).add(ids)
    check(all(len(ids) == 1 for ids in by_item.values()),
          f"each (rule, item) is one delivery: {by_item}")
    repeats = len(alerts) - len({a[2] for a in alerts})
    log(f"alerts: {len(titles)} items delivered across {rounds} leader kills; "
        f"{repeats} repeated send(s) of a delivery (at-least-once)")
    rows = c.sql("SELECT count(*), count(DISTINCT item_key) FROM alert_matches")
    check(rows[0][0] == rows[0][1] == str(rounds),
          f"alert_matches holds each item once ({rows[0]})")


def checker(c):
    dup = c.sql("SELECT board, slot, count(*) FROM runs WHERE status = 'ok' "
                "GROUP BY board, slot HAVING count(*) > 1")
    check(not dup, f"each (board, slot) committed at most once ({len(dup)} violations: "
          f"{dup[:5]})")
    dup_ids = c.sql("SELECT dispatch_id, count(*) FROM snapshots GROUP BY dispatch_id "
                    "HAVING count(*) > 1")
    check(not dup_ids, f"no dispatch id committed twice ({dup_ids[:5]})")
    back = c.sql("SELECT a.id, a.epoch, b.id, b.epoch FROM runs a JOIN runs b ON b.id = "
                 "(SELECT min(id) FROM runs WHERE id > a.id AND status = 'ok') "
                 "WHERE a.status = 'ok' AND b.epoch < a.epoch")
    check(not back, f"commit epochs never go back ({back[:5]})")
    unexplained = []
    total_missing = 0
    for board in STEADY_BOARDS:
        # Every slot with a run record (committed or failed), its epochs and when its last
        # attempt ended. Boards the updates scenario leaves alone keep their 10 s grid.
        rows = c.sql(f"SELECT slot, min(epoch), max(epoch), max(finished_ms) FROM runs WHERE "
                     f"board = '{board}' GROUP BY slot ORDER BY slot")
        for (s1, _, e1, f1), (s2, e2, _, _) in zip(rows, rows[1:]):
            s1, s2, e1, e2, f1 = int(s1), int(s2), int(e1), int(e2), int(f1)
            gap = s2 - s1
            if gap <= EVERY_S:
                continue
            total_missing += gap // EVERY_S - 1
            # A slot is skipped when a leader change fell in it (fire-once misfire) or when
            # the slot before was still running (retrying) when it came due.
            if e1 == e2 and f1 < (s1 + EVERY_S) * 1000:
                unexplained.append((board, s1, s2, e1))
    log(f"checker: {total_missing} missing slots in total (leader changes, retries)")
    check(not unexplained, "every missing slot lies in a leader change (fire-once misfire) or "
          "in a retry of the slot before "
          f"({len(unexplained)} unexplained: {unexplained[:5]})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mu_bin")
    ap.add_argument("--only",
                    default="failover,pause,collector,stall,pgstop,redis,updates,history,alerts")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--stall-rounds", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the cluster dir for a look")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-cli", "psql"):
        if shutil.which(tool) is None:
            print(f"chaos: {tool} not found (scripts/bootstrap installs it)", file=sys.stderr)
            return 1
    workdir = tempfile.mkdtemp(prefix="mu-chaos-")
    os.chmod(workdir, 0o755)  # PostgreSQL runs as the postgres user
    c = Cluster(os.path.abspath(args.mu_bin), workdir, free_offset())
    only = set(args.only.split(","))
    replay_dir = os.path.join(workdir, "replay")
    if "alerts" in only:
        # A copy of the fixtures, so the test can add items to one feed; a secrets key, so
        # channels can be sealed; loopback allowed for the webhook.
        shutil.copytree(os.path.join(ROOT, "src", "sources"), replay_dir)
        c.env["MU_CLUSTER_REPLAY"] = replay_dir
        c.env["MU_STORAGE_SECRETS_KEY"] = os.urandom(32).hex()
        c.env["MU_NOTIFY_ALLOW_PRIVATE_NETWORKS"] = "true"
    try:
        log(f"starting the cluster in {workdir} (port offset {c.off})")
        c.run("up")
        holder, epoch = wait_for_leader(c, timeout=60)
        wait_until("first commits", lambda: runs_since_epoch(c, epoch) > 0, 60, interval=0.2)
        log(f"cluster up; {holder} leads epoch {epoch}")
        if "failover" in only:
            report_failover(*scenario_failover(c, args.rounds))
        if "pause" in only:
            scenario_pause(c)
        if "collector" in only:
            scenario_collector(c)
        if "stall" in only:
            fence_times, commit_times = scenario_stall(c, args.stall_rounds)
            log(f"takeover with a stalled writer ({len(fence_times)}x): fence raised p50 "
                f"{percentile(fence_times, 50):.2f}s p99 {percentile(fence_times, 99):.2f}s, "
                f"first commit p50 {percentile(commit_times, 50):.2f}s p99 "
                f"{percentile(commit_times, 99):.2f}s (documented: about 5 s plus a retry)")
        if "pgstop" in only:
            scenario_pg_restart(c)
        if "redis" in only:
            scenario_redis(c)
        if "updates" in only:
            scenario_updates(c)
        if "history" in only:
            scenario_history(c)
        if "alerts" in only:
            scenario_alerts(c, replay_dir)
        checker(c)
    except Exception as e:  # noqa: BLE001 (report and fail, then tear down)
        FAILURES.append(f"{type(e).__name__}: {e}")
        log(f"FAIL: {type(e).__name__}: {e}")
    finally:
        c.run("down", check_rc=False)
        if FAILURES:
            for name in ("s1", "s2", "s3", "c1", "a1"):
                tail = c.log_text(name).splitlines()[-15:]
                print(f"--- last lines of {name}.log ---\n" + "\n".join(tail))
        if not args.keep and not FAILURES:
            shutil.rmtree(workdir, ignore_errors=True)
        elif FAILURES:
            log(f"logs kept in {workdir}/logs")
    if FAILURES:
        log(f"{len(FAILURES)} failure(s)")
        return 1
    log("all chaos checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
