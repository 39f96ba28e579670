#!/usr/bin/env python3
"""`mu notify test` against local servers that speak each channel's protocol (issue 13).

An SMTP server (STARTTLS and implicit TLS, AUTH PLAIN/LOGIN, a self-signed certificate made
here with openssl) and an HTTP server standing in for a webhook receiver, the Telegram Bot
API and ntfy, all on loopback: the bytes they receive are checked with Python's own parsers
(email, json, hmac), independent of Mu's code. No traffic leaves the machine.

usage: notify_channels_test.py <path to mu>
"""
import base64
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading

MU = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


class SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP: EHLO, STARTTLS, AUTH PLAIN / LOGIN, MAIL, RCPT, DATA, QUIT."""

    def setup(self):
        super().setup()
        self.conn = self.request
        if self.server.implicit_tls:
            self.conn = self.server.tls.wrap_socket(self.conn, server_side=True)
        self.reader = self.conn.makefile("rb")
        self.tls = self.server.implicit_tls

    def send(self, line):
        self.conn.sendall((line + "\r\n").encode())

    def line(self):
        return self.reader.readline().decode("utf-8", "replace").rstrip("\r\n")

    def handle(self):
        record = {"tls_before_auth": None, "rcpt": []}
        self.send("220 fake.smtp ESMTP")
        while True:
            cmd = self.line()
            if not cmd:
                return
            verb = cmd.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                record["ehlo"] = cmd[5:]
                lines = ["250-fake.smtp"]
                if self.server.offer_starttls and not self.tls:
                    lines.append("250-STARTTLS")
                lines.append("250 AUTH PLAIN LOGIN")
                for x in lines:
                    self.send(x)
            elif verb == "STARTTLS":
                self.send("220 go ahead")
                self.conn = self.server.tls.wrap_socket(self.conn, server_side=True)
                self.reader = self.conn.makefile("rb")
                self.tls = True
            elif verb == "AUTH":
                parts = cmd.split(" ")
                record["tls_before_auth"] = self.tls
                if parts[1].upper() == "PLAIN":
                    blob = parts[2] if len(parts) > 2 else None
                    if blob is None:
                        self.send("334 ")
                        blob = self.line()
                    _, user, password = base64.b64decode(blob).decode().split("\0")
                else:
                    self.send("334 VXNlcm5hbWU6")
                    user = base64.b64decode(self.line()).decode()
                    self.send("334 UGFzc3dvcmQ6")
                    password = base64.b64decode(self.line()).decode()
                record["auth"] = (user, password)
                self.send("235 ok")
            elif verb == "MAIL":
                record["from"] = cmd
                self.send("250 ok")
            elif verb == "RCPT":
                record["rcpt"].append(cmd)
                self.send("250 ok")
            elif verb == "DATA":
                self.send("354 end with .")
                data = b""
                while True:
                    chunk = self.reader.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    if chunk.startswith(b".."):
                        chunk = chunk[1:]
                    data += chunk
                record["data"] = data
                self.send("250 queued")
            elif verb == "QUIT":
                self.send("221 bye")
                self.server.sessions.append(record)
                return
            else:
                self.send("502 unknown")


class SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls, implicit_tls=False, offer_starttls=True):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.offer_starttls = offer_starttls
        self.sessions = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # a client refusing our certificate is one of the cases tested


class HttpHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, dict(self.headers), body))
        answer = b'{"ok":true,"result":{}}' if "/bot" in self.path else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def mu_notify(*args):
    run = subprocess.run([MU, "notify", "test", *args], capture_output=True, text=True, timeout=60)
    return run.returncode, run.stdout + run.stderr


def main():
    work = tempfile.mkdtemp(prefix="mu-notify-")
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)

    # Email over STARTTLS: TLS before AUTH, the credentials, a real MIME message.
    starttls = SmtpServer(tls)
    port = starttls.server_address[1]
    url = (f"smtp://me%40example.com:p%40ss%20w@127.0.0.1:{port}/"
           "?from=mu@example.com&to=a@example.org,b@example.org")
    code, out = mu_notify(url, "--allow-private", "--ca-file", cert)
    check(code == 0, f"STARTTLS send exits 0 ({out})")
    check(len(starttls.sessions) == 1, "one SMTP session")
    if starttls.sessions:
        s = starttls.sessions[0]
        check(s["tls_before_auth"] is True, "STARTTLS before AUTH")
        check(s.get("auth") == ("me@example.com", "p@ss w"), f"credentials decoded: {s.get('auth')}")
        check(s["from"].upper().startswith("MAIL FROM:<MU@EXAMPLE.COM>"), s["from"])
        check(len(s["rcpt"]) == 2, "two recipients")
        check(s["ehlo"] == "example.com", f"EHLO name: {s['ehlo']}")
        msg = email.message_from_bytes(s["data"], policy=email.policy.default)
        check(msg.get_content_type() == "multipart/alternative", msg.get_content_type())
        check("测试消息" in str(msg["Subject"]), f"subject decoded: {msg['Subject']}")
        parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
        check("这是一条测试消息" in parts.get("text/plain", ""), "plain part")
        check("<ol>" in parts.get("text/html", ""), "html part")
        check(msg["To"] == "a@example.org, b@example.org", f"To: {msg['To']}")

    # A certificate not in the CA bundle is refused.
    code, out = mu_notify(url, "--allow-private")
    check(code == 1, f"unknown certificate refused ({out})")

    # Implicit TLS (smtps).
    implicit = SmtpServer(tls, implicit_tls=True)
    code, out = mu_notify(f"smtps://u:p@127.0.0.1:{implicit.server_address[1]}/"
                          "?from=mu@example.com&to=a@example.org", "--allow-private",
                          "--ca-file", cert)
    check(code == 0 and len(implicit.sessions) == 1, f"implicit TLS ({out})")

    # A server without STARTTLS: the password is never sent in clear.
    plain = SmtpServer(tls, offer_starttls=False)
    code, out = mu_notify(f"smtp://u:secret@127.0.0.1:{plain.server_address[1]}/"
                          "?from=mu@example.com&to=a@example.org", "--allow-private")
    check(code == 1, f"no STARTTLS refused ({out})")
    check(all("auth" not in s for s in plain.sessions), "no AUTH without TLS")
    check("secret" not in out, "password not printed")

    # HTTP channels: a webhook with its signature, Telegram, ntfy.
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HttpHandler)
    http_server.received = []
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http_server.server_address[1]}"

    code, out = mu_notify(f"webhook+{base}/hook", "--secret", "k3y", "--allow-private")
    check(code == 0, f"webhook ({out})")
    path, headers, body = http_server.received[-1]
    sig = dict(kv.split("=", 1) for kv in headers["X-Mu-Signature"].split(","))
    expected = hmac.new(b"k3y", sig["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    check(hmac.compare_digest(sig["v1"], expected), "webhook signature verifies")
    check(json.loads(body)["type"] == "test", "webhook body")

    code, out = mu_notify("telegram://123:SECRET/42", "--telegram-api", base, "--allow-private")
    check(code == 0, f"telegram ({out})")
    path, headers, body = http_server.received[-1]
    check(path == "/bot123:SECRET/sendMessage", path)
    sent = json.loads(body)
    check(sent["chat_id"] == "42" and sent["parse_mode"] == "HTML", f"telegram body {sent}")
    check("SECRET" not in out, "bot token not printed")

    code, out = mu_notify(f"ntfy+{base}/mu_alerts", "--allow-private")
    check(code == 0, f"ntfy ({out})")
    path, headers, body = http_server.received[-1]
    check(path == "/" and json.loads(body)["topic"] == "mu_alerts", f"ntfy publish {path}")

    # Without --allow-private a loopback address is refused before any byte is sent.
    before = len(http_server.received)
    code, out = mu_notify(f"webhook+{base}/hook")
    check(code == 1 and len(http_server.received) == before, f"SSRF guard ({out})")

    code, out = mu_notify("gopher://example.com/")
    check(code == 2 and "channel URL" in out, f"bad URL ({out})")

    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("notify channels: all checks passed")


main()
