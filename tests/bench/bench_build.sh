#!/bin/bash
# guestimg build of a release with a 256 MiB file (a tarball package),
# against guestimg rootfs --manifest of the same manifest: the image alone.
# The ratio is what the whole release (files.tsv, kernel, SBOMs,
# release.json, every artifact's digest) costs on top of the image.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
D=$BENCH_DIR/build
blob_manifest "$D" 256
build() { rm -rf "$D/out" && "$GUESTIMG" build -q "$D/m.yaml" -o "$D/out"; }
image() { rm -f "$D/img" && "$GUESTIMG" rootfs -q --manifest "$D/m.yaml" -o "$D/img"; }
ours=$(median_seconds 3 build)
base=$(median_seconds 3 image)
echo "build, 256 MiB image: ${ours}s vs ${base}s (guestimg rootfs --manifest, the image alone) = $(ratio "$ours" "$base")x [target ≤ 1.1]"
rm -rf "$D/out"
/usr/bin/time -f %M -o "$D/rss" "$GUESTIMG" build -q "$D/m.yaml" -o "$D/out" > /dev/null 2>&1
echo "build peak memory: $(echo "scale=1; $(cat "$D/rss") / 1024" | bc -l) MiB for a 256 MiB image [target ≤ 64]"
rm -rf "$D"
