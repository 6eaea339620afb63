#!/bin/bash
# Assemble the demo guest's root directory in $1: Debian's static busybox
# (package busybox-static) and the demo init as /sbin/init;
# manifests/demo.yaml describes the same tree. There is no
# /bin/sh on purpose: when init cannot run (a corrupted root), the kernel
# finds no fallback shell and panics instead of waiting on the console.
set -euo pipefail
out=${1:?usage: mkroot.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
if ! file_type=$(LC_ALL=C readelf -l "$busybox" 2>/dev/null) || grep -q 'Requesting program interpreter' <<<"$file_type"; then
    echo "mkroot.sh: $busybox is not a static binary (install busybox-static)" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"/bin "$out"/sbin "$out"/dev "$out"/proc "$out"/sys "$out"/tmp
install -m 0755 "$busybox" "$out/bin/busybox"
for applet in mount cat; do
    ln -s busybox "$out/bin/$applet"
done
ln -s ../bin/busybox "$out/sbin/poweroff"
install -m 0755 "$here/init" "$out/sbin/init"
