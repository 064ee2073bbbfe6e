"""deploy/ holds what it claims (issue 12):
- every JSON and YAML file in deploy/ parses, and so do the JSON files a
  Kubernetes ConfigMap there carries;
- `promtool check rules` passes on deploy/prometheus/alerts.yml (and fails
  on a copy with a broken expression: promtool really checks);
- the policy and the daemon configuration in the manifests pass `kpigate
  policy check` and `kpigate run --check` (paths pointed at a scratch
  folder), and so does deploy/kpigate.json, the image's configuration;
- the Dockerfile's runtime stage installs a package for every library `ldd
  kpigate` lists (mapped with dpkg -S; libc6, which the base image has, and
  the sanitizer runtimes of a sanitizer build are the exceptions), directly
  or as a dependency of one it installs (dpkg's own dependency records),
  and each package it names exists; it runs as a non-root user with a
  HEALTHCHECK on /healthz;
- the sidecar has liveness and readiness probes on /healthz and /readyz, a
  read-only root filesystem, the policies' ConfigMap mounted as a folder
  (a subPath mount never sees updates) and an IRSA role;
- deploy/README.md names every file in deploy/.
Metric names in the rules and the dashboard are checked against a live
/metrics by tests/e2e_deploy_metrics.sh."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

from kpg_check import Check, SKIP

try:
    import yaml
except ImportError:
    print("skip: python3-yaml is not installed (scripts/install-deps.sh)")
    sys.exit(SKIP)

c = Check()
repo = os.path.dirname(os.path.abspath(c.tests))
deploy = os.path.join(repo, "deploy")


def rel(p):
    return os.path.relpath(p, repo)


# 1. every JSON / YAML file parses
files = sorted(p for p in glob.glob(os.path.join(deploy, "**", "*"), recursive=True)
               if os.path.isfile(p))
parsed = {}
for p in files:
    try:
        if p.endswith(".json"):
            with open(p) as f:
                parsed[p] = json.load(f)
        elif p.endswith((".yml", ".yaml")):
            with open(p) as f:
                parsed[p] = list(yaml.safe_load_all(f))
    except (ValueError, yaml.YAMLError) as e:
        c.fail(f"{rel(p)} does not parse: {e}")
c.ok(len(parsed) >= 6, f"only {len(parsed)} JSON/YAML files in deploy/")
k8s_docs = [d for p, docs in parsed.items() if "/kubernetes/" in p for d in docs if d]
configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in k8s_docs if d.get("kind") == "ConfigMap"}
for name, data in configmaps.items():
    for key, text in data.items():
        if key.endswith(".json"):
            try:
                json.loads(text)
            except ValueError as e:
                c.fail(f"ConfigMap {name} key {key} is not JSON: {e}")

# 2. promtool
rules = os.path.join(deploy, "prometheus", "alerts.yml")
if shutil.which("promtool") is None:
    c.fail("promtool is not installed (Debian's prometheus; scripts/install-deps.sh)")
else:
    p = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    c.ok(p.returncode == 0, f"promtool check rules {rel(rules)}: {p.stdout}{p.stderr}")
    bad = c.write("bad_alerts.yml", open(rules).read().replace(
        "kpigate_consumer_lag > 100000", "kpigate_consumer_lag > > 100000", 1))
    p = subprocess.run(["promtool", "check", "rules", bad], capture_output=True, text=True)
    c.ok(p.returncode != 0, "promtool check rules accepted a broken expression")

# 3. the manifests' policy and configurations
c.run("example", c.path("ex"), "--records", "1000", "--seed", "1", expect=0)
pol_dir = c.path("policies")
os.makedirs(pol_dir)
os.makedirs(c.path("var"))
pols = configmaps.get("kpigate-policies", {})
c.ok(len(pols) >= 1, "no policy in the ConfigMap kpigate-policies")
for key, text in pols.items():
    pol = json.loads(text)
    pol["reference"]["path"] = c.path("ex", "train.csv")
    c.write(os.path.join("policies", key), json.dumps(pol))
    c.run("policy", "check", c.path("policies", key), expect=0)
env = dict(os.environ, KPIGATE_POLICY_DIR=pol_dir, KPIGATE_AUDIT_LOG=c.path("var", "audit.jsonl"),
           KPIGATE_STATE_DIR=c.path("var", "state"))
configs = [("deploy/kpigate.json", open(os.path.join(deploy, "kpigate.json")).read())]
configs += [(f"ConfigMap {n} {k}", t) for n, d in configmaps.items() for k, t in d.items()
            if k == "kpigate.json"]
c.ok(len(configs) == 2, f"{len(configs)} daemon configurations, want the image's and the sidecar's")
for what, text in configs:
    cfg = c.write("config.json", text)
    p = subprocess.run([c.kpigate, "run", "--check", "--config", cfg], env=env,
                       capture_output=True, text=True)
    c.ok(p.returncode == 0 and "configuration OK" in p.stdout,
         f"kpigate run --check on {what}: {p.stdout}{p.stderr}")

# 4. the Dockerfile's runtime stage covers `ldd kpigate`
docker = open(os.path.join(deploy, "Dockerfile")).read()
m = re.search(r"# runtime-packages-begin\n(.*?)# runtime-packages-end", docker, re.S)
c.ok(m is not None, "Dockerfile: no runtime-packages-begin/end block")
listed = set()
if m:
    block = m.group(1).split("--no-install-recommends", 1)[-1].split("&&")[0]
    listed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", block.replace("\\", " ")))
c.ok("libcurl4" in listed, f"runtime packages parsed as {sorted(listed)}")
stages = re.findall(r"^FROM (\S+)", docker, re.M)
c.ok(len(stages) == 2 and stages[1] == "debian:bookworm-slim" and stages[0].startswith("debian:bookworm"),
     f"Dockerfile stages {stages}: want a Debian bookworm build stage and debian:bookworm-slim")
runtime = docker.split("FROM debian:bookworm-slim", 1)[-1]
c.ok(re.search(r"^USER (?!root|0\b)\S+", runtime, re.M) is not None, "runtime stage: no non-root USER")
c.ok(re.search(r"^HEALTHCHECK .*\n?.*/healthz", runtime, re.M) is not None, "runtime stage: no HEALTHCHECK on /healthz")
c.ok("install-deps.sh --build-only" in docker, "build stage does not use scripts/install-deps.sh --build-only")

# dpkg's records: which installed package depends on which
status = {}
with open("/var/lib/dpkg/status") as f:
    for para in f.read().split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", para, re.M))
        if "Package" in fields and "install ok installed" in fields.get("Status", ""):
            name = fields["Package"]
            deps = []
            for field in ("Depends", "Pre-Depends"):
                for alt in fields.get(field, "").split(","):
                    deps += [re.split(r"[ :(]", a.strip())[0] for a in alt.split("|") if a.strip()]
            status[name] = deps
for pkg in sorted(listed):
    known = pkg in status or subprocess.run(["apt-cache", "show", pkg], capture_output=True).returncode == 0
    c.ok(known, f"Dockerfile runtime package {pkg} is not a Debian package (neither dpkg nor apt-cache knows it)")
closure, todo = set(), list(listed)
while todo:
    pkg = todo.pop()
    if pkg not in closure:
        closure.add(pkg)
        todo += status.get(pkg, [])


def package_of(lib):
    for cand in (lib, os.path.realpath(lib)):
        for v in {cand, cand.replace("/usr/lib/", "/lib/", 1), cand.replace("/lib/", "/usr/lib/", 1)}:
            p = subprocess.run(["dpkg", "-S", v], capture_output=True, text=True)
            if p.returncode == 0:
                return p.stdout.split(":", 1)[0]
    return None


ldd = subprocess.run(["ldd", c.kpigate], capture_output=True, text=True, check=True).stdout
libs = re.findall(r"=> (/\S+)", ldd)
c.ok(len(libs) >= 10, f"ldd lists only {len(libs)} libraries")
needed = set()
for lib in libs:
    pkg = package_of(lib)
    if pkg is None:
        c.fail(f"ldd: {lib} belongs to no Debian package")
        continue
    pkg = pkg.split(":")[0]
    if pkg == "libc6" or pkg in ("libasan8", "libubsan1"):
        continue  # the base image's C library; a sanitizer build's runtimes
    needed.add(pkg)
    c.ok(pkg in closure, f"ldd kpigate: {os.path.basename(lib)} is in {pkg}, which the runtime stage does not install")
c.ok(len(needed) >= 10, f"only {len(needed)} packages behind ldd's libraries")

# 5. the sidecar
deps = [d for d in k8s_docs if d.get("kind") == "Deployment"]
c.ok(len(deps) == 1, f"{len(deps)} Deployments in deploy/kubernetes")
for d in deps:
    spec = d["spec"]["template"]["spec"]
    kg = [x for x in spec["containers"] if x["name"] == "kpigate"]
    c.ok(len(kg) == 1 and len(spec["containers"]) >= 2, "want a kpigate container beside the inference one")
    if kg:
        k = kg[0]
        c.ok(k.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "liveness probe not on /healthz")
        c.ok(k.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "readiness probe not on /readyz")
        c.ok(k.get("securityContext", {}).get("readOnlyRootFilesystem") is True, "root filesystem not read-only")
        c.ok(all(k.get("resources", {}).get(x, {}).get("memory") for x in ("requests", "limits")),
             "no memory request and limit")
        vols = {v["name"]: v for v in spec["volumes"]}
        for mnt in k["volumeMounts"]:
            v = vols.get(mnt["name"], {})
            if v.get("configMap", {}).get("name") == "kpigate-policies":
                c.ok("subPath" not in mnt, "the policies' ConfigMap is mounted with subPath: no hot reload")
                c.ok(mnt["mountPath"] == json.loads(configs[1][1])["policy_dir"],
                     "the policies' ConfigMap is not mounted at policy_dir")
        c.ok(any("persistentVolumeClaim" in v for v in vols.values()), "no PersistentVolumeClaim for state_dir")
    sa = [x for x in k8s_docs if x.get("kind") == "ServiceAccount" and
          x["metadata"]["name"] == spec.get("serviceAccountName")]
    c.ok(len(sa) == 1 and "eks.amazonaws.com/role-arn" in sa[0]["metadata"].get("annotations", {}),
         "no IRSA service account for the pod")

# 6. deploy/README.md's table names every file
readme = open(os.path.join(deploy, "README.md")).read()
for p in files:
    r = os.path.relpath(p, deploy)
    if r != "README.md" and not r.startswith("iam/"):
        c.ok(f"`{r}`" in readme, f"deploy/README.md does not name {r}")
c.finish()
