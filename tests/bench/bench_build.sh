#!/bin/bash
# guestimg build of a release with a 256 MiB file (a tarball package),
# against guestimg rootfs --manifest of the same manifest: the image alone.
# The ratio is what the whole release (files.tsv, kernel, SBOMs,
# release.json, every artifact's digest) costs on top of the image.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
D=$BENCH_DIR/build
rm -rf "$D" && mkdir -p "$D/in/opt/big"
# real bytes, not a hole: zeros would flatter both
head -c $((256 << 20)) /dev/urandom > "$D/in/opt/big/blob"
tar -C "$D/in" -cf "$D/big.tar" opt
rm -rf "$D/in"
# a kernel file (build checks for a bzImage's setup header; nothing boots it)
/usr/bin/python3 "$GUESTIMG_ROOT/tests/lib/fake_bzimage.py" "$D/vmlinuz"
cat > "$D/m.yaml" <<'EOF'
name: bench
version: "1"
epoch: 0
seed: 00000000-0000-0000-0000-000000000000
local-packages: [{path: big.tar, name: big, version: "1", license: MIT}]
kernel: {from: file, path: vmlinuz}
measure: {firmware: none}
EOF
build() { rm -rf "$D/out" && "$GUESTIMG" build -q "$D/m.yaml" -o "$D/out"; }
image() { rm -f "$D/img" && "$GUESTIMG" rootfs -q --manifest "$D/m.yaml" -o "$D/img"; }
ours=$(median_seconds 3 build)
base=$(median_seconds 3 image)
echo "build, 256 MiB image: ${ours}s vs ${base}s (guestimg rootfs --manifest, the image alone) = $(ratio "$ours" "$base")x [target ≤ 1.1]"
rm -rf "$D/out"
/usr/bin/time -f %M -o "$D/rss" "$GUESTIMG" build -q "$D/m.yaml" -o "$D/out" > /dev/null 2>&1
echo "build peak memory: $(echo "scale=1; $(cat "$D/rss") / 1024" | bc -l) MiB for a 256 MiB image [target ≤ 64]"
rm -rf "$D"
