#!/usr/bin/env bats
# guestimg verify from the command line, on a release made here
# (lib/release_dir.bash): the image by guestimg rootfs (kata layout),
# release.json by Python (hashlib computes the digests independently of
# guestimg).
load lib/common
load lib/release_dir

setup() {
    command -v openssl >/dev/null || skip "openssl not installed"
    D=$BATS_TEST_TMPDIR/rel
    make_release_dir "$D" "$BATS_TEST_TMPDIR"
    openssl genpkey -algorithm ED25519 -out "$BATS_TEST_TMPDIR/key.pem" 2>/dev/null
    openssl pkey -in "$BATS_TEST_TMPDIR/key.pem" -pubout -out "$BATS_TEST_TMPDIR/pub.pem"
    openssl pkeyutl -sign -inkey "$BATS_TEST_TMPDIR/key.pem" -rawin -in "$D/release.json" -out "$D/release.json.sig"
}

@test "verify: a good release passes, one line per check" {
    run "$GUESTIMG" verify "$D/release.json" --pubkey "$BATS_TEST_TMPDIR/pub.pem"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ok signature $D/release.json.sig (key $BATS_TEST_TMPDIR/pub.pem)" ]
    [ "${lines[1]}" = "ok artifact cmdline.txt sha256" ]
    [ "${lines[2]}" = "ok artifact disk.img sha256" ]
    [ "${lines[3]}" = "ok artifact vmlinuz sha256" ]
    [ "${lines[4]}" = "ok cmdline.txt matches release.json" ]
    [ "${lines[5]}" = "ok kernel provenance: file bzImage" ]
    [ "${lines[6]}" = "ok verity root hash of disk.img" ]
    [ "${lines[7]}" = "ok verity hash tree in disk.img" ]
    [ "${lines[8]}" = "ok cmdline carries the dm-verity table" ]
    [ "${lines[9]}" = "$D/release.json: all 9 checks passed" ]
    [ "${#lines[@]}" -eq 10 ]
}

@test "verify: a changed byte is a MISMATCH naming the file, expected and actual" {
    want=$(sha256sum "$D/disk.img" | cut -d' ' -f1)
    root=$(jq -r .verity.root_hash "$BATS_TEST_TMPDIR/rootfs.json" 2>/dev/null ||
           /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verity"]["root_hash"])' "$BATS_TEST_TMPDIR/rootfs.json")
    # one byte of the filesystem (partition 1 starts at 1 MiB)
    printf 'X' | dd of="$D/disk.img" bs=1 seek=$((1048576 + 1024 + 100)) conv=notrunc 2>/dev/null
    got=$(sha256sum "$D/disk.img" | cut -d' ' -f1)
    run "$GUESTIMG" verify "$D/release.json" --pubkey "$BATS_TEST_TMPDIR/pub.pem"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH artifact disk.img sha256: expected $want actual $got"* ]]
    [[ $output == *"MISMATCH verity root hash of disk.img: expected $root actual "* ]]
    [[ $output == *"MISMATCH verity hash tree in disk.img: expected the tree its data gives actual a different tree"* ]]
    [[ $output == *"MISMATCH cmdline carries the dm-verity table: expected dm-verity,,,ro,0 4096 verity 1 /dev/vda1 /dev/vda2 "* ]]
    [ "${lines[-1]}" = "$D/release.json: 4 of 9 checks failed" ]
}

@test "verify: a changed byte of the stored hash tree is found" {
    # partition 2 (the hash tree) starts at the MiB boundary after p1
    p2=$(sfdisk -d "$D/disk.img" 2>/dev/null | sed -n 's/.*img2 : start= *\([0-9]*\),.*/\1/p')
    [ -n "$p2" ] || skip "sfdisk not installed"
    printf 'X' | dd of="$D/disk.img" bs=1 seek=$((p2 * 512 + 5)) conv=notrunc 2>/dev/null
    run "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"ok verity root hash of disk.img"* ]]
    [[ $output == *"MISMATCH verity hash tree in disk.img: expected the tree its data gives actual a different tree"* ]]
}

@test "verify: artifacts from another directory with --artifacts" {
    mkdir "$BATS_TEST_TMPDIR/elsewhere"
    mv "$D/release.json" "$D/release.json.sig" "$BATS_TEST_TMPDIR/elsewhere/"
    run "$GUESTIMG" verify "$BATS_TEST_TMPDIR/elsewhere/release.json" --artifacts "$D"
    [ "$status" -eq 0 ]
    [[ $output == *"guestimg: warning: no --pubkey: the signature of $BATS_TEST_TMPDIR/elsewhere/release.json was not checked"* ]]
}

@test "verify: a wrong public key fails the signature check" {
    openssl genpkey -algorithm ED25519 -out "$BATS_TEST_TMPDIR/k2.pem" 2>/dev/null
    openssl pkey -in "$BATS_TEST_TMPDIR/k2.pem" -pubout -out "$BATS_TEST_TMPDIR/p2.pem"
    run "$GUESTIMG" verify "$D/release.json" --pubkey "$BATS_TEST_TMPDIR/p2.pem"
    [ "$status" -eq 1 ]
    [[ ${lines[0]} == "MISMATCH signature $D/release.json.sig (key $BATS_TEST_TMPDIR/p2.pem): expected a signature by this key actual a signature that does not verify" ]]
}

@test "verify: an unusable key is one error, not a list" {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$BATS_TEST_TMPDIR/k.pem" 2>/dev/null
    openssl pkey -in "$BATS_TEST_TMPDIR/k.pem" -pubout -out "$BATS_TEST_TMPDIR/p256.pem"
    run "$GUESTIMG" verify "$D/release.json" --pubkey "$BATS_TEST_TMPDIR/p256.pem"
    assert_error 1 "^guestimg: .*/p256.pem: unsupported key type EC prime256v1 \(use ECDSA P-384 or Ed25519\)$"
}

@test "verify: a malformed release.json is one error naming the key" {
    sed -i 's/"svn":0/"svn":"0"/' "$D/release.json"
    run "$GUESTIMG" verify "$D/release.json"
    assert_error 1 "^guestimg: .*/release.json: svn must be an integer, not a string$"
    echo '{"schema":"guestimg-release/1"' > "$D/release.json"
    run "$GUESTIMG" verify "$D/release.json"
    assert_error 1 "^guestimg: .*/release.json:2: invalid JSON: '}' expected near end of file$"
    run "$GUESTIMG" verify "$D/none.json"
    assert_error 1 "^guestimg: .*/none.json: cannot open: No such file or directory$"
}

@test "verify: usage errors" {
    run "$GUESTIMG" verify
    assert_error 2 "^guestimg verify: expected one RELEASE.json"
    run "$GUESTIMG" verify a.json b.json
    assert_error 2 "^guestimg verify: expected one RELEASE.json"
    run "$GUESTIMG" verify --frob a.json
    assert_error 2 "^guestimg verify: unknown option or missing argument: --frob"
    run "$GUESTIMG" verify a.json --pubkey
    assert_error 2 "^guestimg verify: unknown option or missing argument: --pubkey"
    run "$GUESTIMG" verify --help
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "usage: guestimg verify RELEASE.json"* ]]
}

# The artifacts are untrusted files: a release directory whose vmlinuz is a
# symbolic link, a FIFO or a device, with release.json declaring what the
# link's target holds, so that only the file's kind can refuse it.
redeclare_vmlinuz() {
    /usr/bin/python3 - "$D/release.json" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for a in r["artifacts"]:
    if a["name"] == "vmlinuz":
        a["size"], a["sha256"] = int(sys.argv[2]), sys.argv[3]
open(sys.argv[1], "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
}

@test "verify: an artifact that is a symbolic link is refused, its target never read" {
    echo "secret $RANDOM" > "$BATS_TEST_TMPDIR/secret"
    secret_sha=$(sha256sum "$BATS_TEST_TMPDIR/secret" | cut -d' ' -f1)
    # the target's size, another digest: had it been read, its digest would be the "actual"
    redeclare_vmlinuz "$(stat -c %s "$BATS_TEST_TMPDIR/secret")" "$(printf '%064d' 0)"
    ln -sf "$BATS_TEST_TMPDIR/secret" "$D/vmlinuz"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz: expected .* actual $D/vmlinuz: is a symbolic link, not a regular file$" <<<"$output"
    [[ $output != *"$secret_sha"* ]]
    # /etc/shadow: refused the same way, its digest printed nowhere
    [ -r /etc/shadow ] || skip "/etc/shadow not readable here"
    shadow_sha=$(sha256sum /etc/shadow | cut -d' ' -f1)
    redeclare_vmlinuz "$(stat -c %s /etc/shadow)" "$(printf '%064d' 0)"
    ln -sf /etc/shadow "$D/vmlinuz"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz: .*$D/vmlinuz: is a symbolic link, not a regular file$" <<<"$output"
    [[ $output != *"$shadow_sha"* ]]
}

@test "verify: an artifact that is a FIFO is refused without blocking" {
    rm "$D/vmlinuz"
    mkfifo "$D/vmlinuz"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]   # not 124: timeout would have killed a read that blocks
    grep -q "^MISMATCH artifact vmlinuz: .*$D/vmlinuz: is a FIFO, not a regular file$" <<<"$output"
}

@test "verify: a symbolic link to /dev/zero declared 1 byte long is refused, not read forever" {
    redeclare_vmlinuz 1 "$(printf '\0' | sha256sum | cut -d' ' -f1)"
    ln -sf /dev/zero "$D/vmlinuz"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz: .*$D/vmlinuz: is a symbolic link, not a regular file$" <<<"$output"
    # the device itself in the directory: refused as what it is
    rm "$D/vmlinuz"
    mknod "$D/vmlinuz" c 1 5 2>/dev/null || skip "mknod not permitted"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz: .*$D/vmlinuz: is a character device, not a regular file$" <<<"$output"
}

@test "verify: a regular artifact longer than declared is read to its size + 1, a symlinked signature is refused" {
    head -c 1M /dev/zero >> "$D/vmlinuz"
    run timeout 10 "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 1 ]
    grep -qx "MISMATCH artifact vmlinuz size: expected 6 bytes actual 7 bytes" <<<"$output"
    mv "$D/release.json.sig" "$BATS_TEST_TMPDIR/sig"
    ln -s "$BATS_TEST_TMPDIR/sig" "$D/release.json.sig"
    run timeout 10 "$GUESTIMG" verify "$D/release.json" --pubkey "$BATS_TEST_TMPDIR/pub.pem"
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "MISMATCH signature $D/release.json.sig: expected a detached signature actual $D/release.json.sig: is a symbolic link, not a regular file" ]
}
