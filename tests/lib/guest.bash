# Helpers for tests that boot a guest. Load with: load lib/guest
#
# The demo kernel comes from the shared kernel cache (built once, by the
# first test that asks for it; minutes on two cores).

KERNEL_SOURCE=${GUESTIMG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}

require_kernel_source() {
    [ -f "$KERNEL_SOURCE" ] || skip "kernel source $KERNEL_SOURCE not present (package linux-source-6.1)"
}

require_qemu() {
    command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (package qemu-system-x86)"
}

# demo_kernel DIR: the demo profile's bzImage, vmlinux and kernel.config in DIR.
demo_kernel() {
    require_kernel_source
    "$GUESTIMG" kernel build -q --source "$KERNEL_SOURCE" --profile demo -o "$1" >/dev/null
}

# kata_disk ROOTDIR OUTDIR: ROOTDIR as a kata-layout disk (msdos label,
# p1 = ext4 at 1 MiB, p2 = dm-verity hash tree without superblock) made by
# guestimg rootfs, OUTDIR/kata-containers.img, with the kernel arguments
# that mount it in OUTDIR/cmdline.txt; prints the root hash.
kata_disk() {
    local root=$1 out=$2 json
    mkdir -p "$out"
    json=$("$GUESTIMG" rootfs -q --layout kata --epoch 0 --json -o "$out/kata-containers.img" "$root")
    jq -r .cmdline <<<"$json" > "$out/cmdline.txt"
    jq -r .verity.root_hash <<<"$json"
}

# demo_guest DIR: the demo guest (kernel, disk, cmdline) in DIR; prints the root hash.
demo_guest() {
    demo_kernel "$1"
    "$ROOT/tools/demo-guest/mkroot.sh" "$1/root"
    kata_disk "$1/root" "$1"
}

# The demo manifest's inputs (Debian's busybox-static .deb, the OVMF.fd it
# pins, the kernel source), or skip saying which is missing.
require_demo_inputs() {
    local ovmf=${OVMF:-/usr/share/ovmf/OVMF.fd} want
    [ -s "$ROOT/output/debs/busybox-static.deb" ] ||
        skip "output/debs/busybox-static.deb is absent (make deps runs tools/fetch-debs.sh)"
    [ -f "$ovmf" ] || skip "$ovmf is absent (package ovmf)"
    want=$(sed -n 's/.*sha256: \([0-9a-f]\{64\}\)}.*/\1/p' "$ROOT/manifests/demo.yaml")
    [ "$(sha256sum <"$ovmf" | cut -d' ' -f1)" = "$want" ] ||
        skip "$ovmf is not the build manifests/demo.yaml pins (sha256 $want)"
    require_kernel_source
}

# workspace DIR: the demo manifest in DIR/manifests, its relative inputs
# beside it (../output/debs from the tree, ../tools/demo-guest/init a copy
# that tests may change).
workspace() {
    mkdir -p "$1/manifests" "$1/tools/demo-guest"
    cp "$ROOT/manifests/demo.yaml" "$1/manifests/"
    cp "$ROOT/tools/demo-guest/init" "$1/tools/demo-guest/"
    ln -s "$ROOT/output" "$1/output"
    ln -s "$ROOT/acpi-tables" "$1/acpi-tables"
}

# setup_file of the tests on a signed demo release: the workspace in $WS,
# an Ed25519 key $KEYS/ed.pem (.pub), the release in $A (what the build
# printed in $BATS_FILE_TMPDIR/a.out).
demo_release_setup() {
    require_demo_inputs
    export WS=$BATS_FILE_TMPDIR/ws KEYS=$BATS_FILE_TMPDIR/keys A=$BATS_FILE_TMPDIR/a
    workspace "$WS"
    mkdir -p "$KEYS"
    ed25519_key "$KEYS/ed"
    # the kernel first: minutes on the first run, then cached for everyone
    demo_kernel "$BATS_FILE_TMPDIR/kernel"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$A" --sign-key "$KEYS/ed.pem" >"$BATS_FILE_TMPDIR/a.out" 2>&1
}
