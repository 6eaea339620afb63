#!/usr/bin/env bats
# guestimg build / verify / reproduce on the demo release (manifests/demo.yaml:
# Debian's busybox-static .deb, the demo init, the demo kernel from the
# shared cache, measurements for Debian's OVMF.fd), checked with OpenSSL,
# the official JSON schemas, and a second build under another directory,
# umask, TZ, locale and clock. Bad inputs and faults: one error, nothing
# half-published.
load lib/common
load lib/guest

OVMF=/usr/share/ovmf/OVMF.fd

# The demo manifest's inputs, or skip saying which is missing.
require_demo_inputs() {
    [ -s "$ROOT/output/debs/busybox-static.deb" ] ||
        skip "output/debs/busybox-static.deb is absent (make deps runs tools/fetch-debs.sh)"
    [ -f "$OVMF" ] || skip "$OVMF is absent (package ovmf)"
    want=$(sed -n 's/.*sha256: \([0-9a-f]\{64\}\)}.*/\1/p' "$ROOT/manifests/demo.yaml")
    [ "$(sha256sum <"$OVMF" | cut -d' ' -f1)" = "$want" ] ||
        skip "$OVMF is not the build manifests/demo.yaml pins (sha256 $want)"
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
}

# faketime preloads a library: under ASan, tell ASan that is fine.
faketime_run() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"
}

setup_file() {
    require_demo_inputs
    export WS=$BATS_FILE_TMPDIR/ws KEYS=$BATS_FILE_TMPDIR/keys A=$BATS_FILE_TMPDIR/a
    workspace "$WS"
    mkdir -p "$KEYS"
    ed25519_key "$KEYS/ed"
    # the kernel first: minutes on the first run, then cached for everyone
    demo_kernel "$BATS_FILE_TMPDIR/kernel"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$A" --sign-key "$KEYS/ed.pem" >"$BATS_FILE_TMPDIR/a.out" 2>&1
}

setup() {
    require_demo_inputs
    T=$BATS_TEST_TMPDIR
}

# nothing_published PARENT NAME: no PARENT/NAME and no temporary directory beside it.
nothing_published() {
    [ ! -e "$1/$2" ] || { echo "$1/$2 exists" >&2; return 1; }
    local left
    left=$(find "$1" -maxdepth 1 -name ".$2.tmp-*")
    [ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

@test "build: the demo release holds every artifact and verify passes with the key" {
    run ls "$A"
    assert_equal "$(echo $output)" "OVMF.fd cmdline.txt files.tsv kata-containers.img kernel.config lock.json measurement-snp-QEMU-EPYC-v4-1.json measurement-snp-QEMU-EPYC-v4-2.json release.json release.json.sig root_hash.txt sbom.cdx.json sbom.spdx.json trustee-reference-values.json vmlinuz"
    # the summary and the warning about what the firmware does not measure
    grep -qx "release: $A/release.json" "$BATS_FILE_TMPDIR/a.out"
    grep -qx "guestimg: warning: OVMF.fd has no kernel-hashes section: 2 of 2 measurements cover the firmware only, not the kernel, initrd or command line (kernel_hashes: false)" "$BATS_FILE_TMPDIR/a.out"
    [ "$(jq -r '[.measurements[].kernel_hashes] | unique | .[]' "$A/release.json")" = false ]
    run "$GUESTIMG" verify "$A/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ok signature $A/release.json.sig (key $KEYS/ed.pub)" ]
    [ "${lines[-1]}" = "$A/release.json: all 27 checks passed" ]
    ! grep -q MISMATCH <<<"$output" || false
}

@test "build: what release.json says agrees with independent tools (sha256sum, veritysetup, sev-snp-measure's digest via guestimg measure)" {
    for f in kata-containers.img vmlinuz OVMF.fd files.tsv; do
        assert_equal "$(jq -r ".artifacts[] | select(.name == \"$f\") | .sha256" "$A/release.json")" \
                     "$(sha256sum <"$A/$f" | cut -d' ' -f1)"
    done
    # the dm-verity root hash, from the image's partitions by veritysetup
    while read -r name start size; do
        dd if="$A/kata-containers.img" of="$T/$name" bs=512 skip="$start" count="$size" status=none
    done < <(sfdisk -J "$A/kata-containers.img" | jq -r '.partitiontable.partitions[] | "p\(.node[-1:]) \(.start) \(.size)"')
    veritysetup verify --no-superblock --data-blocks "$(jq -r .verity.data_blocks "$A/release.json")" \
        --salt "$(jq -r .verity.salt "$A/release.json")" "$T/p1" "$T/p2" "$(jq -r .verity.root_hash "$A/release.json")"
    assert_equal "$(cat "$A/cmdline.txt")" "$(jq -r .cmdline "$A/release.json")"
    assert_equal "$(jq -r '.["x-ms-sevsnpvm-launchmeasurement"]' "$A/measurement-snp-QEMU-EPYC-v4-2.json")" \
                 "$("$GUESTIMG" measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --ovmf "$OVMF")"
    e2fsck -fn "$T/p1" >/dev/null
}

@test "build: byte-identical from another output path, working directory, umask, TZ, LC_ALL and clock" {
    mkdir -p "$T/elsewhere/cwd"
    manifest=$(realpath --relative-to="$T/elsewhere/cwd" "$WS/manifests/demo.yaml")
    (cd "$T/elsewhere/cwd" && umask 077 && TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 SOURCE_DATE_EPOCH=1234567890 \
        faketime_run '2031-07-01 12:00:00' "$GUESTIMG" build -q "$manifest" -o ../out \
        --sign-key "$KEYS/ed.pem" >/dev/null 2>&1)
    assert_equal "$(ls "$T/elsewhere/out")" "$(ls "$A")"
    for f in "$A"/*; do
        cmp "$f" "$T/elsewhere/out/$(basename "$f")"
    done
    # and the same again from the lock alone (--locked)
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/locked" --locked --sign-key "$KEYS/ed.pem" >/dev/null 2>&1
    diff -r "$A" "$T/locked"
}

@test "build: the signature verifies with the exact openssl command in README" {
    cmd=$(grep -E '^openssl pkeyutl -verify ' "$ROOT/README.md" | sed 's/ *#.*//')
    [ -n "$cmd" ]
    cp "$A/release.json" "$A/release.json.sig" "$T/"
    cp "$KEYS/ed.pub" "$T/pub.pem"
    (cd "$T" && eval "$cmd")
    # and a changed release.json does not verify
    sed -i 's/"svn":0/"svn":1/' "$T/release.json"
    ! (cd "$T" && eval "$cmd") 2>/dev/null || false
}

@test "build: both SBOMs validate against the official schemas and list the package, image and kernel" {
    require_reference
    /usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema not installed"
    /usr/bin/python3 "$ROOT/tests/lib/validate_json_schema.py" "$REF/schemas/spdx-2.3.schema.json" "$A/sbom.spdx.json"
    /usr/bin/python3 "$ROOT/tests/lib/validate_json_schema.py" "$REF/schemas/cyclonedx-bom-1.5.schema.json" "$A/sbom.cdx.json"
    deb_sha=$(sha256sum <"$ROOT/output/debs/busybox-static.deb" | cut -d' ' -f1)
    version=$(dpkg-deb -f "$ROOT/output/debs/busybox-static.deb" Version)
    assert_equal "$(jq -r '.packages[] | select(.name == "busybox-static") | .checksums[0].checksumValue' "$A/sbom.spdx.json")" "$deb_sha"
    assert_equal "$(jq -r '.components[] | select(.name == "busybox-static") | .version' "$A/sbom.cdx.json")" "$version"
    [[ $(jq -r '.components[] | select(.name == "busybox-static") | .purl' "$A/sbom.cdx.json") == pkg:deb/debian/busybox-static@* ]]
    img=$(sha256sum <"$A/kata-containers.img" | cut -d' ' -f1)
    assert_equal "$(jq -r '.packages[] | select(.SPDXID == "SPDXRef-Image") | .checksums[0].checksumValue' "$A/sbom.spdx.json")" "$img"
    assert_equal "$(jq -r '.metadata.component.hashes[0].content' "$A/sbom.cdx.json")" "$img"
}

# flip FILE OFFSET: change one byte.
flip() {
    local byte
    byte=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 0x01)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

@test "verify: one changed byte of the image, the kernel or release.json fails naming what changed" {
    cp -r "$A" "$T/r"
    # a byte of /sbin/init's data in the filesystem (partition 1 at 1 MiB)
    block=$(debugfs -R "bmap /sbin/init 0" "$T/r/kata-containers.img?offset=1048576" 2>/dev/null)
    flip "$T/r/kata-containers.img" $((1048576 + block * 4096 + 10))
    run "$GUESTIMG" verify "$T/r/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH artifact kata-containers.img sha256: expected "* ]]
    [[ $output == *"MISMATCH verity root hash of kata-containers.img: expected "* ]]
    [[ $output == *"MISMATCH verity hash tree in kata-containers.img: expected the tree its data gives actual a different tree"* ]]
    [ "${lines[-1]}" = "$T/r/release.json: 4 of 27 checks failed" ]

    cp "$A/kata-containers.img" "$T/r/"
    flip "$T/r/vmlinuz" 70000
    run "$GUESTIMG" verify "$T/r/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH artifact vmlinuz sha256: expected "* ]]
    # the firmware measures no kernel: the measurements still hold (kernel_hashes false)
    [[ $output == *"ok measurement snp QEMU EPYC-v4 1 vCPU"* ]]
    [ "${lines[-1]}" = "$T/r/release.json: 1 of 27 checks failed" ]

    cp "$A/vmlinuz" "$T/r/"
    sed -i 's/"svn":0/"svn":1/' "$T/r/release.json"
    run "$GUESTIMG" verify "$T/r/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "MISMATCH signature $T/r/release.json.sig (key $KEYS/ed.pub): expected a signature by this key actual a signature that does not verify" ]
    [[ $output == *"MISMATCH measurement-snp-QEMU-EPYC-v4-1.json matches release.json"* ]]
}

@test "verify: a wrong public key fails the signature" {
    ed25519_key "$T/other"
    run "$GUESTIMG" verify "$A/release.json" --pubkey "$T/other.pub"
    [ "$status" -eq 1 ]
    [ "${lines[0]}" = "MISMATCH signature $A/release.json.sig (key $T/other.pub): expected a signature by this key actual a signature that does not verify" ]
    [ "${lines[-1]}" = "$A/release.json: 1 of 27 checks failed" ]
}

@test "build: an ECDSA P-384 signature verifies with openssl dgst; release.json is the same bytes" {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.pem" 2>/dev/null
    openssl pkey -in "$T/p384.pem" -pubout -out "$T/p384.pub"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/ec" --locked --sign-key "$T/p384.pem" >/dev/null 2>&1
    openssl dgst -sha384 -verify "$T/p384.pub" -signature "$T/ec/release.json.sig" "$T/ec/release.json"
    cmp "$A/release.json" "$T/ec/release.json"
    run "$GUESTIMG" verify "$T/ec/release.json" --pubkey "$T/p384.pub"
    [ "$status" -eq 0 ]
}

@test "build: a second build replaces the release in DIR whole; a failed one leaves it as it was" {
    cp -r "$A" "$T/r"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/r" --locked >/dev/null 2>&1
    [ ! -e "$T/r/release.json.sig" ]
    cmp "$A/release.json" "$T/r/release.json"
    before=$(cd "$T/r" && sha256sum *)
    # fails at the kernel step, after the image is written
    sed 's|^kernel: .*|kernel: {from: file, path: ../tools/demo-guest/init}|' "$WS/manifests/demo.yaml" >"$WS/manifests/bad.yaml"
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/bad.lock.json"
    run "$GUESTIMG" build -q "$WS/manifests/bad.yaml" -o "$T/r" --locked
    assert_error 1 "^guestimg: .*/tools/demo-guest/init: not an x86 kernel image"
    assert_equal "$(cd "$T/r" && sha256sum *)" "$before"
    [ -z "$(find "$T" -maxdepth 1 -name '.r.tmp-*')" ]
    # a directory that is not a release is not replaced
    mkdir "$T/home" && touch "$T/home/precious"
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/home" --locked
    assert_error 1 "^guestimg: $T/home: exists and is not a release directory \(no release.json\); remove it or choose another$"
    [ -e "$T/home/precious" ]
}

@test "reproduce: a rebuild from the manifest and the release's lock is equal" {
    mkdir "$T/scratch"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T/scratch"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$A/release.json: reproduced: every artifact rebuilt to the same bytes" ]
    [ "$(grep -c '^same ' <<<"$output")" -eq 13 ]
    [[ $output == *"same kata-containers.img"* ]]
    [[ $output == *"same vmlinuz"* ]]
    ! grep -q DIFFERS <<<"$output" || false
    # the scratch directory is gone
    [ -z "$(ls -A "$T/scratch")" ]
}

@test "reproduce: a changed overlay file is named, with the artifacts it changed" {
    cp -r "$WS" "$T/ws2"
    ln -sfn "$ROOT/output" "$T/ws2/output"
    echo '# one more line' >>"$T/ws2/tools/demo-guest/init"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$T/ws2/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 1 ]
    old=$(sha256sum <"$WS/tools/demo-guest/init" | cut -d' ' -f1)
    new=$(sha256sum <"$T/ws2/tools/demo-guest/init" | cut -d' ' -f1)
    [[ $output == *"DIFFERS kata-containers.img: published $(jq -r '.artifacts[] | select(.name == "kata-containers.img") | .sha256' "$A/release.json") rebuilt "* ]]
    [[ $output == *"same vmlinuz"* ]]
    [[ $output == *"same lock.json"* ]]
    grep -qx "  changed content /sbin/init: file 800 bytes $old -> file 816 bytes $new" <<<"$output"
    [ "$(grep -c '^  ' <<<"$output")" -eq 1 ]
    [ "${lines[-1]}" = "$A/release.json: not reproduced: 6 artifacts differ" ]
    [ -z "$(find "$T" -maxdepth 1 -name 'guestimg-reproduce-*')" ]
}

@test "reproduce: another manifest or lock is refused before building" {
    sed 's/^version: "1.0"$/version: "1.1"/' "$WS/manifests/demo.yaml" >"$T/other.yaml"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$T/other.yaml"
    assert_error 1 "^guestimg: $T/other.yaml: sha256 [0-9a-f]{64}, but $A/release.json was built from a manifest with sha256 $(jq -r .manifest_sha256 "$A/release.json")$"
    { cat "$A/lock.json"; echo; } >"$T/lock.json"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --lock "$T/lock.json"
    assert_error 1 "^guestimg: $T/lock.json: sha256 [0-9a-f]{64}, but $A/release.json was built from a lock file with sha256 $(jq -r .lock_sha256 "$A/release.json")$"
    run "$GUESTIMG" reproduce "$A/release.json"
    assert_error 2 "^guestimg reproduce: --manifest is required"
}

# ------------------------------------------------------------------ faults ---

@test "build: missing manifest keys are one error naming the key; nothing published" {
    grep -v '^kernel:' "$WS/manifests/demo.yaml" >"$WS/manifests/nokernel.yaml"
    run "$GUESTIMG" build -q "$WS/manifests/nokernel.yaml" -o "$T/out"
    assert_error 1 "^guestimg: $WS/manifests/nokernel.yaml: missing key 'kernel': a release needs a kernel \(docs/manifest.md\)$"
    nothing_published "$T" out
    grep -v '^  vcpus:' "$WS/manifests/demo.yaml" >"$WS/manifests/novcpus.yaml"
    run "$GUESTIMG" build -q "$WS/manifests/novcpus.yaml" -o "$T/out"
    assert_error 1 "^guestimg: $WS/manifests/novcpus.yaml: missing key 'measure.vcpus': required with a firmware$"
    grep -v '^seed:' "$WS/manifests/demo.yaml" >"$WS/manifests/noseed.yaml"
    run "$GUESTIMG" build -q "$WS/manifests/noseed.yaml" -o "$T/out"
    assert_error 1 "^guestimg: $WS/manifests/noseed.yaml:[0-9]+: missing required key 'seed'$"
    nothing_published "$T" out
}

@test "build: a kernel source or profile that is not there is refused before building" {
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --kernel-source "$T/linux.tar.xz"
    assert_error 1 "^guestimg: kernel source $T/linux.tar.xz \(kernel.profile demo\): No such file or directory$"
    mkdir -p "$T/configs/profiles"
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --configs "$T/configs"
    assert_error 1 "^guestimg: $WS/manifests/demo.yaml: kernel.profile 'demo': no such profile \($T/configs/profiles/demo.list\)$"
    nothing_published "$T" out
}

@test "build: a firmware that is not the one the manifest pins is refused before building" {
    sed "s|sha256: [0-9a-f]\{64\}}|sha256: $(printf '0%.0s' {1..64})}|" "$WS/manifests/demo.yaml" >"$WS/manifests/fw.yaml"
    run "$GUESTIMG" build -q "$WS/manifests/fw.yaml" -o "$T/out"
    assert_error 1 "^guestimg: $OVMF: sha256 [0-9a-f]{64}, but $WS/manifests/fw.yaml's measure.firmware.sha256 is 0{64}$"
    nothing_published "$T" out
}

@test "build: an unreadable, unusable or unsupported signing key is refused before building" {
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$T/none.pem"
    assert_error 1 "^guestimg: $T/none.pem: cannot open: No such file or directory$"
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$T"
    assert_error 1 "^guestimg: $T: "
    echo 'not a key' >"$T/junk.pem"
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$T/junk.pem"
    assert_error 1 "^guestimg: $T/junk.pem: "
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$T/rsa.pem"
    assert_error 1 "^guestimg: $T/rsa.pem: unsupported key type RSA 2048-bit \(use ECDSA P-384 or Ed25519\)$"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/p256.pem" 2>/dev/null
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$T/p256.pem"
    assert_error 1 "^guestimg: $T/p256.pem: unsupported key type EC prime256v1 \(use ECDSA P-384 or Ed25519\)$"
    # the public key instead of the private one
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --sign-key "$KEYS/ed.pub"
    assert_error 1 "^guestimg: $KEYS/ed.pub: "
    nothing_published "$T" out
}

@test "build: a disk that fills up mid-build is one error; nothing published, no temporary directory" {
    [ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
    mkdir "$T/small"
    # 3 MiB: the ext4 writer runs out; 4 MiB: a later artifact does
    for size in 3m 4m; do
        mount -t tmpfs -o size=$size tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs here"
        run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/small/out" --locked
        left=$(ls -A "$T/small")
        used=$(df --output=used -k "$T/small" | tail -1 | tr -d ' ')
        umount "$T/small"
        assert_error 1 "^guestimg: $T/small/\.out\.tmp-[^/]+/[^/]+: .*(No space left on device|short write)$"
        [ -z "$left" ]
        [ "$used" -eq 0 ]
    done
}

# interrupted SIGNAL STATUS: a build whose kernel is a FIFO nobody writes
# blocks after the image is written; SIGNAL then ends it.
interrupted() {
    local sig=$1 want=$2
    mkfifo "$T/kernel.fifo"
    sed "s|^kernel: .*|kernel: {from: file, path: $T/kernel.fifo}|" "$WS/manifests/demo.yaml" >"$WS/manifests/fifo-$sig.yaml"
    "$GUESTIMG" build -q "$WS/manifests/fifo-$sig.yaml" -o "$T/out" --locked --sign-key "$KEYS/ed.pem" \
        >"$T/stdout" 2>"$T/stderr" &
    pid=$!
    for _ in $(seq 200); do
        ls "$T"/.out.tmp-*/kata-containers.img >/dev/null 2>&1 && break
        sleep 0.05
    done
    # mid-build: the image, files.tsv and lock.json are in the temporary directory
    ls "$T"/.out.tmp-*/files.tsv "$T"/.out.tmp-*/lock.json >/dev/null
    kill -"$sig" "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq "$want" ]
    [ ! -s "$T/stdout" ]
    assert_equal "$(cat "$T/stderr")" "guestimg: interrupted by SIG$sig: nothing was published, $T/out is as it was"
    nothing_published "$T" out
}

@test "build: SIGINT mid-build removes the temporary directory; nothing published" {
    # --locked needs the workspace's lock, written by the first build
    [ -f "$WS/manifests/demo.lock.json" ]
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/fifo-INT.lock.json"
    interrupted INT 130
}

@test "build: SIGTERM mid-build removes the temporary directory; nothing published" {
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/fifo-TERM.lock.json"
    interrupted TERM 143
}

@test "build and reproduce: usage errors" {
    run "$GUESTIMG" build
    assert_error 2 "^guestimg build: expected one MANIFEST"
    run "$GUESTIMG" build "$WS/manifests/demo.yaml"
    assert_error 2 "^guestimg build: -o DIR is required"
    run "$GUESTIMG" build "$WS/manifests/demo.yaml" -o "$T/x" --frob
    assert_error 2 "^guestimg build: unknown option or missing argument: --frob"
    run "$GUESTIMG" build "$WS/manifests/demo.yaml" -o "$T/x" --jobs 0
    assert_error 2 "^guestimg build: --jobs '0' is not a number from 1 to 256"
    run "$GUESTIMG" build "$WS/manifests/demo.yaml" -o "$T/x" --image-name ../x.img
    assert_error 1 "^guestimg: image name '../x.img': not a plain file name of its own"
    run "$GUESTIMG" build "$WS/manifests/demo.yaml" -o "$T/x" --image-name files.tsv
    assert_error 1 "^guestimg: image name 'files.tsv': not a plain file name of its own"
    run "$GUESTIMG" reproduce
    assert_error 2 "^guestimg reproduce: expected one RELEASE.json"
    run "$GUESTIMG" reproduce "$T/none.json" --manifest "$WS/manifests/demo.yaml"
    assert_error 1 "^guestimg: $T/none.json: cannot open: No such file or directory$"
    nothing_published "$T" x
}
