#!/usr/bin/env python3
"""Alerts end to end in `mu serve` (issue 13): a rule fires within seconds of the fetch that
saw a new item, once per item, through the durable outbox, to a webhook on loopback — and
not again after `mu serve` is killed and restarted (the new process re-evaluates the latest
update of every board and records nothing twice).

A user source (sources.d spec, a JSON Feed) is fetched every 10 s from a small HTTP server
run here; the test adds items to the feed. The webhook receiver checks each signature with
Python's hmac. Signing in goes through `mu admin link`. No traffic leaves the machine.

usage: alerts_e2e.py <path to mu>
"""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mu_session import admin_session  # noqa: E402

MU = os.path.abspath(sys.argv[1])
SECRET = "hook-secret"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


class Feed:
    """A JSON Feed whose items the test edits."""

    def __init__(self):
        self.items = [{"id": "a", "title": "First story"}, {"id": "b", "title": "Second story"}]
        self.lock = threading.Lock()
        feed = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                with feed.lock:
                    items = [dict(i, url=f"{base}/{i['id']}") for i in feed.items]
                body = json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                   "title": "alerts e2e", "home_page_url": base + "/",
                                   "items": items}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/feed+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add_first(self, item_id, title):
        with self.lock:
            self.items.insert(0, {"id": item_id, "title": title})


class Hook:
    """The webhook receiver: every POST, with its signature checked."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                sig = dict(kv.split("=", 1) for kv in self.headers.get("X-Mu-Signature", "").split(",") if "=" in kv)
                good = hmac.compare_digest(
                    sig.get("v1", ""),
                    hmac.new(SECRET.encode(), sig.get("t", "").encode() + b"." + body,
                             hashlib.sha256).hexdigest())
                with hook.lock:
                    hook.received.append({"body": json.loads(body), "signed": good,
                                          "delivery": self.headers.get("X-Mu-Delivery")})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self):
        with self.lock:
            return [r for r in self.received if r["body"]["type"] == "alert"]


class Mu:
    def __init__(self, work, env, port):
        self.work, self.env, self.port = work, env, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None

    def start(self):
        log = open(os.path.join(self.work, "mu.log"), "ab")
        self.proc = subprocess.Popen([MU, "serve", "--listen", f"127.0.0.1:{self.port}",
                                      "--config", os.path.join(self.work, "mu.toml")],
                                     env=self.env, stdout=log, stderr=log)
        wait_for(lambda: self.get("/healthz") is not None, 60, "mu serve to listen")

    def get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as r:
                return r.read()
        except Exception:
            return None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def main():
    work = tempfile.mkdtemp(prefix="mu-alerts-e2e-")
    feed, hook = Feed(), Hook()
    sources = os.path.join(work, "sources.d")
    os.mkdir(sources)
    with open(os.path.join(sources, "e2e.toml"), "w") as f:
        f.write(f"""[site]
id = "e2e"
name_zh = "测试站"
name_en = "E2E"
home = "http://127.0.0.1:{feed.port}/"
region = "global"

[[boards]]
id = "e2e.live"
name_zh = "实时"
name_en = "Live"
kind = "rank"
every = "1m"
timeout = "5s"
retries = 0
homepage = "http://127.0.0.1:{feed.port}/"

[boards.request]
url = "http://127.0.0.1:{feed.port}/feed.json"

[boards.parse]
type = "feed"
""")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MU_SOURCES_DIR": sources,
           "MU_STORAGE_URL": "sqlite://" + os.path.join(work, "mu.db"),
           "MU_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "MU_FETCH_HOST_GAP": "0s",
           "MU_NOTIFY_ALLOW_PRIVATE_NETWORKS": "true",
           "MU_QUOTA_ANONYMOUS_BURST": "100000000", "MU_LOG_LEVEL": "info",
           "MU_SERVER_STATIC_DIR": work}  # no page needed; ctest runs from the build folder
    listed = subprocess.run([MU, "sources", "--json"], env=env, capture_output=True, text=True)
    ids = [b["id"] for b in json.loads(listed.stdout)]
    config = ['[boards."e2e.live"]', 'every = "10s"', ""]
    for i in ids:
        if i != "e2e.live":
            config += [f'[boards."{i}"]', "enabled = false", ""]
    with open(os.path.join(work, "mu.toml"), "w") as f:
        f.write("\n".join(config))

    port = free_port()
    mu = Mu(work, env, port)
    try:
        mu.start()
        wait_for(lambda: (b := mu.get("/api/v1/boards/e2e.live")) and len(json.loads(b)["items"]) == 2,
                 60, "the first fetch of e2e.live")

        # Sign in with a one-time link from `mu admin link`.
        session = admin_session(MU, os.path.join(work, "mu.toml"),
                                dict(env, MU_SERVER_LISTEN=f"127.0.0.1:{port}"), mu.base)
        call = session.call

        status, channel = call("POST", "/api/v1/me/alerts/channels",
                               {"name": "hook", "url": f"webhook+http://127.0.0.1:{hook.port}/hook",
                                "secret": SECRET})
        check(status == 201, f"channel created ({status} {channel})")
        status, rule = call("POST", "/api/v1/me/alerts/rules",
                            {"name": "突发", "keywords": ["突发"], "boards": ["e2e.live"],
                             "channels": [channel["id"]]})
        check(status == 201, f"rule created ({status} {rule})")
        status, sent = call("POST", f"/api/v1/me/alerts/channels/{channel['id']}/test")
        check(status == 200 and sent.get("ok"), f"test message ({status} {sent})")

        # A new matching item: one alert within the schedule plus seconds.
        started = time.monotonic()
        feed.add_first("c", "突发：某地发生地震")
        feed.add_first("d", "天气转晴")  # new but not matching
        got = wait_for(lambda: hook.alerts(), 60, "the first alert")
        print(f"first alert {time.monotonic() - started:.1f} s after the feed changed", flush=True)
        alert = got[0]
        check(alert["signed"], "alert signature verifies")
        titles = [i["title"] for i in alert["body"]["items"]]
        check(titles == ["突发：某地发生地震"], f"alert items {titles}")
        check(alert["body"]["unsubscribe_url"].startswith(mu.base + "/alerts/unsubscribe?"),
              alert["body"]["unsubscribe_url"])

        # Two more fetches with the item still there: nothing more.
        version = json.loads(mu.get("/api/v1/boards/e2e.live"))["version"]
        wait_for(lambda: json.loads(mu.get("/api/v1/boards/e2e.live") or b'{"version":0}')["version"] > version,
                 60, "another fetch")
        status, log = call("GET", "/api/v1/me/alerts/deliveries")
        check(status == 200 and [d["state"] for d in log["deliveries"]] == ["sent"],
              f"delivery log {log}")

        # Killed and restarted: the catch-up evaluation records nothing twice; a second new
        # item after the restart is delivered once.
        mu.kill()
        mu.start()
        feed.add_first("e", "又一条突发新闻")
        wait_for(lambda: len(hook.alerts()) >= 2, 60, "the alert after the restart")
        # One more fetch after that (and its evaluation), then look for repeats.
        version = json.loads(mu.get("/api/v1/boards/e2e.live"))["version"]
        wait_for(lambda: json.loads(mu.get("/api/v1/boards/e2e.live") or b'{"version":0}')["version"] > version,
                 60, "a fetch after the second alert")
        status, log = call("GET", "/api/v1/me/alerts/deliveries?state=pending")
        check(status == 200 and log["deliveries"] == [], f"nothing pending: {log}")
        items = [i["title"] for a in hook.alerts() for i in a["body"]["items"]]
        check(sorted(items) == sorted(["突发：某地发生地震", "又一条突发新闻"]),
              f"each matching item exactly once: {items}")
        deliveries = [a["delivery"] for a in hook.alerts()]
        check(len(deliveries) == len(set(deliveries)), f"no delivery id twice: {deliveries}")

        # The unsubscribe link turns the rule off without a session.
        unsub = urllib.request.Request(alert["body"]["unsubscribe_url"], method="POST",
                                       data=b"List-Unsubscribe=One-Click")
        with urllib.request.urlopen(unsub, timeout=10) as r:
            check(r.status == 200, "one-click unsubscribe")
        status, rules = call("GET", "/api/v1/me/alerts/rules")
        check(rules["rules"][0]["enabled"] is False, "rule disabled by the link")
    except Exception as e:  # a timeout or an unexpected answer: report it with the log
        failures.append(repr(e))
        traceback.print_exc()
    finally:
        mu.stop()
        if failures:
            print(open(os.path.join(work, "mu.log"), errors="replace").read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("alerts e2e: all checks passed")


main()
