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

# kata_disk ROOTDIR OUTDIR: the kata layout (msdos label, p1 = ext4 at
# 1 MiB, p2 = dm-verity hash tree without superblock) as
# OUTDIR/kata-containers.img, and the kernel arguments that mount it as
# OUTDIR/cmdline.txt. A test fixture made with e2fsprogs, veritysetup and
# sfdisk; prints the root hash.
kata_disk() {
    local root=$1 out=$2 salt=0000000000000000000000000000000000000000000000000000000000000000
    local fs=$out/p1.img hash=$out/p2.img img=$out/kata-containers.img
    mkdir -p "$out"
    mke2fs -q -F -t ext4 -b 4096 -O ^has_journal -d "$root" "$fs" 16M >/dev/null
    local blocks=$(( $(stat -c %s "$fs") / 4096 ))
    local root_hash
    root_hash=$(veritysetup format --no-superblock --salt "$salt" "$fs" "$hash" |
                awk '/^Root hash:/ {print $3}')
    local mib=$((1024 * 1024)) hash_size
    hash_size=$(( ($(stat -c %s "$hash") + mib - 1) / mib * mib ))
    local p1=$mib p2=$((mib + blocks * 4096))
    truncate -s $((p2 + hash_size)) "$img"
    dd if="$fs" of="$img" bs=1M seek=1 conv=notrunc status=none
    dd if="$hash" of="$img" bs=4096 seek=$((p2 / 4096)) conv=notrunc status=none
    printf 'label: dos\nunit: sectors\n%d,%d,83\n%d,%d,83\n' \
        $((p1 / 512)) $((blocks * 8)) $((p2 / 512)) $((hash_size / 512)) |
        sfdisk -q --no-reread --no-tell-kernel "$img" >/dev/null 2>&1
    rm -f "$fs" "$hash"
    printf 'dm-mod.create="dm-verity,,,ro,0 %d verity 1 /dev/vda1 /dev/vda2 4096 4096 %d 0 sha256 %s %s" root=/dev/dm-0 rootfstype=ext4 ro\n' \
        $((blocks * 8)) "$blocks" "$root_hash" "$salt" > "$out/cmdline.txt"
    echo "$root_hash"
}

# demo_guest DIR: the demo guest (kernel, disk, cmdline) in DIR; prints the root hash.
demo_guest() {
    demo_kernel "$1"
    "$ROOT/tools/demo-guest/mkroot.sh" "$1/root"
    kata_disk "$1/root" "$1"
}
