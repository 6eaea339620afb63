#!/bin/bash
# Kernel cache and boot: what a rebuild with nothing changed costs against
# its floor (hashing the source tarball with OpenSSL, which identifies the
# source), and what guestimg boot adds to QEMU booting the same guest by
# hand (guestimg stops at the marker; by hand, QEMU runs to power-off).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
src=${GUESTIMG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
if [ ! -f "$src" ]; then
    echo "kernel: skipped ($src not present)"
    exit 0
fi
work=$BENCH_DIR/kernel
rm -rf "$work"
mkdir -p "$work"

# warm the cache (the first build on a machine takes minutes; not timed)
"$GUESTIMG" kernel build -q --source "$src" --profile demo -o "$work/k" >/dev/null
ours=$(median_seconds 5 "$GUESTIMG" kernel build -q --source "$src" --profile demo -o "$work/k")
floor=$(median_seconds 5 openssl dgst -sha256 "$src")
echo "kernel build, cached: ${ours}s vs ${floor}s (openssl dgst -sha256 of the source tarball) = $(ratio "$ours" "$floor")x [target ≤ 3]"

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v mke2fs >/dev/null; then
    echo "boot: skipped (qemu-system-x86_64 or e2fsprogs missing)"
    exit 0
fi
# the demo guest, as the boot tests make it
GUESTIMG_ROOT=${GUESTIMG_ROOT:-$PWD}
ROOT=$GUESTIMG_ROOT
source "$GUESTIMG_ROOT/tests/lib/guest.bash"
skip() { echo "boot: skipped ($*)"; exit 0; }
"$GUESTIMG_ROOT/tools/demo-guest/mkroot.sh" "$work/root"
kata_disk "$work/root" "$work/k" >/dev/null
cmdline=$(cat "$work/k/cmdline.txt")
ours() { "$GUESTIMG" boot -q "$work/k"; }
by_hand() {
    qemu-system-x86_64 -nodefaults -no-user-config -machine pc,accel=tcg -m 256 -smp 1 \
        -display none -serial null -no-reboot -kernel "$work/k/bzImage" -append "console=ttyS0 panic=-1 $cmdline" \
        -drive "file=$work/k/kata-containers.img,format=raw,if=virtio,readonly=on"
}
# interleaved: a TCG boot is all CPU, and the machine is shared
{ read -r ours; read -r floor; } < <(interleaved_medians 5 ours by_hand)
echo "boot to marker: ${ours}s vs ${floor}s (qemu-system-x86_64 to power-off, by hand) = $(ratio "$ours" "$floor")x [target ≤ 1.1]"
