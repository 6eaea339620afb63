#!/usr/bin/env bats
# guestimg boot: the demo guest under QEMU (TCG) with its dm-verity root:
# it boots and prints the marker; a flipped byte of file data or a wrong
# root hash keeps it from booting; bad inputs are one clear error each.
load lib/common
load lib/guest

setup_file() {
    require_qemu
    G=$BATS_FILE_TMPDIR/guest
    ROOT_HASH=$(demo_guest "$G")
    export G ROOT_HASH
}

setup() {
    require_qemu
    T=$BATS_TEST_TMPDIR
    cp -r "$G" "$T/g"
    rm -rf "$T/g/root"
}

# flip_file_byte IMAGE PATH: change one byte of PATH's first data block in
# partition 1 (which starts at 1 MiB).
flip_file_byte() {
    local img=$1 path=$2 block off byte
    block=$(debugfs -R "bmap $path 0" "$img?offset=1048576" 2>/dev/null)
    [[ $block =~ ^[0-9]+$ ]]
    off=$((1048576 + block * 4096 + 100))
    byte=$(od -An -tu1 -j"$off" -N1 "$img" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 0x55)))" | dd of="$img" bs=1 seek="$off" conv=notrunc status=none
}

@test "boot: the demo guest boots its verity root and prints the marker with its root hash" {
    run "$GUESTIMG" boot "$T/g"
    [ "$status" -eq 0 ]
    assert_equal "$output" "GUESTIMG-BOOT-OK root_hash=$ROOT_HASH"
    # the kernel set up the verity device and mounted it as the root
    grep -q 'device-mapper: ioctl: dm-0 (dm-verity) is ready' "$T/g/console.log"
    grep -qx 'guest: dm-0 is dm-verity' <(tr -d '\r' < "$T/g/console.log")
    grep -q 'Run /sbin/init as init process' "$T/g/console.log"
}

# verity_check DIR: veritysetup's verdict on DIR's kata disk (partitions
# from its partition table) with the parameters on DIR's command line.
verity_check() {
    local dir=$1 name start size
    while read -r name start size; do
        dd if="$dir/kata-containers.img" of="$T/$name" bs=512 skip="$start" count="$size" status=none
    done < <(sfdisk -J "$dir/kata-containers.img" |
             jq -r '.partitiontable.partitions[] | "p\(.node[-1:]) \(.start) \(.size)"')
    # dm-mod.create="… <data blocks> 0 sha256 <root hash> <salt>" …
    read -r blocks hash salt < <(sed -E 's/.* ([0-9]+) 0 sha256 ([0-9a-f]+) ([0-9a-f]+)".*/\1 \2 \3/' "$dir/cmdline.txt")
    veritysetup verify --no-superblock --data-blocks "$blocks" --salt "$salt" "$T/p1" "$T/p2" "$hash"
}

@test "boot: one flipped byte of file data gives a dm-verity error and no marker" {
    verity_check "$T/g"
    flip_file_byte "$T/g/kata-containers.img" /sbin/init
    # veritysetup agrees that the data no longer matches
    run verity_check "$T/g"
    [ "$status" -ne 0 ]
    run "$GUESTIMG" boot "$T/g"
    [ "$status" -eq 1 ]
    [[ ${lines[0]} =~ ^guestimg:\ the\ guest\ did\ not\ print\ GUESTIMG-BOOT-OK\ \(qemu\ exit\ status\ 0\ after\ [0-9.]+\ s\):\ device-mapper:\ verity:\ [0-9:]+:\ data\ block\ [0-9]+\ is\ corrupted$ ]]
    [ "${lines[1]}" = "--- last lines of the console ($T/g/console.log) ---" ]
    ! grep -q GUESTIMG-BOOT-OK "$T/g/console.log" || false
}

@test "boot: a wrong root hash on the command line does not boot" {
    wrong=$(printf '%s' "$ROOT_HASH" | tr '0-9a-f' '1-9a-f0')
    sed -i "s/$ROOT_HASH/$wrong/" "$T/g/cmdline.txt"
    grep -q "$wrong" "$T/g/cmdline.txt"
    run "$GUESTIMG" boot "$T/g"
    [ "$status" -eq 1 ]
    [[ ${lines[0]} == "guestimg: the guest did not print GUESTIMG-BOOT-OK (qemu exit status 0 after "*"): device-mapper: verity: "*" is corrupted" ]]
    grep -q 'Kernel panic - not syncing: VFS: Unable to mount root fs' "$T/g/console.log"
    ! grep -q GUESTIMG-BOOT-OK "$T/g/console.log" || false
}

@test "boot: a guest that never prints its marker times out with the console tail" {
    # init=/bin/cat waits on the console forever
    run "$GUESTIMG" boot "$T/g" --cmdline "$(cat "$T/g/cmdline.txt") init=/bin/cat" --timeout 5
    [ "$status" -eq 1 ]
    assert_equal "${lines[0]}" "guestimg: the guest did not print GUESTIMG-BOOT-OK (within 5 s; qemu stopped)"
    [ "${lines[1]}" = "--- last lines of the console ($T/g/console.log) ---" ]
    [ -s "$T/g/console.log" ]
}

@test "boot: explicit files and another marker" {
    run "$GUESTIMG" boot --kernel "$T/g/bzImage" --disk "$T/g/kata-containers.img" \
        --cmdline "$(cat "$T/g/cmdline.txt")" --console "$T/console.txt" --marker "guest: dm-0 is"
    [ "$status" -eq 0 ]
    assert_equal "$output" "guest: dm-0 is dm-verity"
    grep -q 'dm-verity' "$T/console.txt"
}

@test "boot: qemu missing is one clear error" {
    run env PATH=/nonexistent "$GUESTIMG" boot "$T/g"
    assert_error 1 "^guestimg: qemu-system-x86_64 not found in PATH \(Debian package qemu-system-x86\)$"
}

@test "boot: bad inputs are one clear error each" {
    run "$GUESTIMG" boot
    assert_error 2 "^guestimg boot: give DIR, or all of --kernel, --disk, --cmdline and --console"
    run "$GUESTIMG" boot "$T/g" --timeout 0
    assert_error 2 "^guestimg boot: --timeout '0' is not a number"
    run "$GUESTIMG" boot "$T/nowhere"
    assert_error 1 "^guestimg: .*/nowhere: no bzImage or vmlinuz \(pass --kernel\)$"
    echo "not a kernel" > "$T/g/bzImage"
    run "$GUESTIMG" boot "$T/g"
    assert_error 1 "^guestimg: .*/g/bzImage: not an x86 kernel image"
    cp "$G/bzImage" "$T/g/bzImage"
    : > "$T/g/cmdline.txt"
    run "$GUESTIMG" boot "$T/g"
    assert_error 1 "^guestimg: .*/g/cmdline.txt: the kernel command line must be one non-empty line$"
    rm "$T/g/kata-containers.img"
    run "$GUESTIMG" boot "$T/g"
    assert_error 1 "^guestimg: .*/g: no kata-containers.img \(pass --disk\)$"
    run "$GUESTIMG" boot "$T/g" --disk "$T/g/bzImage.absent" --cmdline "root=/dev/vda"
    assert_error 1 "^guestimg: .*/bzImage.absent: cannot open disk image: No such file or directory$"
    # nothing ran, so no console log was written
    [ ! -e "$T/g/console.log" ]
}

