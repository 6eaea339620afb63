#!/usr/bin/python3
"""The source tree's include rules (docs/architecture.md), read from the
Makefile's COMPONENTS list (users before what they use):

  - a component includes its own headers, those of components after it in
    the list, and nothing of cli/;
  - no file includes another directory's internal.h;
  - every quoted include names a file that exists;
  - every component directory has a README.md.

Usage: layout.py ROOT. Prints one line per breach; exit 1 when any."""
import os
import re
import sys

root = sys.argv[1]
mk = open(os.path.join(root, "Makefile")).read()
m = re.search(r"^COMPONENTS\s*:=((?:.*\\\n)*.*)$", mk, re.M)
if not m:
    sys.exit("layout: no COMPONENTS := line in the Makefile")
comps = m.group(1).replace("\\\n", " ").split()
rank = {c: i for i, c in enumerate(comps)}


def owner(path):
    """The component (or cli) a path belongs to: its longest listed prefix."""
    best = None
    for c in comps + ["cli"]:
        if path.startswith(c + "/") and (best is None or len(c) > len(best)):
            best = c
    return best


breaches = []
for d in comps:
    if not os.path.isfile(os.path.join(root, d, "README.md")):
        breaches.append(f"{d}: no README.md")
for d in comps + ["cli"]:
    for name in sorted(os.listdir(os.path.join(root, d))):
        if not name.endswith((".c", ".h")):
            continue
        src = f"{d}/{name}"
        for n, line in enumerate(open(os.path.join(root, src)), 1):
            inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if not inc:
                continue
            target = inc.group(1)
            where = f"{src}:{n}: includes {target}"
            if not os.path.isfile(os.path.join(root, target)):
                breaches.append(f"{where}, which does not exist")
                continue
            tdir = os.path.dirname(target)
            if os.path.basename(target) == "internal.h" and tdir != d:
                breaches.append(f"{where}, another directory's internal header")
            to = owner(target)
            if d == "cli" or to == d:
                continue
            if to == "cli" or to is None or rank[to] < rank[d]:
                breaches.append(f"{where}: {d} may include only {', '.join(comps[rank[d] + 1:]) or 'itself'}")
for b in breaches:
    print("layout:", b)
print(f"layout: {len(comps)} components, {len(breaches)} breaches")
sys.exit(1 if breaches else 0)
