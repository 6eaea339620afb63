#!/usr/bin/env bats
# guestimg rootfs images as the guest kernel reads them: a kata disk with a
# dm-verity root, booted under QEMU (TCG). The guest's init (busybox) lists
# every entry of the tree (type and mode, owner, size, link count, sha256,
# symlink target, device number), reads the hash-indexed directories back
# and looks every name up in them, one pair of names sharing a hash across
# a leaf boundary among them. The listing must equal what GNU coreutils
# make of the input directory on the host.
load lib/common
load lib/guest

SEED=6a0b5b3c-1e2f-4d5e-8f90-123456789abc
EPOCH=1700000000

setup_file() {
    require_qemu
    K=$BATS_FILE_TMPDIR/kernel
    demo_kernel "$K"
    export K
}

setup() {
    require_qemu
    [ "$(id -u)" -eq 0 ] || skip "the test tree needs root on the host (device nodes, foreign owners)"
    T=$BATS_TEST_TMPDIR
}

# The listing both sides make, in the tree's root; $STAT, $SHA256SUM and
# $READLINK name the tools (GNU on the host, busybox in the guest).
LIST_SH='
xargs -r $STAT -c "%n %f %a %u:%g" < check/all
xargs -r $STAT -c "%n size=%s links=%h" < check/files
xargs -r $SHA256SUM < check/files
xargs -r $STAT -c "%n dev=%t:%T" < check/devs
while read -r l; do echo "$l -> $($READLINK "$l")"; done < check/links
for d in data/big data/coll; do echo "$d: $(ls -a "$d" | wc -l) entries"; done
found=0
while read -r a; do $STAT "$a" > /dev/null 2>&1 && found=$((found + 1)); done < check/absent
echo "absent names found: $found"
'

# The guest's init: the listing on the console (each line marked), its
# digest, and how many inode times differ from the epoch.
INIT_SH='#!/bin/busybox sh
export PATH=/bin STAT="busybox stat" SHA256SUM="busybox sha256sum" READLINK="busybox readlink"
busybox mount -t proc proc /proc
echo 1 > /proc/sys/kernel/printk      # no kernel messages inside the listing
busybox mount -t tmpfs tmpfs /tmp
cd /
busybox sh /check/list.sh > /tmp/list 2>&1 || echo "list.sh failed" >> /tmp/list
busybox sed "s/^/L /" /tmp/list
bad=$(busybox xargs busybox stat -c "%X %Y %Z" < /check/all | busybox tr " " "\n" | busybox grep -vcx "$EPOCH")
echo "ROOTFS-TIMES $bad"
echo "ROOTFS-CHECK $(busybox sha256sum < /tmp/list | busybox cut -d" " -f1) $(busybox wc -l < /tmp/list)"
busybox poweroff -f
'

# Names for $1 (a directory) under the image's directory hash seed: two
# that share a hash (found with debugfs dx_hash) and 255 more of the same
# length that hash below them, so that, 256 16-byte records to a leaf, the
# two straddle the first leaf boundary.
colliding_names() {
    local dir=$1 hs
    hs=$(/usr/bin/python3 -c "import uuid,sys; print(uuid.uuid5(uuid.UUID(sys.argv[1]), 'guestimg ext4 hash seed'))" $SEED)
    seq -f "dx_hash -h half_md4 -s $hs c%06g" 0 199999 > "$T/dx.cmds"
    debugfs -f "$T/dx.cmds" 2>/dev/null | /usr/bin/python3 -c '
import re, sys
seen = {}
for line in sys.stdin:
    m = re.match(r"Hash of (\S+) is 0x([0-9a-f]+)", line)
    if m:
        seen.setdefault(int(m.group(2), 16), []).append(m.group(1))
pair_hash, pair = next((h, v) for h, v in sorted(seen.items()) if len(v) > 1 and h > 1 << 28)
below = [n for h, v in sorted(seen.items()) if h < pair_hash for n in v]
print("\n".join(pair[:2] + below[:255]))
' > "$T/coll.names"
    [ "$(wc -l < "$T/coll.names")" -eq 257 ]
    mkdir -p "$dir"
    while read -r n; do echo "$n" > "$dir/$n"; done < "$T/coll.names"
}

# The tree: every entry type a directory holds, owners past 16 bits, fast
# and slow symlinks at the 59/60-byte boundary, a sparse file, a hard link,
# a 5000-entry directory with names past ASCII, the colliding directory.
make_root() {
    local r=$1 d=$1/data
    "$ROOT/tools/demo-guest/mkroot.sh" "$r"
    printf '%s' "$INIT_SH" | sed "s/\$EPOCH/$EPOCH/" > "$r/sbin/init"
    chmod 0755 "$r/sbin/init"
    mkdir -p "$r/check" "$d/etc" "$d/usr/bin" "$d/big" "$d/dev"
    printf '%s' "$LIST_SH" > "$r/check/list.sh"
    head -c 300000 /dev/urandom > "$d/usr/bin/tool"
    chmod 4755 "$d/usr/bin/tool"
    ln "$d/usr/bin/tool" "$d/usr/bin/tool-link"
    ln -s "$(printf 'x%.0s' {1..59})" "$d/usr/bin/fast59"
    ln -s "$(printf 'y%.0s' {1..60})" "$d/usr/bin/slow60"
    echo hello > "$d/etc/hostname"
    chown 100000:200000 "$d/etc/hostname"
    : > "$d/etc/empty"
    mkfifo "$d/etc/fifo"
    /usr/bin/python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$d/etc/sock"
    mknod "$d/dev/null" c 1 3
    mknod "$d/dev/nvme" b 259 300000
    truncate -s 16M "$d/sparse"
    printf 'end' | dd of="$d/sparse" bs=1 seek=$((16 * 1048576 - 3)) conv=notrunc status=none
    for i in $(seq -w 0 4999); do : > "$d/big/lib$i.so"; done
    for i in $(seq -w 0 99); do : > "$d/big/caf$(printf '\303\251')-$i"; done
    colliding_names "$d/coll"
    (cd "$r" && find data | LC_ALL=C sort > check/all &&
        find data -type f | LC_ALL=C sort > check/files &&
        find data -type l | LC_ALL=C sort > check/links &&
        find data -type b -o -type c | LC_ALL=C sort > check/devs)
    (for i in $(seq -w 0 99); do echo "data/big/lib$i.sx"; echo "data/coll/z$i"; done) > "$r/check/absent"
}

@test "rootfs boot: the guest kernel reads back every entry and finds every name in hash-indexed directories" {
    make_root "$T/root"
    # on the host, GNU coreutils
    (cd "$T/root" && STAT=stat SHA256SUM=sha256sum READLINK=readlink bash check/list.sh) > "$T/want"
    grep -q '^data/big: 5102 entries$' "$T/want"
    grep -q '^absent names found: 0$' "$T/want"
    mkdir -p "$T/g"
    cp "$K/bzImage" "$T/g/"
    run "$GUESTIMG" rootfs -q --json --layout kata --keep-owner --epoch $EPOCH --seed $SEED \
        -o "$T/g/kata-containers.img" "$T/root"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    jq -r .cmdline <<<"$output" > "$T/g/cmdline.txt"
    # the big and the colliding directories are hash-indexed; the collision bit is set
    p1="$T/g/kata-containers.img?offset=1048576"
    debugfs -R 'htree_dump /data/big' "$p1" 2>/dev/null | grep -q 'Indirect levels: 0'
    h=$(debugfs -R "dx_hash -h half_md4 -s $(/usr/bin/python3 -c "import uuid,sys; print(uuid.uuid5(uuid.UUID(sys.argv[1]), 'guestimg ext4 hash seed'))" $SEED) $(head -1 "$T/coll.names")" 2>/dev/null |
        sed -nE 's/.* is 0x([0-9a-f]+) .*/\1/p')
    debugfs -R 'htree_dump /data/coll' "$p1" 2>/dev/null | grep -q "^Entry #1: Hash 0x$(printf '%08x' $((0x$h | 1))), block 2$"
    run "$GUESTIMG" boot "$T/g" --marker ROOTFS-CHECK --timeout 300
    sed -n 's/^L //p' "$T/g/console.log" | tr -d '\r' > "$T/got"
    diff -u "$T/want" "$T/got"
    [ "$status" -eq 0 ]
    assert_equal "$output" "ROOTFS-CHECK $(sha256sum < "$T/want" | cut -d' ' -f1) $(wc -l < "$T/want")"
    grep -q '^ROOTFS-TIMES 0' "$T/g/console.log"
    grep -q 'dm-0 (dm-verity) is ready' "$T/g/console.log"
}
