#!/usr/bin/env bash
# deploy/ cannot be run here (no Docker, no Kubernetes), so check what can be checked: every
# `mu` role and flag the deploy files use exists in the binary, every MU_* variable they set
# is a documented configuration key, and they use the ports of scripts/cluster.
# Usage: tests/deploy_consistency.sh MU_BIN
set -euo pipefail
MU="$1"
cd "$(dirname "$0")/.."
fail=0
files=(deploy/docker/Dockerfile deploy/docker-compose.yml deploy/k8s/*.yaml deploy/systemd/*)

# Roles and their flags: "--flag" words following a role name in the same line.
for role in serve scheduler collector api; do
  help="$("$MU" "$role" --help 2>&1)"
  flags="$(grep -hv '^[[:space:]]*#' "${files[@]}" | grep -oE "(\"|\b)$role(\"|\b)[^#]*" |
    grep -oE -- '--[a-z][a-z-]*' | sort -u || true)"
  for f in $flags; do
    if ! grep -q -- "$f" <<<"$help"; then
      echo "FAIL: deploy files use \`mu $role $f\`, which mu does not accept"
      fail=1
    fi
  done
  echo "ok: mu $role accepts the flags the deploy files use: $(echo $flags)"
done

# Environment variables: MU_SECTION_KEY must be a key of docs/configuration.md.
for var in $(grep -hoE '\bMU_[A-Z_]+' "${files[@]}" | sort -u); do
  key="$(echo "${var#MU_}" | tr 'A-Z' 'a-z')"
  section="${key%%_*}"
  rest="${key#*_}"
  if ! grep -q "$section.$rest" docs/configuration.md; then
    echo "FAIL: $var is set in deploy/ but $section.$rest is not in docs/configuration.md"
    fail=1
  fi
done
echo "ok: every MU_* variable in deploy/ is a documented configuration key"

# Ports: the compose file and the systemd units use the cluster's ports.
for port in 7401 7402 7403 7501 7502 7503 7504 8081 8082; do
  if ! grep -q "$port" deploy/docker-compose.yml scripts/cluster; then
    echo "FAIL: port $port of scripts/cluster is missing from deploy/docker-compose.yml"
    fail=1
  fi
done
echo "ok: deploy/docker-compose.yml uses the ports of scripts/cluster"

# Monitoring: the alert rules and the dashboard parse, and every metric they query is one
# Mu exports (the metrics table of docs/operations.md).
py=/usr/bin/python3  # Debian's, with python3-yaml (scripts/bootstrap)
[ -x "$py" ] || py=python3
if ! "$py" - <<'PY'
import json, re, sys
import yaml
doc = open("docs/operations.md", encoding="utf-8").read()
table = doc[doc.index("## Metrics"):]
known = set(re.findall(r"`([a-z_]+)`", table))
exprs = []
for group in yaml.safe_load(open("deploy/prometheus/alerts.yml"))["groups"]:
    exprs += [r["expr"] for r in group["rules"]]
dash = json.load(open("deploy/prometheus/grafana-dashboard.json"))
exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
bad = set()
for e in exprs:
    for name in re.findall(r"\b((?:mu|http|process)_[a-z_]+)", e):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in known and base not in known:
            bad.add(name)
if bad:
    print("FAIL: deploy/prometheus queries metrics docs/operations.md does not list:", sorted(bad))
    sys.exit(1)
print(f"ok: deploy/prometheus ({len(exprs)} queries) uses only documented metrics")
PY
then
  fail=1
fi
exit $fail
