#!/usr/bin/env bats
# guestimg rootfs: images checked with e2fsck, debugfs (through
# tests/lib/fslist.py), veritysetup and sfdisk; reproducibility; bad input.
load lib/common

PY=/usr/bin/python3
FSLIST="$ROOT/tests/lib/fslist.py"
SEED=6a0b5b3c-1e2f-4d5e-8f90-123456789abc

setup() {
    W=$BATS_TEST_TMPDIR
    mkdir -p "$W/out"
}

# A directory tree with every kind of entry a directory can hold.
make_tree() {
    local d=$1
    mkdir -p "$d/usr/bin" "$d/etc/deep" "$d/var/empty"
    printf 'hello\n' > "$d/etc/hostname"
    head -c 300000 /dev/urandom > "$d/usr/bin/tool"
    chmod 4755 "$d/usr/bin/tool"
    ln "$d/usr/bin/tool" "$d/usr/bin/tool-link"
    ln -s tool "$d/usr/bin/fast-link"
    ln -s "/$(printf 'long%.0s' {1..40})/target" "$d/usr/bin/slow-link"
    # the largest target kept in the inode, and the smallest that takes a block
    ln -s "$(printf 'x%.0s' {1..59})" "$d/usr/bin/fast59"
    ln -s "$(printf 'y%.0s' {1..60})" "$d/usr/bin/slow60"
    : > "$d/etc/empty"
    mkfifo "$d/etc/fifo"
    $PY -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$d/etc/sock"
    # sparse: 64 MiB with data at 1 MiB and at the end; zero-filled blocks too
    truncate -s 64M "$d/var/sparse"
    printf 'middle' | dd of="$d/var/sparse" bs=1 seek=1048576 conv=notrunc status=none
    printf 'end' | dd of="$d/var/sparse" bs=1 seek=$((64 * 1048576 - 3)) conv=notrunc status=none
    head -c 40960 /dev/zero > "$d/var/zeros"
    local name p=$d/etc/deep
    name=$(printf 'n%.0s' {1..255})
    : > "$d/etc/$name"
    for i in $(seq 1 60); do p=$p/level$i; done
    mkdir -p "$p" && echo bottom > "$p/file"
    $PY - "$d" <<'EOF'
import os, sys
d = sys.argv[1]
os.setxattr(d + '/usr/bin/tool', 'security.capability', bytes.fromhex('0100000200200000000000000000000000000000'))
os.setxattr(d + '/etc/hostname', 'user.comment', b'a comment')
os.setxattr(d + '/etc', 'user.dir', b'x' * 100)
EOF
    chmod 0750 "$d/var/empty"
}

# fslist image listing of the filesystem in $1 (kata: partition 1 extracted).
image_listing() {
    "$FSLIST" image --epoch "${2:-0}" "$1"
}

check_fs() {
    run e2fsck -fn "$1"
    [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

json_field() {
    $PY -c "import json,sys; v=json.load(open(sys.argv[1])); [v:=v[k] for k in sys.argv[2].split('.')]; print(v)" "$1" "$2"
}

@test "rootfs: usage errors" {
    run "$GUESTIMG" rootfs "$W"
    [ "$status" -eq 2 ] && [[ $output == *"-o IMAGE is required"* ]]
    run "$GUESTIMG" rootfs -o "$W/out/x.img"
    [ "$status" -eq 2 ] && [[ $output == *"no INPUT"* ]]
    run "$GUESTIMG" rootfs -o "$W/out/x.img" --layout gpt "$W"
    [ "$status" -eq 2 ] && [[ $output == *"raw or kata"* ]]
    run "$GUESTIMG" rootfs -o "$W/out/x.img" --size 1000 "$W"
    [ "$status" -eq 2 ] && [[ $output == *"multiple of 4096"* ]]
    run "$GUESTIMG" rootfs -o "$W/out/x.img" --seed nope "$W"
    [ "$status" -eq 2 ] && [[ $output == *"--seed must be a UUID"* ]]
    SOURCE_DATE_EPOCH=yesterday run "$GUESTIMG" rootfs -o "$W/out/x.img" "$W"
    [ "$status" -eq 2 ] && [[ $output == *"'yesterday'"* ]]
    run "$GUESTIMG" rootfs --help
    [ "$status" -eq 0 ] && [[ $output == *"--layout raw|kata"* ]]
    [ -z "$(ls -A "$W/out")" ]
}

@test "rootfs: a directory becomes an image e2fsck accepts and debugfs lists back exactly" {
    make_tree "$W/in"
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" --epoch 1700000000 --seed $SEED "$W/in"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    check_fs "$W/out/root.img"
    "$FSLIST" input "$W/in" > "$W/want"
    image_listing "$W/out/root.img" 1700000000 > "$W/got"
    diff -u "$W/want" "$W/got"
    # the listing did see what matters
    grep -q $'^/usr/bin/tool-link\tfile\t4755\t0:0\t300000\t.*\t/usr/bin/tool$' "$W/got"
    grep -q $'\tsecurity.capability=0100000200200000' "$W/got"
    grep -q $'^/etc/sock\tsock' "$W/got"
    grep -q $'^/etc/fifo\tfifo' "$W/got"
    grep -q $'^/usr/bin/slow60\tsymlink\t0777\t0:0\t-\tyyyy' "$W/got"
    run debugfs -R 'stat /usr/bin/fast59' "$W/out/root.img"
    [[ $output == *'Fast link dest: "xxxx'* ]]
    run debugfs -R 'stat /usr/bin/slow60' "$W/out/root.img"
    [[ $output != *'Fast link dest'* && $output == *'Blockcount: 8'* ]]
    # holes: the sparse file keeps 2 data blocks, the zero-filled one none
    run debugfs -R 'stat /var/sparse' "$W/out/root.img"
    [[ $output == *"Blockcount: 16"* ]]
    run debugfs -R 'stat /var/zeros' "$W/out/root.img"
    [[ $output == *"Blockcount: 0"* ]]
    # superblock: times, UUID from the seed, features
    run dumpe2fs -h "$W/out/root.img"
    [[ $output == *"Filesystem created:       Tue Nov 14 22:13:20 2023"* ]]
    [[ $output == *"Last write time:          Tue Nov 14 22:13:20 2023"* ]]
    [[ $output == *"Filesystem features:      ext_attr dir_index filetype extent flex_bg sparse_super large_file huge_file dir_nlink extra_isize"* ]]
    [[ $output != *"has_journal"* ]]
}

@test "rootfs: --keep-owner keeps the directory's owners" {
    mkdir -p "$W/in/d" && echo x > "$W/in/d/f"
    chown -R 100000:200000 "$W/in/d"   # past 16 bits: i_uid_high, i_gid_high
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" --keep-owner "$W/in"
    [ "$status" -eq 0 ]
    "$FSLIST" input --keep-owner "$W/in" > "$W/want"
    image_listing "$W/out/root.img" > "$W/got"
    diff -u "$W/want" "$W/got"
    grep -q $'^/d/f\tfile\t0644\t100000:200000' "$W/got"
}

# A pax archive with what directories cannot hold without root: devices,
# owners, xattrs; and a hard link.
make_tar() {
    $PY - "$1" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
    def add(name, kind=tarfile.REGTYPE, data=b'', **kw):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.size = len(data) if kind == tarfile.REGTYPE else 0
        ti.mode = kw.pop('mode', 0o644)
        for k, v in kw.items():
            setattr(ti, k, v)
        t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    add('./', tarfile.DIRTYPE, mode=0o755)
    add('./dev/', tarfile.DIRTYPE, mode=0o755)
    add('./dev/null', tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
    add('./dev/nvme0n1', tarfile.BLKTYPE, devmajor=259, devminor=300000, mode=0o660, gid=6)
    add('./dev/initctl', tarfile.FIFOTYPE, mode=0o600)
    add('./bin/su', data=b'\x7fELF' + bytes(range(256)) * 64, mode=0o4755, uid=0, gid=0,
        pax_headers={'SCHILY.xattr.security.selinux': 'system_u:object_r:su_exec_t:s0\x00',
                     'SCHILY.xattr.security.capability': '\x01\x00\x00\x02' + '\x00' * 16})
    add('./bin/su-hard', tarfile.LNKTYPE, linkname='./bin/su')
    add('./home/user/notes', data=b'mine', uid=1000, gid=70000, mode=0o600,
        pax_headers={'SCHILY.xattr.user.mime': 'text/plain'})
    add('./caf\u00e9', data=b'utf-8 name')
    add('./etc/os-release', data=b'ID=test\n')
    add('./srv/nobody', data=b'65534+', uid=4294967294, gid=131072)
    add('./etc/alternatives', tarfile.SYMTYPE, linkname='/usr/lib/alternatives')
EOF
}

@test "rootfs: tar, tar.gz, tar.xz, tar.zst and cpio inputs, merged in order" {
    make_tar "$W/base.tar"
    gzip -c "$W/base.tar" > "$W/base.tar.gz"
    xz -c "$W/base.tar" > "$W/base.tar.xz"
    zstd -q -c "$W/base.tar" > "$W/base.tar.zst"
    "$FSLIST" input "$W/base.tar" > "$W/want"
    for a in base.tar base.tar.gz base.tar.xz base.tar.zst; do
        run "$GUESTIMG" rootfs -q -o "$W/out/$a.img" "$W/$a"
        [ "$status" -eq 0 ]
        check_fs "$W/out/$a.img"
        image_listing "$W/out/$a.img" > "$W/got"
        diff -u "$W/want" "$W/got"
    done
    cmp "$W/out/base.tar.img" "$W/out/base.tar.zst.img"
    # a later directory input replaces a file and adds one
    mkdir -p "$W/over/etc"
    echo 'ID=override' > "$W/over/etc/os-release"
    run "$GUESTIMG" rootfs -q -o "$W/out/merged.img" "$W/base.tar" "$W/over"
    [ "$status" -eq 0 ]
    "$FSLIST" input "$W/base.tar" "$W/over" > "$W/want"
    image_listing "$W/out/merged.img" > "$W/got"
    diff -u "$W/want" "$W/got"
    grep -q $'^/etc/os-release\tfile\t0644\t0:0\t12\t' "$W/got"
}

@test "rootfs: cpio (newc) hard links carry their data on the last name" {
    mkdir -p "$W/c/x"
    head -c 10000 /dev/urandom > "$W/c/x/a"
    ln "$W/c/x/a" "$W/c/x/b"
    echo single > "$W/c/s"
    (cd "$W/c" && find . | LC_ALL=C sort | cpio -o -H newc --quiet > "$W/c.cpio")
    run "$GUESTIMG" rootfs -q -o "$W/out/c.img" "$W/c.cpio"
    [ "$status" -eq 0 ]
    check_fs "$W/out/c.img"
    image_listing "$W/out/c.img" > "$W/got"
    # the directory the archive was made from (owned by root, as the test runs)
    [ "$(stat -c %u:%g "$W/c/x/a")" = 0:0 ] || skip "the cpio archive keeps the non-root owner"
    "$FSLIST" input "$W/c" > "$W/want"
    diff -u "$W/want" "$W/got"
    want=$(sha256sum < "$W/c/x/a" | cut -d' ' -f1)
    grep -q $'^/x/b\tfile\t0644\t0:0\t10000\t'"$want"$'\t-\t/x/a$' "$W/got"
}

@test "rootfs: veritysetup accepts the hash tree and refuses after one flipped data byte" {
    make_tree "$W/in"
    run "$GUESTIMG" rootfs -q --json -o "$W/out/root.img" --seed $SEED "$W/in"
    [ "$status" -eq 0 ]
    echo "$output" > "$W/r.json"
    root=$(json_field "$W/r.json" verity.root_hash)
    salt=$(json_field "$W/r.json" verity.salt)
    [ "$(json_field "$W/r.json" verity.hash_file)" = root.img.verity ]
    [ "$(json_field "$W/r.json" verity.data_blocks)" -eq $(( $(stat -c %s "$W/out/root.img") / 4096 )) ]
    veritysetup verify --no-superblock --salt="$salt" "$W/out/root.img" "$W/out/root.img.verity" "$root"
    [ "$(cat "$W/out/root_hash.txt")" = "root_hash=$root,salt=$salt,data_blocks=$(json_field "$W/r.json" verity.data_blocks),data_block_size=4096,hash_block_size=4096" ]
    [[ $(json_field "$W/r.json" cmdline) == "dm-mod.create=\"dm-verity,,,ro,0 "*" verity 1 /dev/vda /dev/vdb 4096 4096 "*" 0 sha256 $root $salt\" root=/dev/dm-0 rootfstype=ext4 ro" ]]
    [ "$(json_field "$W/r.json" image_sha256)" = "$(sha256sum < "$W/out/root.img" | cut -d' ' -f1)" ]
    # flip one byte of /etc/hostname's data
    blk=$(debugfs -R 'bmap /etc/hostname 0' "$W/out/root.img" 2>/dev/null)
    $PY -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])*4096); b=f.read(1); f.seek(-1,1); f.write(bytes([b[0]^1]))" "$W/out/root.img" "$blk"
    run veritysetup verify --no-superblock --salt="$salt" "$W/out/root.img" "$W/out/root.img.verity" "$root"
    [ "$status" -ne 0 ]
}

@test "rootfs: kata layout: sfdisk reads the table back; partitions verify" {
    make_tree "$W/in"
    run "$GUESTIMG" rootfs -q --json --layout kata -o "$W/out/kata.img" --seed $SEED "$W/in"
    [ "$status" -eq 0 ]
    echo "$output" > "$W/k.json"
    [ ! -e "$W/out/kata.img.verity" ]
    sfdisk -J "$W/out/kata.img" > "$W/pt.json"
    # the disk id is HMAC-SHA256(seed, "guestimg disk id")[0:4], little-endian
    $PY - "$W/pt.json" "$W/k.json" $SEED <<'EOF'
import hashlib, hmac, json, sys, uuid
pt = json.load(open(sys.argv[1]))['partitiontable']
r = json.load(open(sys.argv[2]))
seed = uuid.UUID(sys.argv[3]).bytes
disk_id = int.from_bytes(hmac.new(seed, b'guestimg disk id', hashlib.sha256).digest()[:4], 'little')
assert pt['label'] == 'dos' and int(pt['id'], 16) == disk_id, pt
p1, p2 = pt['partitions']
blocks = r['verity']['data_blocks']
assert p1['start'] == 2048 and p1['size'] == blocks * 8 and p1['type'] == '83', p1
assert p2['start'] % 2048 == 0 and p2['start'] >= 2048 + blocks * 8 and p2['type'] == '83', p2
assert 'hash_file' not in r['verity'] and r['verity']['hash_offset'] == 0 and r['verity']['superblock'] is False
assert ' verity 1 /dev/vda1 /dev/vda2 4096 4096 %d 0 sha256 ' % blocks in r['cmdline']
print(p1['start'], p1['size'], p2['start'], p2['size'])
EOF
    read -r s1 n1 s2 n2 < <($PY -c "import json,sys; p=json.load(open(sys.argv[1]))['partitiontable']['partitions']; print(p[0]['start'],p[0]['size'],p[1]['start'],p[1]['size'])" "$W/pt.json")
    dd if="$W/out/kata.img" of="$W/p1" bs=512 skip=$s1 count=$n1 status=none
    dd if="$W/out/kata.img" of="$W/p2" bs=512 skip=$s2 count=$n2 status=none
    check_fs "$W/p1"
    "$FSLIST" input "$W/in" > "$W/want"
    image_listing "$W/p1" > "$W/got"
    diff -u "$W/want" "$W/got"
    veritysetup verify --no-superblock --salt="$(json_field "$W/k.json" verity.salt)" "$W/p1" "$W/p2" \
        "$(json_field "$W/k.json" verity.root_hash)"
    # the same with the hash tree read in place, at partition 2's offset in the disk
    veritysetup verify --no-superblock --hash-offset=$((s2 * 512)) --data-blocks="$(json_field "$W/k.json" verity.data_blocks)" \
        --salt="$(json_field "$W/k.json" verity.salt)" "$W/p1" "$W/out/kata.img" "$(json_field "$W/k.json" verity.root_hash)"
    # partition 2 is exactly the tree: levels of ceil(n/128) blocks, up to one block
    $PY - "$(json_field "$W/k.json" verity.data_blocks)" "$n2" <<'EOF'
import sys
n, sectors, blocks = int(sys.argv[1]), int(sys.argv[2]), 0
while n > 1:
    n = (n + 127) // 128
    blocks += n
assert sectors == blocks * 8, (sectors, blocks)
EOF
    [ "$(json_field "$W/k.json" image_sha256)" = "$(sha256sum < "$W/out/kata.img" | cut -d' ' -f1)" ]
    # flip one byte of file data inside the disk
    blk=$(debugfs -R 'bmap /etc/hostname 0' "$W/p1" 2>/dev/null)
    $PY -c "import sys; f=open(sys.argv[1],'r+b'); f.seek(int(sys.argv[2])*512+int(sys.argv[3])*4096); b=f.read(1); f.seek(-1,1); f.write(bytes([b[0]^1]))" "$W/out/kata.img" $s1 "$blk"
    dd if="$W/out/kata.img" of="$W/p1" bs=512 skip=$s1 count=$n1 status=none
    run veritysetup verify --no-superblock --salt="$(json_field "$W/k.json" verity.salt)" "$W/p1" "$W/p2" \
        "$(json_field "$W/k.json" verity.root_hash)"
    [ "$status" -ne 0 ]
}

@test "rootfs: identifiers derive from --seed as documented" {
    mkdir -p "$W/in" && echo x > "$W/in/f"
    run "$GUESTIMG" rootfs -q --json -o "$W/out/a.img" --seed $SEED "$W/in"
    [ "$status" -eq 0 ]
    echo "$output" > "$W/a.json"
    $PY - "$W/a.json" $SEED <<'EOF'
import hashlib, hmac, json, sys, uuid
r = json.load(open(sys.argv[1]))
ns = uuid.UUID(sys.argv[2])
assert r['fs_uuid'] == str(uuid.uuid5(ns, 'guestimg ext4 uuid')), r['fs_uuid']
assert r['verity']['salt'] == hmac.new(ns.bytes, b'guestimg verity salt', hashlib.sha256).hexdigest()
EOF
    run dumpe2fs -h "$W/out/a.img"
    [[ $output == *"Filesystem UUID:          $(json_field "$W/a.json" fs_uuid)"* ]]
    want_seed=$($PY -c "import uuid,sys; print(uuid.uuid5(uuid.UUID(sys.argv[1]), 'guestimg ext4 hash seed'))" $SEED)
    [[ $output == *"Directory Hash Seed:      $want_seed"* ]]
    # another seed, other identifiers and root hash; same content
    run "$GUESTIMG" rootfs -q --json -o "$W/out/b.img" --seed 11111111-2222-3333-4444-555555555555 "$W/in"
    echo "$output" > "$W/b.json"
    [ "$(json_field "$W/a.json" fs_uuid)" != "$(json_field "$W/b.json" fs_uuid)" ]
    [ "$(json_field "$W/a.json" verity.root_hash)" != "$(json_field "$W/b.json" verity.root_hash)" ]
    [ "$(json_field "$W/a.json" seed)" = $SEED ]
}

@test "rootfs: without --seed, the seed derives from the content: same tree, same seed; other content, another" {
    mkdir -p "$W/in" && echo x > "$W/in/f" && ln -s f "$W/in/l"
    run "$GUESTIMG" rootfs -q --json -o "$W/out/a.img" "$W/in"
    [ "$status" -eq 0 ]
    echo "$output" > "$W/a.json"
    seed=$(json_field "$W/a.json" seed)
    [[ $seed =~ ^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
    # identifiers derive from it as from --seed: the same bytes with --seed it
    run "$GUESTIMG" rootfs -q --json -o "$W/out/b.img" --seed "$seed" "$W/in"
    echo "$output" > "$W/b.json"
    cmp "$W/out/a.img" "$W/out/b.img"
    [ "$(json_field "$W/a.json" verity.root_hash)" = "$(json_field "$W/b.json" verity.root_hash)" ]
    # mtimes do not reach the image, so not the seed either
    touch -d '2001-02-03' "$W/in/f"
    run "$GUESTIMG" rootfs -q --json -o "$W/out/c.img" "$W/in"
    echo "$output" > "$W/c.json"
    [ "$(json_field "$W/c.json" seed)" = "$seed" ]
    # a byte of content, a mode: another seed, UUID and salt
    for change in 'echo y > "$W/in/f"' 'chmod 0600 "$W/in/f"'; do
        eval "$change"
        run "$GUESTIMG" rootfs -q --json -o "$W/out/d.img" "$W/in"
        echo "$output" > "$W/d.json"
        [ "$(json_field "$W/d.json" seed)" != "$seed" ]
        [ "$(json_field "$W/d.json" fs_uuid)" != "$(json_field "$W/a.json" fs_uuid)" ]
        [ "$(json_field "$W/d.json" verity.salt)" != "$(json_field "$W/a.json" verity.salt)" ]
        seed=$(json_field "$W/d.json" seed)
    done
}

# faketime preloads a library: under ASan, tell ASan that is fine.
faketime_run() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"
}

# Build the same tree in a given order (forward or reverse creation).
make_ordered_tree() {
    local d=$1 order=$2 names=(a b c d/e d/f g/h/i)
    [ "$order" = reverse ] && names=(g/h/i d/f d/e c b a)
    mkdir -p "$d"
    for n in "${names[@]}"; do
        mkdir -p "$d/$(dirname "$n")"
        printf 'content of %s\n' "$n" > "$d/$n"
        chmod 0644 "$d/$n"
    done
    chmod 0755 "$d" "$d/d" "$d/g" "$d/g/h"
}

# The same archives in a given member order (forward or reverse), with
# mtimes and owner names that differ by order: a pax one with a UTF-8 name
# and a GNU one with a name that is not UTF-8 (both pass as bytes,
# whatever LC_ALL says).
make_ordered_tars() {
    $PY - "$1" "$2" <<'EOF'
import io, sys, tarfile
out, order = sys.argv[1], sys.argv[2]
def members(fmt):
    names = ['x/', 'x/b', 'x/a', 'caf\u00e9']
    if fmt == tarfile.GNU_FORMAT:
        names.append('raw-\udcff')
    return names if order == 'forward' else list(reversed(names))
for fmt, name in ((tarfile.PAX_FORMAT, 'pax.tar'), (tarfile.GNU_FORMAT, 'gnu.tar')):
    with tarfile.open(out + '/' + name, 'w', format=fmt, encoding='utf-8', errors='surrogateescape') as t:
        for i, n in enumerate(members(fmt)):
            ti = tarfile.TarInfo(n)
            ti.mtime = 1000000 * (i + 1 if order == 'forward' else 7 - i)
            ti.uname = ti.gname = order
            if n.endswith('/'):
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                data = ('content of ' + n).encode('utf-8', 'surrogateescape')
                ti.size, ti.mode = len(data), 0o644
                t.addfile(ti, io.BytesIO(data))
EOF
}

@test "rootfs: bit-identical across cwd, umask, TZ, LC_ALL, creation order and clock" {
    # the variations below really vary
    [ "$(faketime_run '2031-07-01 12:00:00' date +%Y)" = 2031 ]
    [ "$(TZ=Asia/Kolkata date +%z)" = +0530 ] && [ "$(TZ=UTC date +%z)" = +0000 ]
    mkdir -p "$W/cwd1" "$W/cwd2" "$W/o1" "$W/o2" "$W/a" "$W/a2"
    make_ordered_tree "$W/t1" forward
    make_ordered_tars "$W/a" forward
    (cd "$W/cwd1" && umask 022 && TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=1600000000 \
        "$GUESTIMG" rootfs -q --json --layout kata -o ../o1/img --seed $SEED ../t1 ../a/pax.tar ../a/gnu.tar > ../o1/json)
    sleep 1
    # the same content created in the other order, other mtimes, other archive member order
    make_ordered_tree "$W/t2" reverse
    make_ordered_tars "$W/a2" reverse
    ! cmp -s "$W/a/pax.tar" "$W/a2/pax.tar"
    touch -d '2001-02-03 04:05:06' "$W/t2/a" "$W/t2/d"
    mv "$W/t1" "$W/t1-old" && mv "$W/t2" "$W/t1" && mv "$W/a" "$W/a-old" && mv "$W/a2" "$W/a"
    (cd "$W/cwd2" && umask 077 && TZ=Asia/Kolkata LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=1600000000 \
        faketime_run '2031-07-01 12:00:00' "$GUESTIMG" rootfs -q --json --layout kata -o ../o2/img --seed $SEED ../t1 ../a/pax.tar ../a/gnu.tar > ../o2/json)
    cmp "$W/o1/img" "$W/o2/img"
    cmp "$W/o1/json" "$W/o2/json"
    cmp "$W/o1/root_hash.txt" "$W/o2/root_hash.txt"
    # the names came through as bytes
    dd if="$W/o1/img" of="$W/p1" bs=1M skip=1 status=none
    "$FSLIST" image "$W/p1" | cut -f1 > "$W/names"
    grep -qx $'/caf\xc3\xa9' "$W/names"
    grep -qx $'/raw-\xff' "$W/names"
    # the raw layout with a journal, epoch 0 (libext2fs would take the write
    # time from the clock) and no --seed (derived from the content)
    (cd "$W/cwd1" && umask 022 && TZ=UTC LC_ALL=C "$GUESTIMG" rootfs -q --journal -o ../o1/raw \
        ../t1-old ../a-old/pax.tar ../a-old/gnu.tar > /dev/null)
    (cd "$W/cwd2" && umask 077 && TZ=Asia/Kolkata LC_ALL=C.UTF-8 faketime_run '2031-07-01 12:00:00' \
        "$GUESTIMG" rootfs -q --journal -o ../o2/raw ../t1 ../a/pax.tar ../a/gnu.tar > /dev/null)
    cmp "$W/o1/raw" "$W/o2/raw"
    cmp "$W/o1/raw.verity" "$W/o2/raw.verity"
    run dumpe2fs -h "$W/o1/raw"
    [[ $output == *"Last write time:          Thu Jan  1 00:00:00 1970"* ]]
    [[ $output == *"has_journal"* ]]
}

@test "rootfs: --size auto is the smallest whole MiB with the documented headroom; fixed sizes" {
    mkdir -p "$W/in"
    head -c 5000000 /dev/urandom > "$W/in/blob"
    run "$GUESTIMG" rootfs -q --json -o "$W/out/auto.img" "$W/in"
    [ "$status" -eq 0 ]
    size=$(stat -c %s "$W/out/auto.img")
    [ $((size % 1048576)) -eq 0 ]
    free_blocks() { dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Free blocks/ {print $2+0}'; }
    # the tree: 1221 data blocks, the root and lost+found: 1223; headroom 1% + 1 MiB
    headroom=$(( 1223 / 100 + 256 ))
    [ "$(free_blocks "$W/out/auto.img")" -ge "$headroom" ]
    # one MiB less still holds the tree, but not the headroom: auto is the smallest
    run "$GUESTIMG" rootfs -q -o "$W/out/less.img" --size $(( size - 1048576 )) "$W/in"
    [ "$status" -eq 0 ]
    check_fs "$W/out/less.img"
    [ "$(free_blocks "$W/out/less.img")" -lt "$headroom" ]
    run "$GUESTIMG" rootfs -q -o "$W/out/fixed.img" --size 64M "$W/in"
    [ "$status" -eq 0 ]
    [ "$(stat -c %s "$W/out/fixed.img")" -eq $((64 * 1048576)) ]
    check_fs "$W/out/fixed.img"
    run "$GUESTIMG" rootfs -q -o "$W/out/journal.img" --journal "$W/in"
    [ "$status" -eq 0 ]
    check_fs "$W/out/journal.img"
    run dumpe2fs -h "$W/out/journal.img"
    [[ $output == *"has_journal"* ]]
    # the journal comes on top of the headroom
    [ "$(free_blocks "$W/out/journal.img")" -ge "$headroom" ]
    "$FSLIST" input "$W/in" > "$W/want"
    image_listing "$W/out/journal.img" > "$W/got"
    diff -u "$W/want" "$W/got"
}

@test "rootfs: --no-verity writes the filesystem alone" {
    mkdir -p "$W/in" && echo x > "$W/in/f"
    run "$GUESTIMG" rootfs -q --json --no-verity -o "$W/out/plain.img" "$W/in"
    [ "$status" -eq 0 ]
    echo "$output" > "$W/p.json"
    [ "$(ls "$W/out")" = plain.img ]
    [ "$(json_field "$W/p.json" verity)" = None ]
    [ "$(json_field "$W/p.json" cmdline)" = "root=/dev/vda rootfstype=ext4 ro" ]
}

# Bad input: one error line naming input and entry, exit 1, nothing left.
assert_bad() {
    local pattern=$1; shift
    run "$GUESTIMG" rootfs -q -o "$W/out/bad.img" "$@"
    assert_error 1 "$pattern"
    [ -z "$(ls -A "$W/out")" ] || { ls -la "$W/out"; return 1; }
}

bad_tar() {
    $PY "$ROOT/tests/lib/hostile.py" spec-tar "$@"
}

@test "rootfs: bad archive entries: '..', absolute, through a symlink, hard link to nothing, long name" {
    bad_tar "$W/dotdot.tar" f:ok:1 f:a/../../escape:x
    assert_bad "^guestimg: .*/dotdot.tar: a/../../escape: path contains \"..\"$" "$W/dotdot.tar"
    bad_tar "$W/abs.tar" f:/etc/passwd:x
    assert_bad "^guestimg: .*/abs.tar: /etc/passwd: absolute path$" "$W/abs.tar"
    mkdir -p "$W/victim"
    bad_tar "$W/through.tar" "l:etc:$W/victim" f:etc/passwd:owned
    assert_bad "^guestimg: .*/through.tar: etc/passwd: path passes through the symlink /etc" "$W/through.tar"
    bad_tar "$W/up.tar" l:up:../../.. f:up/escape:owned
    assert_bad "^guestimg: .*/up.tar: up/escape: path passes through the symlink /up" "$W/up.tar"
    bad_tar "$W/updir.tar" l:up:.. d:up/sub
    assert_bad "^guestimg: .*/updir.tar: up/sub/: path passes through the symlink /up" "$W/updir.tar"
    [ -z "$(ls -A "$W/victim")" ]
    bad_tar "$W/hard.tar" h:link:missing
    assert_bad "^guestimg: .*/hard.tar: link: hard link to missing, which is not in the tree$" "$W/hard.tar"
    bad_tar "$W/hardabs.tar" h:link:/etc/passwd
    assert_bad "^guestimg: .*/hardabs.tar: /etc/passwd: absolute hard link target$" "$W/hardabs.tar"
    bad_tar "$W/hardup.tar" h:link:../etc/passwd
    assert_bad "^guestimg: .*/hardup.tar: \.\./etc/passwd: hard link target contains \"..\"$" "$W/hardup.tar"
    bad_tar "$W/harddir.tar" d:dir h:link:dir
    assert_bad "^guestimg: .*/harddir.tar: link: hard link to the directory dir$" "$W/harddir.tar"
    bad_tar "$W/long.tar" "f:dir/$(printf 'x%.0s' {1..256}):x"
    assert_bad "^guestimg: .*/long.tar: dir/x+: name longer than 255 bytes$" "$W/long.tar"
}

# Every system call that can create, change or remove a file, under strace:
# all of them must stay inside $W/out, whatever the archive's symlinks say.
@test "rootfs: nothing is written outside the outputs, whatever the archive's links point at" {
    command -v strace > /dev/null || skip "strace not installed"
    mkdir -p "$W/victim" "$W/cwd"
    bad_tar "$W/links.tar" d:etc f:etc/hostname:guest "l:up:../../.." "l:abs:$W/victim" l:root:/ \
        "l:etc/shadow:$W/victim/shadow" h:hard-to-link:up f:sbin/init:init
    # (LeakSanitizer cannot run under ptrace: off for this run of a SANITIZE=1 build)
    (cd "$W/cwd" && ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 \
        strace -f -qq -y -o "$W/trace" -e trace=%file,write,pwrite64,pwritev,ftruncate,fallocate \
        "$GUESTIMG" rootfs -q -o "$W/out/ok.img" --layout kata "$W/links.tar") > /dev/null
    [ -z "$(ls -A "$W/victim")" ] && [ -z "$(ls -A "$W/cwd")" ]
    # the image holds the links as links
    dd if="$W/out/ok.img" of="$W/p1" bs=1M skip=1 status=none
    image_listing "$W/p1" > "$W/got"
    grep -q $'^/hard-to-link\tsymlink\t0644\t0:0\t-\t../../..\t-\t-$' "$W/got"
    grep -q $'^/up\tsymlink\t0644\t0:0\t-\t../../..\t-\t/hard-to-link$' "$W/got"
    grep -q $'^/etc/shadow\tsymlink\t.*\t'"$W/victim/shadow"$'\t' "$W/got"
    /usr/bin/python3 - "$W/trace" "$W/out" <<'EOF'
import re, sys
trace, out = sys.argv[1], sys.argv[2]
inside = lambda p: p == out or p.startswith(out + '/')
by_path = re.compile(r'\b(openat|open|creat|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|rmdir|symlink|symlinkat|'
                     r'link|linkat|truncate|chmod|fchmodat|chown|lchown|fchownat|utimensat|mknod|mknodat|setxattr|'
                     r'lsetxattr)\((.*)')
by_fd = re.compile(r'\b(write|pwrite64|pwritev|ftruncate|fallocate)\((\d+)<([^>]*)>')
bad, seen = [], 0
for line in open(trace):
    if '= -1' in line:
        continue
    m = by_fd.search(line)
    if m:
        seen += 1
        if m.group(2) not in ('1', '2') and not inside(m.group(3)):
            bad.append(line.strip())
        continue
    m = by_path.search(line)
    if not m:
        continue
    call, args = m.groups()
    if call in ('openat', 'open') and not re.search(r'O_(WRONLY|RDWR|CREAT|TRUNC|TMPFILE)', args):
        continue
    seen += 1
    paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    if not paths or not all(inside(p) for p in paths):
        bad.append(line.strip())
assert seen > 10, 'only %d file writes seen: the trace is not what this test thinks' % seen
assert not bad, 'writes outside %s:\n%s' % (out, '\n'.join(bad))
EOF
}

@test "rootfs: corrupt archives and unreadable inputs" {
    mkdir -p "$W/src" && echo a > "$W/src/a" && head -c 300000 /dev/urandom > "$W/src/big"
    tar -C "$W/src" -czf "$W/good.tar.gz" a big
    head -c 150000 "$W/good.tar.gz" > "$W/cut.tar.gz"
    assert_bad "^guestimg: .*/cut.tar.gz: big: cannot read the data: " "$W/cut.tar.gz"
    head -c 100 "$W/good.tar.gz" > "$W/short.tar.gz"
    assert_bad "^guestimg: .*/short.tar.gz: not a directory or a readable tar or cpio archive: truncated gzip input$" "$W/short.tar.gz"
    head -c 4096 /dev/urandom > "$W/noise.bin"
    assert_bad "^guestimg: .*/noise.bin: not a directory or a readable tar or cpio archive" "$W/noise.bin"
    assert_bad "^guestimg: .*/missing: cannot read the input: No such file or directory$" "$W/missing"
    # a file the (non-root) user cannot read, found while scanning a directory;
    # run as nobody, in a directory nobody can reach
    N=$(mktemp -d /tmp/guestimg-rootfs-test.XXXXXX)
    chmod 755 "$N" && mkdir -p "$N/in" "$N/out" && chmod 777 "$N/out"
    echo secret > "$N/in/locked" && chmod 000 "$N/in/locked"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$GUESTIMG" rootfs -q -o "$N/out/bad.img" "$N/in"
    assert_error 1 "^guestimg: .*/in/locked: cannot open: Permission denied$"
    [ -z "$(ls -A "$N/out")" ]
    # an archive given as INPUT that cannot be read
    cp "$W/good.tar.gz" "$N/locked.tar.gz" && chmod 000 "$N/locked.tar.gz"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$GUESTIMG" rootfs -q -o "$N/out/bad.img" "$N/locked.tar.gz"
    assert_error 1 "^guestimg: .*/locked.tar.gz: cannot read the input: Permission denied$"
    [ -z "$(ls -A "$N/out")" ]
}

@test "rootfs: a failed build leaves the outputs of an earlier one as they were" {
    mkdir -p "$W/in" && echo x > "$W/in/f"
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" "$W/in"
    [ "$status" -eq 0 ]
    (cd "$W/out" && sha256sum root.img root.img.verity root_hash.txt) > "$W/before"
    head -c 3000000 /dev/urandom > "$W/in/blob"
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" --size 2M "$W/in"
    assert_error 1 "^guestimg: .*/root.img: the tree does not fit in 2097152 bytes \\(--size\\)$"
    (cd "$W/out" && sha256sum -c --quiet "$W/before")
    [ "$(ls -A "$W/out" | wc -l)" -eq 3 ]
}

teardown() {
    [ -z "${N:-}" ] || rm -rf "$N"
}

@test "rootfs: a tree larger than a fixed --size is an error, and leaves nothing" {
    mkdir -p "$W/in"
    head -c 3000000 /dev/urandom > "$W/in/blob"
    assert_bad "^guestimg: .*/bad.img: the tree does not fit in 2097152 bytes \(--size\)$" --size 2M "$W/in"
    assert_bad "^guestimg: .*/bad.img: cannot make a 4096-byte filesystem \(--size\): " --size 4096 "$W/in"
}

@test "rootfs: an output name taken by a directory is refused before anything is written" {
    mkdir -p "$W/in" "$W/out/root.img" && echo x > "$W/in/f"
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" "$W/in"
    assert_error 1 "^guestimg: .*/out/root.img: is a directory$"
    [ "$(ls -A "$W/out")" = root.img ]
    rmdir "$W/out/root.img" && mkdir "$W/out/root_hash.txt"
    run "$GUESTIMG" rootfs -q -o "$W/out/root.img" "$W/in"
    assert_error 1 "^guestimg: .*/out/root_hash.txt: is a directory$"
    [ "$(ls -A "$W/out")" = root_hash.txt ]
}

# Issue 17: -o "" left .verity and replaced root_hash.txt; -o NAME/ rewrote
# root_hash.txt; -o DIR/root_hash.txt replaced Kata's root-hash file with the
# image. Each is refused before anything is written, the files beside it as
# they were.
@test "rootfs: an empty output name, one ending in '/', or root_hash.txt itself: refused, nothing changed" {
    mkdir -p "$W/in" && echo x > "$W/in/f"
    echo "earlier root hash" > "$W/out/root_hash.txt"
    touch -d @1000000000 "$W/out/root_hash.txt"
    (cd "$W/out" && sha256sum root_hash.txt && stat -c %Y root_hash.txt) > "$W/before"
    cd "$W/out"
    run "$GUESTIMG" rootfs -q -o "" "$W/in"
    assert_error 1 "^guestimg: -o '': the image needs a file name$"
    run "$GUESTIMG" rootfs -q --layout kata -o NAME/ "$W/in"
    assert_error 1 "^guestimg: NAME/: a directory, not a file name for the image$"
    run "$GUESTIMG" rootfs -q --layout kata -o "$W/out/." "$W/in"
    assert_error 1 "^guestimg: .*/out/\.: a directory, not a file name for the image$"
    run "$GUESTIMG" rootfs -q --layout kata -o "$W/out/root_hash.txt" "$W/in"
    assert_error 1 "^guestimg: .*/out/root_hash.txt: the image would replace the root_hash.txt written beside it$"
    run "$GUESTIMG" rootfs -q -o root_hash.txt "$W/in"
    assert_error 1 "^guestimg: root_hash.txt: the image would replace the root_hash.txt written beside it$"
    (sha256sum root_hash.txt && stat -c %Y root_hash.txt) | diff - "$W/before"
    [ "$(ls -A "$W/out")" = root_hash.txt ]
    [ ! -e "$W/out/NAME" ]
    # without a hash tree there is no root_hash.txt to collide with
    mkdir "$W/nv"
    run "$GUESTIMG" rootfs -q --no-verity -o "$W/nv/root_hash.txt" "$W/in"
    [ "$status" -eq 0 ]
    e2fsck -fn "$W/nv/root_hash.txt" >/dev/null
}

# Issue 17: sizes ext4 cannot hold, holes, and archives that expand past --size.
# `timeout` only turns a hang (hashing every hole byte of 1 TiB took hours)
# into a failure; no test asserts a duration.

# size_only_tar OUT NAME SIZE: a tar whose one member declares SIZE bytes and holds none
size_only_tar() {
    $PY - "$@" <<'PY2'
import sys, tarfile
with open(sys.argv[1], "wb") as f:
    i = tarfile.TarInfo(sys.argv[2]); i.size = int(sys.argv[3])
    f.write(i.tobuf(tarfile.PAX_FORMAT))
PY2
}

@test "rootfs: a file past ext4's largest is an error naming it, before any data; the largest builds, e2fsck clean" {
    local max=17592186040320   # (2^32 - 1) blocks of 4 KiB: the kernel's s_maxbytes
    size_only_tar "$W/huge.tar" huge $((max + 1))
    run timeout 60 "$GUESTIMG" rootfs -q -o "$W/out/big.img" "$W/huge.tar"
    assert_error 1 "^guestimg: $W/huge.tar: huge: 17592186040321 bytes, past ext4's largest file \(17592186040320 bytes with 4 KiB blocks\)$"
    [ -z "$(ls -A "$W/out")" ]
    # a host file: ext4 holds no 16 TiB file, a tmpfs does
    if N=$(mktemp -d /dev/shm/guestimg-rootfs-test.XXXXXX 2>/dev/null); then
        mkdir "$N/in"
        if truncate -s 16T "$N/in/huge" 2>/dev/null; then
            run timeout 60 "$GUESTIMG" rootfs -q -o "$W/out/big.img" "$N/in"
            rm -rf "$N"
            assert_error 1 "^guestimg: $N/in/huge: /huge: 17592186044416 bytes, past ext4's largest file \(17592186040320 bytes with 4 KiB blocks\)$"
            [ -z "$(ls -A "$W/out")" ]
        fi
        rm -rf "$N"
    fi
    # the largest: holes all the way but for its last 3 bytes
    mkdir "$W/in"
    truncate -s $max "$W/in/max"
    printf 'end' | dd of="$W/in/max" bs=1 seek=$((max - 3)) conv=notrunc status=none
    run timeout 60 "$GUESTIMG" rootfs -q -o "$W/out/max.img" "$W/in"
    [ "$status" -eq 0 ]
    e2fsck -fn "$W/out/max.img" >/dev/null
    [[ $(debugfs -R "stat /max" "$W/out/max.img" 2>/dev/null) == *"Size: $max"* ]]
    blk=$(debugfs -R "bmap /max $((max / 4096 - 1))" "$W/out/max.img" 2>/dev/null)
    [ "$(dd if="$W/out/max.img" bs=4096 skip="$blk" count=1 status=none | tail -c 3)" = end ]
}

@test "rootfs: a GNU sparse tar member of 1 TiB and a 1 TiB sparse host file: holes skipped, e2fsck clean, one seed" {
    local tib=1099511627776 at=$((512 * 1024 * 1024 * 1024))
    mkdir "$W/in"
    truncate -s $tib "$W/in/big"
    printf 'hello' | dd of="$W/in/big" bs=1 seek=$at conv=notrunc status=none
    tar --sparse --sparse-version=1.0 --format=pax -cf "$W/sparse.tar" -C "$W/in" big
    [ "$(stat -c %s "$W/sparse.tar")" -lt 65536 ]
    # no --seed: the seed comes from the tree's digest, which reads the whole file
    for input in "$W/sparse.tar" "$W/in"; do
        run timeout 60 "$GUESTIMG" rootfs -q --json -o "$W/out/s-$(basename "$input").img" "$input"
        [ "$status" -eq 0 ]
        img=$W/out/s-$(basename "$input").img
        echo "$output" > "$img.json"
        e2fsck -fn "$img" >/dev/null
        [[ $(debugfs -R "stat /big" "$img" 2>/dev/null) == *"Size: $tib"* ]]
        blk=$(debugfs -R "bmap /big $((at / 4096))" "$img" 2>/dev/null)
        [ "$(dd if="$img" bs=4096 skip="$blk" count=1 status=none | head -c 5)" = hello ]
        [ "$(stat -c %s "$img")" -le $((4 * 1024 * 1024)) ]
    done
    # the same content from the archive and from the directory: the same seed
    [ "$(json_field "$W/out/s-sparse.tar.img.json" seed)" = "$(json_field "$W/out/s-in.img.json" seed)" ]
}

@test "rootfs: a zstd archive expanding past a fixed --size stops there, without spooling the rest" {
    command -v zstd >/dev/null || skip "zstd not installed"
    # 256 MiB of "y\n" in a tar made by Python's tarfile, streamed: a few KiB compressed
    $PY - "$W/yes.tar" <<'PY2'
import io, sys, tarfile
size = 256 << 20
class Yes(io.RawIOBase):
    left = size
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left) & ~1
        b[:n] = b"y\n" * (n // 2)
        self.left -= n
        return n
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("yes"); i.size = size
    t.addfile(i, io.BufferedReader(Yes()))
PY2
    zstd -q -19 --rm "$W/yes.tar" -o "$W/yes.tar.zst"
    [ "$(stat -c %s "$W/yes.tar.zst")" -lt 1048576 ]
    # a file size limit of 32 MiB: spooling the 256 MiB would fail on it instead
    run bash -c 'ulimit -f 32768 && exec "$0" rootfs -q -o "$1" --size 8M "$2"' "$GUESTIMG" "$W/out/y.img" "$W/yes.tar.zst"
    assert_error 1 "^guestimg: $W/yes.tar.zst: yes: the tree does not fit in 8388608 bytes \(--size\): its data passes that already$"
    [ -z "$(ls -A "$W/out")" ]
    # 256 MiB of zeros fit in 8 MiB (holes; the spool keeps them as holes too: test_tree)
    head -c 256M /dev/zero | $PY -c '
import sys, tarfile
with tarfile.open(sys.argv[1], "w|", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("zero"); i.size = 256 << 20
    t.addfile(i, sys.stdin.buffer)' /dev/stdout | zstd -q -19 -o "$W/zero.tar.zst"
    run "$GUESTIMG" rootfs -q -o "$W/out/z.img" --size 8M "$W/zero.tar.zst"
    [ "$status" -eq 0 ]
    e2fsck -fn "$W/out/z.img" >/dev/null
    [[ $(debugfs -R "stat /zero" "$W/out/z.img" 2>/dev/null) == *"Size: 268435456"* ]]
}

# acl_tar OUT HEX: a pax tar holding f with HEX as its system.posix_acl_access
acl_tar() {
    $PY - "$@" <<'PY2'
import io, sys, tarfile
acl = bytes.fromhex(sys.argv[2])
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT, errors="surrogateescape") as t:
    i = tarfile.TarInfo("f"); i.size = 3
    i.pax_headers = {"SCHILY.xattr.system.posix_acl_access": acl.decode("utf-8", "surrogateescape")}
    t.addfile(i, io.BytesIO(b"abc"))
PY2
}

@test "rootfs: a POSIX ACL that is not one is an error naming the archive and entry; a real one lands, e2fsck clean" {
    for hex in 67617262616765 02000000 0200000001000600; do   # "garbage", a header alone, a short entry
        acl_tar "$W/acl.tar" $hex
        run "$GUESTIMG" rootfs -q -o "$W/out/a.img" "$W/acl.tar"
        assert_error 1 "^guestimg: $W/acl.tar: f: system.posix_acl_access: not a POSIX ACL \(a version 2 header, then one or more 8-byte entries\)$"
        [ -z "$(ls -A "$W/out")" ]
    done
    # user::rw- user:1000:r-- group::r-- mask::r-- other::r--, as setfacl gives it
    acl_tar "$W/acl.tar" 0200000001000600ffffffff02000400e803000004000400ffffffff10000400ffffffff20000400ffffffff
    "$GUESTIMG" rootfs -q -o "$W/out/a.img" "$W/acl.tar" >/dev/null
    e2fsck -fn "$W/out/a.img" >/dev/null
    # debugfs shows ext4's own format: version 1, short entries but for user:1000
    [[ $(debugfs -R "ea_list /f" "$W/out/a.img" 2>/dev/null) == *"system.posix_acl_access (28) = 01 00 00 00 01 00 06 00 02 00 04 00 e8 03 00 00 04 00 04 00 10 00 04 00 20 00 04 00"* ]]
}

@test "rootfs: 65,001 hard links to one file is an error naming the input; 65,000 build, e2fsck clean" {
    for n in 65001 65000; do
        $PY - "$W/links.tar" $n <<'PY2'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    i = tarfile.TarInfo("f"); i.size = 3
    t.addfile(i, io.BytesIO(b"abc"))
    for n in range(int(sys.argv[2]) - 1):
        l = tarfile.TarInfo("l%05d" % n); l.type = tarfile.LNKTYPE; l.linkname = "f"
        t.addfile(l)
PY2
        run "$GUESTIMG" rootfs -q -o "$W/out/l.img" "$W/links.tar"
        if [ $n = 65001 ]; then
            # the 65,001st name in the image's order
            assert_error 1 "^guestimg: $W/links.tar: /l64999: one file with more than 65000 names \(hard links\), ext4's limit$"
            [ -z "$(ls -A "$W/out")" ]
        else
            [ "$status" -eq 0 ]
            e2fsck -fn "$W/out/l.img" >/dev/null
            [[ $(debugfs -R "stat /f" "$W/out/l.img" 2>/dev/null) == *"Links: 65000"* ]]
        fi
    done
}
