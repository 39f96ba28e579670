#!/usr/bin/env python3
"""Time from a commit to the webhook's POST on loopback (issue 13; goal p99 ≤ 1 s).

One `mu serve` fetches a user source (a JSON Feed served here) on "run now"; each round adds
an item matching a rule, asks for a run, and times the alert from the commit (the item's
first_seen_at, which is the fetch's commit time) to the moment the webhook receiver here
got it. The baseline in the same run is the time from the commit to the board's new
version being readable from the API (what a reader polling it would see at best). Prints
p50 / p99 / max; never asserts.

usage: bench/alerts_latency.py [MU] [ROUNDS]
"""
import datetime
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from mu_session import admin_session  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MU = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/release/mu"))
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.005)
    raise TimeoutError("timed out")


def iso_ms(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main():
    work = tempfile.mkdtemp(prefix="mu-bench-alerts-")
    items = [{"id": "seed", "title": "seed story"}]
    received = {}

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "bench",
                               "items": [dict(i, url=f"{base}/{i['id']}") for i in items]})
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/feed+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            now = time.time()
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            for item in body.get("items", []):
                received.setdefault(item["title"], now)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    feed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    for srv in (feed, hook):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    sources = os.path.join(work, "sources.d")
    os.mkdir(sources)
    with open(os.path.join(sources, "bench.toml"), "w") as f:
        f.write(f"""[site]
id = "bench"
name_zh = "基准"
name_en = "Bench"
home = "http://127.0.0.1:{feed.server_address[1]}/"
region = "global"

[[boards]]
id = "bench.live"
name_zh = "实时"
name_en = "Live"
kind = "rank"
every = "1h"
timeout = "5s"
retries = 0
homepage = "http://127.0.0.1:{feed.server_address[1]}/"

[boards.request]
url = "http://127.0.0.1:{feed.server_address[1]}/feed.json"

[boards.parse]
type = "feed"
""")
    env = {"PATH": os.environ.get("PATH", ""), "MU_SOURCES_DIR": sources,
           "MU_STORAGE_URL": "sqlite://" + os.path.join(work, "mu.db"),
           "MU_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "MU_FETCH_HOST_GAP": "0s",
           "MU_NOTIFY_ALLOW_PRIVATE_NETWORKS": "true", "MU_QUOTA_ENABLED": "false",
           "MU_LOG_LEVEL": "warn", "MU_SERVER_STATIC_DIR": work,
           # The pipeline's own latency: the per-channel limit (20 a minute by default) would
           # hold back every message past the 20th of this burst of rounds.
           "MU_NOTIFY_PER_CHANNEL_PER_MINUTE": "10000"}
    listed = subprocess.run([MU, "sources", "--json"], env=env, capture_output=True, text=True)
    config = []
    for b in json.loads(listed.stdout):
        if b["id"] != "bench.live":
            config += [f'[boards."{b["id"]}"]', "enabled = false", ""]
    with open(os.path.join(work, "mu.toml"), "w") as f:
        f.write("\n".join(config))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "mu.log"), "w")
    mu = subprocess.Popen([MU, "serve", "--listen", f"127.0.0.1:{port}", "--config",
                           os.path.join(work, "mu.toml")], env=env, stdout=log, stderr=log)
    try:
        def board():
            try:
                with urllib.request.urlopen(base + "/api/v1/boards/bench.live", timeout=5) as r:
                    return json.loads(r.read())
            except Exception:
                return None
        wait_for(lambda: (b := board()) and b["items"], 60)
        session = admin_session(MU, os.path.join(work, "mu.toml"),
                                dict(env, MU_SERVER_LISTEN=f"127.0.0.1:{port}"), base)
        post = session.post

        channel = post("/api/v1/me/alerts/channels",
                       {"url": f"webhook+http://127.0.0.1:{hook.server_address[1]}/hook"})
        post("/api/v1/me/alerts/rules", {"keywords": ["LATENCY"], "channels": [channel["id"]]})
        post("/api/v1/admin/boards/bench.live/run")  # a second snapshot: the rules' baseline
        version = board()["version"]
        wait_for(lambda: board()["version"] > version, 30)

        alert_s, visible_s = [], []
        for n in range(ROUNDS):
            title = f"LATENCY story {n}"
            items.insert(0, {"id": f"n{n}", "title": title})
            version = board()["version"]
            post("/api/v1/admin/boards/bench.live/run")
            b = wait_for(lambda: (x := board()) and x["version"] > version and x, 30)
            seen = time.time()
            committed = iso_ms(next(i for i in b["items"] if i["title"] == title)["first_seen_at"])
            wait_for(lambda: title in received, 30)
            alert_s.append(received[title] - committed)
            visible_s.append(seen - committed)

        def row(name, v):
            v = sorted(v)
            p99 = v[min(len(v) - 1, int(round(0.99 * len(v) + 0.5)) - 1)]
            print(f"{name:<44} p50 {statistics.median(v) * 1000:7.1f} ms   "
                  f"p99 {p99 * 1000:7.1f} ms   max {v[-1] * 1000:7.1f} ms")
        print(f"{ROUNDS} rounds, mu serve on loopback")
        row("commit -> board readable from the API (poll)", visible_s)
        row("commit -> webhook POST received", alert_s)
    finally:
        mu.terminate()
        mu.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


main()
