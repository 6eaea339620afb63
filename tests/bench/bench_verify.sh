#!/bin/bash
# guestimg verify on a release with a 1 GiB image, against sha256sum over
# the same files with OpenSSL's command line (the least any verifier must do:
# read and hash every byte, with the same SHA-256 code).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
D=$BENCH_DIR/verify
rm -rf "$D" && mkdir -p "$D"
# real bytes, not a hole: reading zeros from a sparse file would flatter both
head -c $((1 << 30)) /dev/urandom > "$D/disk.img"
head -c $((8 << 20)) /dev/urandom > "$D/vmlinuz"
printf 'console=hvc0 ro\n' > "$D/cmdline.txt"
/usr/bin/python3 - "$D" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
def art(n):
    h = hashlib.sha256()
    with open(os.path.join(d, n), "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return {"name": n, "size": os.path.getsize(os.path.join(d, n)), "sha256": h.hexdigest()}
r = {"schema": "guestimg-release/1", "name": "b", "version": "1", "epoch": 0,
     "tool": {"name": "guestimg", "version": "0"}, "manifest_sha256": "1" * 64,
     "lock_sha256": "2" * 64, "image": "disk.img", "kernel": "vmlinuz", "svn": 0,
     "artifacts": [art(n) for n in ("cmdline.txt", "disk.img", "vmlinuz")],
     "verity": {"root_hash": "3" * 64, "salt": "", "data_blocks": 1, "data_block_size": 4096,
                "hash_block_size": 4096, "hash_offset": 0, "layout": "raw"},
     "cmdline": "console=hvc0 ro", "measurements": []}
open(os.path.join(d, "release.json"), "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
# warm the page cache for both
cat "$D/disk.img" > /dev/null
ours=$(median_seconds 3 "$GUESTIMG" verify "$D/release.json")
base=$(median_seconds 3 openssl dgst -sha256 "$D/disk.img" "$D/vmlinuz" "$D/cmdline.txt")
echo "verify 1 GiB release: ${ours}s vs ${base}s (openssl dgst -sha256 of the same files) = $(ratio "$ours" "$base")x [target ≤ 1.1]"
# (lib.sh's peak_rss_mib sends time's report to /dev/null: -o instead)
/usr/bin/time -f %M -o "$D/rss" "$GUESTIMG" verify "$D/release.json" > /dev/null 2>&1
echo "verify peak memory: $(echo "scale=1; $(cat "$D/rss") / 1024" | bc -l) MiB for a 1 GiB image [target ≤ 16]"
rm -rf "$D"
