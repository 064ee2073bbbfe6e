"""The key tables are the one source of truth: docs/policies.md and
docs/configuration.md between <!-- keys:begin --> and <!-- keys:end --> are
exactly `kpigate policy keys --markdown` and `kpigate config keys
--markdown`; policies/policy.schema.json has exactly the policy table's keys
with the same type, default, bounds, maxLength, enum and required-ness; the
example policies and the good test policies validate against the schema."""
import glob
import json
import os
import sys

from kpg_check import Check, SKIP

try:
    import jsonschema
except ImportError:
    print("skip: python3-jsonschema is not installed (scripts/install-deps.sh)")
    sys.exit(SKIP)

c = Check()
repo = os.path.dirname(os.path.abspath(c.tests))
BEGIN, END = "<!-- keys:begin -->", "<!-- keys:end -->"


def between_markers(path):
    with open(path) as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        c.fail(f"{path}: needs exactly one {BEGIN} and one {END}")
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def check_doc(doc, cmd):
    rc, want, err = c.run(cmd, "keys", "--markdown", expect=0)
    got = between_markers(os.path.join(repo, "docs", doc))
    if got is None:
        return
    if got != want:
        gl, wl = got.splitlines(), want.splitlines()
        first = next((i for i in range(max(len(gl), len(wl)))
                      if i >= len(gl) or i >= len(wl) or gl[i] != wl[i]), 0)
        c.fail(f"docs/{doc} differs from `kpigate {cmd} keys --markdown` at table line {first + 1}:\n"
               f"  docs:  {gl[first] if first < len(gl) else '(missing)'}\n"
               f"  table: {wl[first] if first < len(wl) else '(missing)'}\n"
               f"  regenerate the table between the markers with the command's output")
    else:
        c.passed += 1


check_doc("policies.md", "policy")
check_doc("configuration.md", "config")

# ---- the commands: usage and exit codes ---------------------------------

for args, want in ((("config", "keys", "--help"), 0), (("config", "--help"), 0),
                   (("policy", "keys", "--help"), 0), (("config",), 2),
                   (("config", "nonsense"), 2), (("config", "keys", "--frobnicate"), 2),
                   (("policy", "keys", "--json", "--markdown"), 2)):
    rc = c.run(*args)[0]
    c.ok(rc == want, f"kpigate {' '.join(args)} exited {rc}, expected {want}")

# ---- the schema against the policy table ------------------------------

rows = c.run_json("policy", "keys", "--json")
config_rows = c.run_json("config", "keys", "--json")
c.ok(all(r.get("env", "KPIGATE_").startswith("KPIGATE_") for r in config_rows) and
     any("env" in r for r in config_rows), "config keys --json names the environment variables")
with open(os.path.join(repo, "policies", "policy.schema.json")) as f:
    schema = json.load(f)


def schema_props(node, path, out):
    """Every property of the schema as (path -> (node, required))."""
    for name, sub in node.get("properties", {}).items():
        p = f"{path}.{name}" if path else name
        out[p] = (sub, name in node.get("required", []))
        walk_value(sub, p, out)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        p = f"{path}.NAME"
        out[p] = (extra, False)
        walk_value(extra, p, out)


def walk_value(sub, path, out):
    types = sub.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "object" in types:
        schema_props(sub, path, out)
    if "array" in types and isinstance(sub.get("items"), dict):
        p = f"{path}[]"
        out[p] = (sub["items"], False)
        walk_value(sub["items"], p, out)


props = {}
schema_props(schema, "", props)
table = {r["path"]: r for r in rows}
for p in sorted(set(props) - set(table)):
    c.fail(f"policy.schema.json has {p}, which is not a row of the policy table")
for p in sorted(set(table) - set(props)):
    c.fail(f"the policy table's {p} is missing from policy.schema.json")

SCHEMA_TYPE = {"map": "object"}


def compare(path, row, node, required):
    problems = []
    types = node.get("type")
    types = (types if isinstance(types, list) else [types]) if types else None
    if types is None and "enum" in node:
        types = sorted({"string" if isinstance(x, str) else "number" for x in node["enum"]})
    want_type = SCHEMA_TYPE.get(row["type"], row["type"])
    if types is None:
        problems.append("has no type")
    else:
        base = [t for t in types if t != "null"]
        # a list entry that is a name or an object with member rows
        # (drift.numeric[]: "psi" or {"name": "psi", "threshold": ...})
        if base == [want_type, "object"] and any(
                r.startswith(path + ".") for r in table):
            base = [want_type]
        if base != [want_type]:
            problems.append(f"type {types}, table {want_type}")
        if ("null" in types) != row["nullable"]:
            problems.append(f"null {'allowed' if 'null' in types else 'not allowed'}, "
                            f"table nullable={row['nullable']}")
    if node.get("default") != row.get("default"):
        problems.append(f"default {node.get('default')!r}, table {row.get('default')!r}")
    for side in ("minimum", "maximum"):
        excl = "exclusive" + side[0].upper() + side[1:]
        if side in row and row[excl]:
            want = {excl: row[side]}
        elif side in row:
            want = {side: row[side]}
        else:
            want = {}
        got = {k: node[k] for k in (side, excl) if k in node}
        if got != want:
            problems.append(f"{side} {got}, table {want}")
    if "enum" in row or "enum" in node:
        if node.get("enum") != row.get("enum"):
            problems.append(f"enum {node.get('enum')}, table {row.get('enum')}")
    elif row["type"] == "string" and node.get("maxLength") != row.get("maxLength"):
        problems.append(f"maxLength {node.get('maxLength')}, table {row.get('maxLength')}")
    if row["type"] in ("array", "map"):
        key = "maxItems" if row["type"] == "array" else "maxProperties"
        if node.get(key) != row.get("maxItems"):
            problems.append(f"{key} {node.get(key)}, table {row.get('maxItems')}")
    if required != row["required"]:
        problems.append(f"required={required}, table required={row['required']}")
    for what in problems:
        c.fail(f"policy.schema.json {path}: {what}")
    if not problems:
        c.passed += 1


for p in sorted(set(props) & set(table)):
    compare(p, table[p], *props[p])

# ---- good policies validate against the schema --------------------------

validator = jsonschema.Draft202012Validator(schema)
good = sorted(glob.glob(os.path.join(repo, "policies", "examples", "*.json")) +
              glob.glob(os.path.join(c.tests, "data", "policies", "good*.json")))
c.ok(len(good) >= 4, f"expected the example and good test policies, found {good}")
for f in good:
    with open(f) as fh:
        doc = json.load(fh)
    errors = sorted(validator.iter_errors(doc), key=str)
    for e in errors:
        c.fail(f"{f}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    if not errors:
        c.passed += 1
    c.run("policy", "check", "--no-reference", f, expect=0)  # references not shipped

c.finish()
