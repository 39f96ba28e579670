"""A signed-in session on a running Mu for the Python tests and benches: `mu admin link`
prints a one-time link (store-backed, any instance), its 302 sets the session cookie, and
GET /api/v1/me gives the CSRF token that writes need. Standard library only."""
import json
import subprocess
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """JSON calls as the local admin: get(path), post(path, body), call(method, path, body)
    -> (status, body)."""

    def __init__(self, base, cookie, csrf):
        self.base = base
        self.opener = urllib.request.build_opener()
        self.opener.addheaders = [("Cookie", cookie)]
        self.csrf = csrf

    def call(self, method, path, body=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"X-CSRF-Token": self.csrf,
                                              "Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def post(self, path, body=None):
        status, answer = self.call("POST", path, {} if body is None else body)
        if status >= 300:
            raise RuntimeError(f"POST {path}: {status} {answer}")
        return answer


def admin_session(mu_bin, config_path, env, base):
    """Signs in at `base` (an instance of the Mu whose store `config_path` + `env` name)."""
    link = subprocess.run([mu_bin, "admin", "link", "--config", config_path], env=env,
                          capture_output=True, text=True, timeout=30)
    if link.returncode != 0:
        raise RuntimeError(f"mu admin link: {link.stderr}")
    url = next(x for x in link.stdout.splitlines() if "/auth/local?token=" in x).strip()
    try:
        urllib.request.build_opener(_NoRedirect).open(base + "/auth/" + url.split("/auth/", 1)[1],
                                                      timeout=10)
        raise RuntimeError("the admin link did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        cookie = e.headers.get("Set-Cookie", "").split(";", 1)[0]
    opener = urllib.request.build_opener()
    opener.addheaders = [("Cookie", cookie)]
    with opener.open(base + "/api/v1/me", timeout=10) as r:
        csrf = json.loads(r.read())["csrf_token"]
    return Session(base, cookie, csrf)
