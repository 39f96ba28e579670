#!/usr/bin/env python3
"""docs/openapi.yaml and docs/api.md describe exactly the HTTP routes Mu registers.

Reads every `<router>.add(HttpMethod::kX, "/path", ...)` in src/api/*.cc (tests excluded)
and every (method, path) under `paths:` in docs/openapi.yaml, and fails listing what is
in one and not in the other. Then checks that docs/api.md names every operation as
"METHOD /path" and links to openapi.yaml. With PyYAML installed it also checks that the
YAML parses, that its paths agree with the small indentation parser used here (which is
what runs without PyYAML), and that every `{param}` of a path is declared as a path
parameter of each of its operations.

Usage: tests/openapi_consistency.py [REPO_ROOT]   (ctest: openapi_consistency)
Python 3 standard library only (PyYAML is optional). Exit 0 when consistent, 1 otherwise.
"""

import glob
import os
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# `router.add(HttpMethod::kGet, "/api/v1/me",` possibly split over lines.
ADD_CALL = re.compile(r'\.add\(\s*HttpMethod::k(\w+)\s*,\s*"([^"]*)"')
# Any `.add(HttpMethod::` at all: a registration whose path is not a string literal would
# escape ADD_CALL, so the two counts must agree.
ADD_ANY = re.compile(r"\.add\(\s*HttpMethod::")


def code_routes(root):
    """{(method, path): "file:line"} registered in src/api/*.cc; errors as a list."""
    routes, errors = {}, []
    files = sorted(f for f in glob.glob(os.path.join(root, "src", "api", "*.cc"))
                   if not f.endswith("_test.cc"))
    if not files:
        errors.append("no src/api/*.cc under " + root)
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Comments may mention routes; drop them (keeping line breaks for line numbers).
        text = re.sub(r"//[^\n]*", "", text)
        text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
        rel = os.path.relpath(path, root)
        found = 0
        for m in ADD_CALL.finditer(text):
            found += 1
            key = (m.group(1).lower(), m.group(2))
            where = "%s:%d" % (rel, text.count("\n", 0, m.start()) + 1)
            if key[0] not in METHODS:
                errors.append("%s: unknown method HttpMethod::k%s" % (where, m.group(1)))
            if key in routes:
                errors.append("%s: %s %s registered twice (also %s)"
                              % (where, key[0].upper(), key[1], routes[key]))
            routes[key] = where
        total = len(ADD_ANY.findall(text))
        if total != found:
            errors.append("%s: %d route registrations, but only %d with a literal path this "
                          "script can read" % (rel, total, found))
    return routes, errors


def unquote(s):
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    return s


def openapi_routes_by_indent(text):
    """(method, path) pairs under the top-level `paths:` key, read by indentation.

    Enough YAML for a hand-written file: path keys are the keys indented under `paths:`
    (starting with "/"), operations the HTTP-method keys indented under a path key.
    Block scalars and flow collections never start a line at those two indents.
    """
    routes = set()
    errors = []
    in_paths = False
    path_indent = op_indent = None
    current = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in line[: len(line) - len(stripped)]:
            errors.append("openapi.yaml:%d: tab in indentation" % n)
            continue
        indent = len(line) - len(stripped)
        if indent == 0:
            in_paths = re.match(r"paths:\s*(#.*)?$", line) is not None
            current = None
            continue
        if not in_paths:
            continue
        m = re.match(r"""("[^"]*"|'[^']*'|[^\s:#][^:#]*?):(\s|$)""", stripped)
        if path_indent is None:
            path_indent = indent
        if indent == path_indent:
            if not m or not unquote(m.group(1)).startswith("/"):
                errors.append("openapi.yaml:%d: expected a path key under paths:" % n)
                current = None
                continue
            current = unquote(m.group(1))
            op_indent = None
            continue
        if current is None:
            continue
        if op_indent is None:
            op_indent = indent
        if indent == op_indent and m:
            key = unquote(m.group(1))
            if key in METHODS:
                if (key, current) in routes:
                    errors.append("openapi.yaml:%d: %s %s twice" % (n, key.upper(), current))
                routes.add((key, current))
    if path_indent is None:
        errors.append("openapi.yaml: no paths: section")
    return routes, errors


def yaml_checks(text, by_indent):
    """Extra checks with PyYAML; None when it is not installed."""
    try:
        import yaml  # noqa: PLC0415 (optional dependency)
    except ImportError:
        return None
    errors = []
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return ["docs/openapi.yaml does not parse: %s" % e]
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3."):
        errors.append("docs/openapi.yaml: no `openapi: 3.x` at the top")
    paths = doc.get("paths") or {}
    by_yaml = {(m, p) for p, ops in paths.items() for m in (ops or {}) if m in METHODS}
    if by_yaml != by_indent:
        errors.append("the indentation parser and PyYAML disagree: %s"
                      % sorted(by_yaml ^ by_indent))

    def resolve(obj):
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj and seen < 10:
            node = doc
            for part in obj["$ref"].lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            obj, seen = node, seen + 1
        return obj

    for path, ops in paths.items():
        wanted = set(re.findall(r"\{([^}]+)\}", path))
        common = [resolve(p) for p in (ops or {}).get("parameters", [])]
        for method, op in (ops or {}).items():
            if method not in METHODS:
                continue
            params = common + [resolve(p) for p in (op or {}).get("parameters", [])]
            declared = {p.get("name") for p in params if p.get("in") == "path"}
            if declared != wanted:
                errors.append("%s %s: path parameters %s, declared %s"
                              % (method.upper(), path, sorted(wanted), sorted(declared)))
            if not (op or {}).get("responses"):
                errors.append("%s %s: no responses" % (method.upper(), path))
    return errors


def mentioned(doc_text, method, path):
    """True when the text names "METHOD /path" with nothing path-like glued to its end."""
    pattern = (r"(?<![A-Za-z])" + method.upper() + r"\s+`?" + re.escape(path)
               + r"(?![\w/{}.-]*[\w/{}-])")
    return re.search(pattern, doc_text) is not None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                           else os.path.join(os.path.dirname(__file__), ".."))
    problems = []

    code, errors = code_routes(root)
    problems += errors
    if not code:
        problems.append("no routes found in src/api/*.cc (has the registration style changed?)")

    with open(os.path.join(root, "docs", "openapi.yaml"), encoding="utf-8") as f:
        spec_text = f.read()
    spec, errors = openapi_routes_by_indent(spec_text)
    problems += errors

    for method, path in sorted(set(code) - spec, key=lambda k: (k[1], k[0])):
        problems.append("%s %s is registered (%s) but not in docs/openapi.yaml"
                        % (method.upper(), path, code[(method, path)]))
    for method, path in sorted(spec - set(code), key=lambda k: (k[1], k[0])):
        problems.append("%s %s is in docs/openapi.yaml but no src/api/*.cc registers it"
                        % (method.upper(), path))

    extra = yaml_checks(spec_text, spec)
    if extra is None:
        print("note: PyYAML not installed; checked the paths with the indentation parser only")
    else:
        problems += extra

    with open(os.path.join(root, "docs", "api.md"), encoding="utf-8") as f:
        api_md = f.read()
    for method, path in sorted(spec, key=lambda k: (k[1], k[0])):
        if not mentioned(api_md, method, path):
            problems.append("docs/api.md never names `%s %s`" % (method.upper(), path))
    if "openapi.yaml" not in api_md:
        problems.append("docs/api.md does not link to openapi.yaml")

    if problems:
        for p in problems:
            print("FAIL  " + p)
        print("%d problem(s); routes: %d in code, %d in docs/openapi.yaml"
              % (len(problems), len(code), len(spec)))
        return 1
    print("ok    %d routes: src/api/*.cc, docs/openapi.yaml and docs/api.md agree" % len(code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
