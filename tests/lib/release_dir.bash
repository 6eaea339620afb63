# make_release_dir D WORK: a small release in D as tests/release.bats and
# tests/hostile.bats use it: the image by guestimg rootfs (kata layout) of a
# one-file tree made in WORK, a 6-byte vmlinuz, cmdline.txt, and
# release.json written by Python (hashlib computes the digests
# independently of guestimg). Unsigned.
make_release_dir() {
    local d=$1 work=$2
    mkdir -p "$d" "$work/root/etc"
    echo hello >"$work/root/etc/hello"
    "$GUESTIMG" rootfs -q --layout kata --json -o "$d/disk.img" "$work/root" >"$work/rootfs.json"
    rm "$d/root_hash.txt"
    printf 'kernel' >"$d/vmlinuz"
    /usr/bin/python3 - "$d" "$work/rootfs.json" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
fs = json.load(open(sys.argv[2]))
cmdline = "console=hvc0 " + fs["cmdline"]
open(os.path.join(d, "cmdline.txt"), "w").write(cmdline + "\n")
verity = {k: v for k, v in fs["verity"].items() if k != "superblock"}
verity["layout"] = fs["layout"]
def art(n):
    b = open(os.path.join(d, n), "rb").read()
    return {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
r = {"schema": "guestimg-release/1", "name": "t", "version": "1", "epoch": 0,
     "tool": {"name": "guestimg", "version": "0"}, "manifest_sha256": "1" * 64,
     "lock_sha256": "2" * 64, "image": "disk.img", "kernel": "vmlinuz", "svn": 0,
     "kernel_provenance": {"from": "file", "source": "bzImage", "source_sha256": art("vmlinuz")["sha256"]},
     "artifacts": [art(n) for n in ("cmdline.txt", "disk.img", "vmlinuz")],
     "verity": verity, "cmdline": cmdline, "measurements": []}
open(os.path.join(d, "release.json"), "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
}
