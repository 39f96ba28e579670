#!/usr/bin/env bash
# Lighthouse 12.2.3 (npm) with Debian's Chromium against the web app served by `mu serve`
# from the recorded fixtures, desktop and mobile form factors (each LH_RUNS times, the median
# run reported). Prints the performance, accessibility, best-practices and SEO scores (goals:
# mobile performance >= 95, desktop 100, the others 100), FCP/LCP/TBT/CLS, and the initial
# JavaScript (gzip) against the 90 KB budget. Baseline run in the same script: the same Mu
# serving an empty HTML page, the floor of what Lighthouse measures on this machine (timings
# are printed as ratios to it). Figures are reported, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
MU=${MU:-build/release/mu}
CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
export CHROME_PATH
[ -f web/dist/index.html ] || scripts/build-web
work=$(mktemp -d /tmp/mu-lighthouse.XXXXXX)
cleanup() {
  [ -n "${mu_pid:-}" ] && kill "$mu_pid" 2>/dev/null || true
  [ -n "${base_pid:-}" ] && kill "$base_pid" 2>/dev/null || true
  [ -n "${standin_pid:-}" ] && kill "$standin_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
MU_STORAGE_URL="sqlite://$work/lh.db" MU_LOG_LEVEL=warn MU_QUOTA_ANONYMOUS_BURST=100000000 MU_SERVER_STATIC_DIR=web/dist \
  "$MU" serve --listen "127.0.0.1:$port" --replay src/sources >"$work/mu.log" 2>&1 &
mu_pid=$!
wait_until 60 board_has_items "http://127.0.0.1:$port/api/v1/boards/weibo.hot-search" ||
  { cat "$work/mu.log"; echo "Mu did not come up"; exit 1; }

mkdir -p "$work/empty"
echo '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>empty</title><meta name="description" content="baseline"></head><body><main><h1>empty</h1></main></body></html>' >"$work/empty/index.html"
base_port=$(free_port)
MU_STORAGE_URL="sqlite://$work/base.db" MU_LOG_LEVEL=warn MU_QUOTA_ANONYMOUS_BURST=100000000 MU_SERVER_STATIC_DIR="$work/empty" \
  MU_SCHEDULER_ENABLED=false "$MU" serve --listen "127.0.0.1:$base_port" >"$work/base.log" 2>&1 &
base_pid=$!
wait_until 30 curl -fsS "http://127.0.0.1:$base_port/healthz"

# No internet here: the thumbnails' hosts (zhimg.com, hdslb.com, …) would fail DNS and every
# failure is a console error Lighthouse counts. A stand-in answers them over HTTPS on port 443
# with one grey image (bench/image_standin.py); Chromium resolves every other host to it and
# accepts its self-signed certificate. IMAGE_STANDIN=0 (or no port 443) measures without it.
chrome_flags="--headless=new --no-sandbox --disable-dev-shm-usage --disable-background-networking"
if [ "${IMAGE_STANDIN:-1}" = 1 ] && ! ss -ltn 2>/dev/null | grep -q ':443 '; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=image-standin \
    -keyout "$work/standin.key" -out "$work/standin.crt" >/dev/null 2>&1
  python3 bench/image_standin.py "$work/standin.crt" "$work/standin.key" 443 >"$work/standin.log" 2>&1 &
  standin_pid=$!
  if wait_until 10 bash -c "ss -ltn | grep -q ':443 '"; then
    chrome_flags+=" --host-resolver-rules=\"MAP * 127.0.0.1, EXCLUDE 127.0.0.1\" --ignore-certificate-errors"
    echo "thumbnails: answered by the local image stand-in (no internet here)"
  else
    echo "thumbnails: no stand-in (port 443 unavailable): their DNS failures count as console errors"
  fi
fi

run_lh() {  # run_lh URL PRESET OUT
  local preset_flag=()
  [ "$2" = desktop ] && preset_flag=(--preset=desktop)
  npx -y lighthouse@12.2.3 "$1" "${preset_flag[@]}" --quiet --output=json --output-path="$3" \
    --only-categories=performance,accessibility,best-practices,seo \
    --chrome-flags="$chrome_flags" \
    >/dev/null 2>"$3.err" || { cat "$3.err"; return 1; }
}

# Scores move from run to run (mostly total blocking time on the simulated phone): the app is
# measured LH_RUNS times (default 5: single runs here spread over 15 points) and the run with
# the median performance score reported, as Lighthouse's own guidance on variability
# suggests; every run's score is printed too.
runs=${LH_RUNS:-5}
for preset in desktop mobile; do
  for i in $(seq 1 "$runs"); do
    run_lh "http://127.0.0.1:$port/" "$preset" "$work/run-$preset-$i.json"
  done
  python3 - "$work" "$preset" "$runs" <<'PY'
import json, shutil, sys
work, preset, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
scored = []
for i in range(1, runs + 1):
    r = json.load(open(f"{work}/run-{preset}-{i}.json"))
    scored.append((r["categories"]["performance"]["score"], i))
scored.sort()
median = scored[len(scored) // 2][1]
print(f"{preset}: performance of the {runs} runs: " + ", ".join(str(round(s * 100)) for s, _ in scored) + f" (run {median} is the median)")
shutil.copy(f"{work}/run-{preset}-{median}.json", f"{work}/app-{preset}.json")
PY
  run_lh "http://127.0.0.1:$base_port/" "$preset" "$work/base-$preset.json"
done

# LH_OUT=dir keeps the four JSON reports (open them at https://googlechrome.github.io/lighthouse/viewer/).
if [ -n "${LH_OUT:-}" ]; then mkdir -p "$LH_OUT" && cp "$work"/*.json "$LH_OUT"/; fi

python3 - "$work" web/dist <<'PY'
import gzip, json, os, re, sys
work, dist = sys.argv[1], sys.argv[2]

def audit(r, name):
    return r["audits"][name].get("numericValue", 0.0)

for preset in ("desktop", "mobile"):
    app = json.load(open(f"{work}/app-{preset}.json"))
    base = json.load(open(f"{work}/base-{preset}.json"))
    scores = {k: round(v["score"] * 100) for k, v in app["categories"].items()}
    goal = 95 if preset == "mobile" else 100
    print(f"{preset}: performance {scores['performance']} (goal >= {goal}), accessibility "
          f"{scores['accessibility']}, best practices {scores['best-practices']}, SEO "
          f"{scores['seo']} (goal 100 each)")
    for cat in ("accessibility", "best-practices", "seo"):
        for ref in app["categories"][cat]["auditRefs"]:
            a = app["audits"][ref["id"]]
            if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 1:
                print(f"    {cat}: {ref['id']} {a['score']}: {a.get('title', '')}")
    for name, label in (("first-contentful-paint", "FCP"), ("largest-contentful-paint", "LCP"),
                        ("total-blocking-time", "TBT")):
        a, b = audit(app, name), audit(base, name)
        ratio = f"{a / b:.2f}x the empty page" if b > 0 else "empty page: 0"
        print(f"  {label} {a:.0f} ms ({ratio}, {b:.0f} ms)")
    print(f"  CLS {audit(app, 'cumulative-layout-shift'):.3f}")

# Initial JS: the scripts index.html loads up front (module entry + modulepreload).
html = open(os.path.join(dist, "index.html")).read()
paths = set(re.findall(r'<script[^>]+src="([^"]+\.js)"', html)) | set(
    re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', html))
total = 0
for p in sorted(paths):
    data = open(os.path.join(dist, p.lstrip("/")), "rb").read()
    size = len(gzip.compress(data, 9))
    total += size
    print(f"  {p}: {len(data) / 1024:.1f} KB, {size / 1024:.1f} KB gzip")
print(f"initial JS {total / 1024:.1f} KB gzip = {total / (90 * 1024):.2f}x the 90 KB budget")
PY
