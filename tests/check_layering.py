"""The house's one-way library graph (docs/internals.md) holds in the
build: every room of CMakeLists.txt links only rooms below it, every
source file of the product belongs to a room, and controller/ keeps no
loose files. The compiler enforces the include paths that follow from
this (a room sees only its dependencies' folders); this check keeps
anyone from adding a link that points up the graph."""
import glob
import os
import re

from kpg_check import Check

c = Check()
root = os.path.dirname(os.path.abspath(c.tests))

# rank: a room may link only rooms of a lower rank
RANK = {
    "kpg_common": 0,
    "kpg_detectors": 1, "kpg_adapters": 1, "kpg_energy": 1, "kpg_audit": 1,
    "kpg_policies": 2,
    "kpg_pipeline": 3,
    "kpg_action": 4, "kpg_policyset": 4,
    "kpg_daemon": 5,
    "kpg_cli": 6,
}

with open(os.path.join(root, "CMakeLists.txt")) as f:
    text = f.read()
rooms = {}
for m in re.finditer(r"^kpg_room\((\w+)\s+(\S+)([^)]*)\)", text, re.M):
    name, folder, deps = m.group(1), m.group(2), m.group(3).split()
    rooms[name] = (folder, [d for d in deps if d.startswith("kpg_")])
for m in re.finditer(r"^target_link_libraries\((kpg_\w+)([^)]*)\)", text, re.M):
    if m.group(1) in rooms:
        rooms[m.group(1)][1].extend(d for d in m.group(2).split() if d.startswith("kpg_"))

c.ok(set(rooms) == set(RANK), f"rooms in CMakeLists.txt {sorted(rooms)} != {sorted(RANK)}")
for name, (folder, deps) in rooms.items():
    for d in deps:
        c.ok(d in RANK and RANK[d] < RANK.get(name, -1),
             f"{name} links {d}: the graph runs the other way")
    c.ok(os.path.isdir(os.path.join(root, folder)), f"{name}: no folder {folder}")

folders = {os.path.normpath(f) for f, _ in rooms.values()}
for src in glob.glob(os.path.join(root, "**", "*.[ch]"), recursive=True) + \
        glob.glob(os.path.join(root, "**", "*.cpp"), recursive=True):
    rel = os.path.relpath(src, root)
    top = rel.split(os.sep)[0]
    if top not in ("common", "detectors", "adapters", "policies", "controller"):
        continue
    c.ok(os.path.dirname(rel) in folders, f"{rel} is in no room")
loose = [p for p in os.listdir(os.path.join(root, "controller"))
         if os.path.isfile(os.path.join(root, "controller", p))]
c.ok(not loose, f"loose files in controller/: {loose}")
c.finish()
