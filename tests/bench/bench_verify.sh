#!/bin/bash
# guestimg verify of a release with a 1 GiB image (built by guestimg build,
# raw layout: the image and its hash tree side by side), against what any
# verifier must do with the command-line tools: sha256 of every file
# (openssl dgst) and the dm-verity tree recomputed from the data
# (veritysetup verify).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
D=$BENCH_DIR/verify
blob_manifest "$D" 1024 "image: {layout: raw, size: auto}"
"$GUESTIMG" build -q "$D/m.yaml" -o "$D/out" > /dev/null 2>&1
rm "$D/big.tar"
R=$D/out
baseline() {
    (cd "$R" && openssl dgst -sha256 $(jq -r '.artifacts[].name' release.json)) &&
        veritysetup verify --no-superblock --data-blocks "$(jq -r .verity.data_blocks "$R/release.json")" \
            --salt "$(jq -r .verity.salt "$R/release.json")" "$R/kata-containers.img" \
            "$R/kata-containers.img.verity" "$(jq -r .verity.root_hash "$R/release.json")"
}
# warm the page cache for both
cat "$R/kata-containers.img" > /dev/null
ours=$(median_seconds 3 "$GUESTIMG" verify "$R/release.json")
base=$(median_seconds 3 baseline)
echo "verify 1 GiB release: ${ours}s vs ${base}s (openssl dgst -sha256 of the same files + veritysetup verify) = $(ratio "$ours" "$base")x [target ≤ 1.1]"
# (lib.sh's peak_rss_mib sends time's report to /dev/null: -o instead)
/usr/bin/time -f %M -o "$D/rss" "$GUESTIMG" verify "$R/release.json" > /dev/null 2>&1
/usr/bin/time -f %M -o "$D/rss0" "$GUESTIMG" --version > /dev/null 2>&1
echo "verify peak memory, 1 GiB image: $(echo "scale=1; $(cat "$D/rss") / 1024" | bc -l) MiB vs $(echo "scale=1; $(cat "$D/rss0") / 1024" | bc -l) MiB (guestimg --version: the process and its libraries) [target: + ≤ 8 MiB]"
rm -rf "$D"
