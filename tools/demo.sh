#!/bin/bash
# make demo: build the demo guest and boot it.
#   1. the demo kernel (profile demo) from Debian's linux-source-6.1, cached
#      after the first build;
#   2. the demo root filesystem from manifests/demo.yaml (Debian's
#      busybox-static package and tools/demo-guest/init) as a kata-layout
#      disk with a dm-verity root;
#   3. boot it under QEMU: the guest's init prints GUESTIMG-BOOT-OK with the
#      root hash it was given, which must be the image's.
# Everything goes to output/demo/. Ends with a short summary.
set -euo pipefail
cd "$(dirname "$0")/.."
GUESTIMG=${GUESTIMG:-$PWD/build/guestimg}
source=${GUESTIMG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
out=output/demo

say() { printf 'demo: %s\n' "$*"; }

mkdir -p "$out"
say "kernel: profile demo from $source (minutes the first time, then cached)"
"$GUESTIMG" kernel build --source "$source" --profile demo -o "$out" >/dev/null

say "root filesystem: manifests/demo.yaml (busybox-static, tools/demo-guest/init), kata layout with dm-verity"
tools/fetch-debs.sh "$PWD/output/debs"
"$GUESTIMG" rootfs --manifest manifests/demo.yaml --json -o "$out/kata-containers.img" >"$out/rootfs.json"
jq -r .cmdline "$out/rootfs.json" >"$out/cmdline.txt"
root_hash=$(jq -r .verity.root_hash "$out/rootfs.json")

say "boot: qemu-system-x86_64 (TCG), console in $out/console.log"
marker=$("$GUESTIMG" boot "$out")
if [ "$marker" != "GUESTIMG-BOOT-OK root_hash=$root_hash" ]; then
    say "the guest reported '$marker', expected root hash $root_hash" >&2
    exit 1
fi

printf '\n'
say "image        $out/kata-containers.img"
say "image sha256 $(jq -r .image_sha256 "$out/rootfs.json")"
say "root hash    $root_hash"
say "kernel       $out/bzImage ($("$GUESTIMG" kernel inspect "$out/bzImage" | sed 's/.*version //'))"
say "kernel sha256 $(sha256sum "$out/bzImage" | cut -d' ' -f1)"
say "cmdline      $(cat "$out/cmdline.txt")"
say "boot ok"
