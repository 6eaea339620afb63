#!/usr/bin/python3
"""Check the Kata runtime configuration guestimg install wrote.

usage: kata_config_check.py ROOT CONFIG_DIR RELEASE_JSON

Parses each TOML file with Python's tomllib and Debian's python3-toml (the
two must agree), checks the keys Kata's configuration-clh-snp.toml and
configuration-qemu-snp.toml templates define against release.json, and that
every path named is a regular file under ROOT. Prints "ok"; an assertion
names what is wrong."""
import json, os, sys, tomllib, toml
root, cdir, rel = sys.argv[1:]
r = json.load(open(rel))
prod = next(g for g in r["igvm"] if g["variant"] == "production")
debug = next(g for g in r["igvm"] if g["variant"] == "debug")
share = "/opt/confidential-containers/share/kata-containers/"
def load(name):
    with open(os.path.join(cdir, name), "rb") as f:
        a = tomllib.load(f)
    assert a == toml.load(os.path.join(cdir, name)), name
    return a
def exists(p):
    assert p.startswith(share), p
    assert os.path.isfile(root + p) and not os.path.islink(root + p), p
clh = load("configuration-clh-snp.toml")["hypervisor"]["clh"]
assert clh["igvm"] == share + prod["name"] and clh["image"] == share + r["image"], clh
assert clh["confidential_guest"] is True and clh["sev_snp_guest"] is True and clh["rootfs_type"] == "ext4"
exists(clh["igvm"]); exists(clh["image"])
dbg = load("configuration-clh-snp-debug.toml")["hypervisor"]["clh"]
assert dbg["igvm"] == share + debug["name"]; exists(dbg["igvm"])
q = load("configuration-qemu-snp.toml")["hypervisor"]["qemu"]
assert q["kernel"] == share + r["kernel"] and q["image"] == share + r["image"], q
assert q["kernel_params"] == r["cmdline"], q["kernel_params"]
assert q["confidential_guest"] is True and q["sev_snp_guest"] is True
for k in ("kernel", "image", "firmware"):
    exists(q[k])
print("ok")
