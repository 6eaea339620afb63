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

# faketime preloads a library: under ASan, tell ASan that is fine.
faketime_run() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 faketime "$@"
}

setup_file() {
    demo_release_setup
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
    assert_equal "$(echo $output)" "OVMF.fd acpi-APIC.aml acpi-DSDT.aml acpi-FACP.aml acpi-FACS.aml acpi-MCFG.aml acpi-RSDP.aml acpi-TPM2.aml acpi-XSDT.aml cmdline.txt files.tsv igvm-debug-measurement.cose igvm-measurement.cose kata-containers-igvm-debug.img kata-containers-igvm.img kata-containers.img kernel.config kernel.inputs.txt lock.json measurement-snp-QEMU-EPYC-v4-1.json measurement-snp-QEMU-EPYC-v4-2.json provenance.dsse.json release.json release.json.sig root_hash.txt sbom.cdx.json sbom.spdx.json trustee-reference-values.json vmlinuz"
    # the summary and the warning about what the firmware does not measure
    grep -qx "release: $A/release.json" "$BATS_FILE_TMPDIR/a.out"
    grep -qx "guestimg: warning: OVMF.fd has no kernel-hashes section: 2 of 2 measurements cover the firmware only, not the kernel, initrd or command line (kernel_hashes: false)" "$BATS_FILE_TMPDIR/a.out"
    [ "$(jq -r '[.measurements[].kernel_hashes] | unique | .[]' "$A/release.json")" = false ]
    run "$GUESTIMG" verify "$A/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "ok signature $A/release.json.sig (key $KEYS/ed.pub)" ]
    [ "${lines[-1]}" = "$A/release.json: all 60 checks passed" ]
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
    # where the kernel came from: the source tarball, the profile and its fragments, as sha256sum sees them
    assert_equal "$(jq -r '.kernel_provenance | "\(.from) \(.profile) \(.source) \(.source_sha256)"' "$A/release.json")" \
                 "profile demo linux-$(file -b "$A/vmlinuz" | sed -n 's/.*, version \([0-9.]*\) .*/\1/p') $(sha256sum <"$KERNEL_SOURCE" | cut -d' ' -f1)"
    jq -r '.kernel_provenance.config_inputs[] | "\(.sha256)  \(.name)"' "$A/release.json" >"$T/inputs.sha256"
    assert_equal "$(cut -c67- "$T/inputs.sha256" | tr '\n' ' ')" \
                 "profiles/demo.list $(sed -n 's/^fragment \([^ ]*\).*/fragments\/\1.conf/p' "$ROOT/kernel-configs/profiles/demo.list" | tr '\n' ' ')"
    (cd "$ROOT/kernel-configs" && sha256sum -c --quiet "$T/inputs.sha256")
    grep -qx "source $(sha256sum <"$KERNEL_SOURCE" | cut -d' ' -f1) linux-[0-9.]*" "$A/kernel.inputs.txt"
    grep -qx "config $(sha256sum <"$A/kernel.config" | cut -d' ' -f1)" "$A/kernel.inputs.txt"
}

@test "build: release.json's appraisal is the manifest's measure.appraisal, and admits the IGVM's own policy" {
    # the demo's {debug: false, migrate-ma: false, smt: true}: the SNP ABI's
    # SMT bit 16 and reserved bit 17, nothing else
    assert_equal "$(jq -c .appraisal "$A/release.json")" \
                 "{\"guest_policy\":$(((1 << 16) | (1 << 17))),\"min_tcb\":\"bl=3,tee=0,snp=8,ucode=115\",\"vmpl\":0}"
    # the production IGVM's GUEST_POLICY, read by igvm measure: the appraisal's bits and ABI 0.31
    policy=$("$GUESTIMG" igvm measure --json "$A/kata-containers-igvm.img" | jq -r .guest_policy)
    assert_equal "$policy" 0x3001f
    assert_equal "$(jq -r '.igvm[] | select(.variant == "production") | .guest_policy' "$A/release.json")" $((policy))
}

@test "build: an IGVM-only release's appraisal names the ID block's key; measure.igvm.guest-policy is the IGVM's and verify rebuilds it" {
    # firmware none, and the IGVM with SMT off (stricter than the appraisal: admitted)
    sed 's/^  firmware: {.*/  firmware: none/; s/^    vtl: 0$/    vtl: 0\n    guest-policy: {smt: false, abi-minor: 31}/' \
        "$WS/manifests/demo.yaml" >"$WS/manifests/igvm.yaml"
    "$GUESTIMG" build -q "$WS/manifests/igvm.yaml" -o "$T/rel" >/dev/null 2>&1
    # the ID key digest as reports carry it (SNP ABI: SHA-384 of curve 2, Qx,
    # Qy little-endian in 72-byte fields, zero-padded to 1028 bytes), of the
    # key the IGVM is signed with, by openssl and hashlib
    want=$(openssl ec -in "$ROOT/keys/igvm-snakeoil-id-key.pem" -pubout -outform DER 2>/dev/null | /usr/bin/python3 -c '
import hashlib, sys
pt = sys.stdin.buffer.read()[-97:]
assert pt[0] == 4
key = (2).to_bytes(4, "little") + pt[1:49][::-1].ljust(72, b"\0") + pt[49:][::-1].ljust(72, b"\0")
print(hashlib.sha384(key.ljust(1028, b"\0")).hexdigest())')
    assert_equal "$(jq -r .appraisal.id_key_digest "$T/rel/release.json")" "$want"
    [ "$(jq -r .appraisal.author_key_digest "$T/rel/release.json")" = null ]   # igvmgen's ID blocks have no author key
    assert_equal "$("$GUESTIMG" igvm measure --json "$T/rel/kata-containers-igvm.img" | jq -r .guest_policy)" 0x2001f
    run "$GUESTIMG" verify "$T/rel/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok igvm kata-containers-igvm.img contents"* ]]
}

@test "build: a 1 TiB sparse files[] entry: files.tsv gives its sparse digest (holes never hashed), as a reader of its data regions computes it" {
    truncate -s 1T "$WS/big"
    printf 'head' | dd of="$WS/big" conv=notrunc status=none
    printf 'far data' | dd of="$WS/big" bs=1 seek=$(((5 << 30) + 4000)) conv=notrunc status=none
    sed 's|^  - {src: ../tools/demo-guest/init, dst: /sbin/init, mode: "0755"}$|&\n  - {src: ../big, dst: /big}|' \
        "$WS/manifests/demo.yaml" >"$WS/manifests/big.yaml"
    ! cmp -s "$WS/manifests/demo.yaml" "$WS/manifests/big.yaml" || false
    run "$GUESTIMG" build -q "$WS/manifests/big.yaml" -o "$T/rel"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # the digest docs/release.md defines, over the file's data regions
    # (SEEK_DATA/SEEK_HOLE) only: its non-zero 4 KiB blocks with their index
    want=$(/usr/bin/python3 - "$WS/big" <<'PY'
import hashlib, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
h = hashlib.sha256(b"guestimg sparse content\0")
blocks = set()
pos = 0
while pos < size:
    try:
        start = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    end = os.lseek(fd, start, os.SEEK_HOLE)
    blocks.update(range(start // 4096, (end + 4095) // 4096))
    pos = end
for b in sorted(blocks):
    data = os.pread(fd, 4096, b * 4096)
    if any(data):
        h.update(struct.pack("<Q", b) + data)
h.update(struct.pack("<Q", size))
print(h.hexdigest())
PY
)
    assert_equal "$(awk -F'\t' '$1 == "/big"' "$T/rel/files.tsv")" \
                 "$(printf '/big\tfile\t0644\t0\t0\t%s\tsparse-sha256:%s\t-' $((1 << 40)) "$want")"
    # and the release checks out
    run "$GUESTIMG" verify "$T/rel/release.json"
    [ "$status" -eq 0 ]
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

@test "build: byte-identical with the manifest, its inputs, TMPDIR and the output on a tmpfs, the first build's on disk" {
    [ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
    [ "$(stat -f -c %T "$A")" != tmpfs ] || skip "the first build is on a tmpfs already"
    mkdir -p "$T/tfs"
    mount -t tmpfs -o size=256m tmpfs "$T/tfs" || skip "cannot mount a tmpfs here"
    [ "$(stat -f -c %T "$T/tfs")" = tmpfs ]
    mkdir -p "$T/tfs/ws/output/debs" "$T/tfs/tmp"
    cp -r "$WS/manifests" "$WS/tools" "$T/tfs/ws/"
    cp -rL "$WS/acpi-tables" "$T/tfs/ws/"
    cp "$ROOT/output/debs/"*.deb "$T/tfs/ws/output/debs/"
    TMPDIR=$T/tfs/tmp run "$GUESTIMG" build -q "$T/tfs/ws/manifests/demo.yaml" -o "$T/tfs/out" --sign-key "$KEYS/ed.pem"
    diffs=$(diff -r "$A" "$T/tfs/out" 2>&1) || true
    umount "$T/tfs"
    [ "$status" -eq 0 ]
    [ -z "$diffs" ] || { echo "$diffs" >&2; false; }
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
    # the IGVM files' command lines no longer carry the image's root hash
    [[ $output == *"MISMATCH igvm kata-containers-igvm.img cmdline carries the dm-verity table: expected "* ]]
    [[ $output == *"MISMATCH igvm kata-containers-igvm-debug.img cmdline carries the dm-verity table: expected "* ]]
    [ "${lines[-1]}" = "$T/r/release.json: 6 of 60 checks failed" ]

    cp "$A/kata-containers.img" "$T/r/"
    flip "$T/r/vmlinuz" 70000
    run "$GUESTIMG" verify "$T/r/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH artifact vmlinuz sha256: expected "* ]]
    # the firmware measures no kernel: the measurements still hold (kernel_hashes false)
    [[ $output == *"ok measurement snp QEMU EPYC-v4 1 vCPU"* ]]
    # the IGVM files carry the kernel: rebuilt from this one they differ
    [[ $output == *"MISMATCH igvm kata-containers-igvm.img contents: expected the bytes its kernel, cmdline and ACPI tables give actual a file that differs first in header SNP_ID_BLOCK"* ]]
    [[ $output == *"MISMATCH igvm kata-containers-igvm-debug.img contents: "* ]]
    [ "${lines[-1]}" = "$T/r/release.json: 3 of 60 checks failed" ]

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
    # the build provenance is signed by the same key
    [[ $output == *"MISMATCH provenance signature (key $T/other.pub): expected a signature by the key actual "* ]]
    [ "${lines[-1]}" = "$A/release.json: 2 of 60 checks failed" ]
}

@test "verify: a missing artifact, a file release.json does not list, a kernel record that disagrees, --artifacts that is no directory" {
    cp -r "$A" "$T/r"
    rm "$T/r/OVMF.fd"
    echo '{}' >"$T/r/measurement-snp-QEMU-EPYC-v4-8.json"
    sed -i 's/^config /config 0/' "$T/r/kernel.inputs.txt"
    deb_sha=$(sha256sum <"$ROOT/output/debs/busybox-static.deb" | cut -d' ' -f1)
    other_sha=$(tr '0-9a-f' '1-9a-f0' <<<"$deb_sha")
    sed -i "s/$deb_sha/$other_sha/" "$T/r/sbom.cdx.json"
    run "$GUESTIMG" verify "$T/r/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    fw=$(jq -r '.artifacts[] | select(.name == "OVMF.fd") | "\(.size) bytes sha256 \(.sha256)"' "$A/release.json")
    grep -qx "MISMATCH artifact OVMF.fd: expected $fw actual $T/r/OVMF.fd: cannot open: No such file or directory" <<<"$output"
    grep -qx "MISMATCH measurement snp QEMU EPYC-v4 2 vCPU: expected $(jq -r '.measurements[1].digest' "$A/release.json") actual $T/r/OVMF.fd: cannot open: No such file or directory" <<<"$output"
    grep -q "^MISMATCH artifact kernel.inputs.txt size: expected " <<<"$output"
    config=$(sha256sum <"$A/kernel.config" | cut -d' ' -f1)
    grep -q "^MISMATCH kernel provenance: profile linux-[0-9.]*: expected source [0-9a-f]\{64\} linux-[0-9.]*, config $config actual source [0-9a-f]\{64\} linux-[0-9.]*, config 0$config$" <<<"$output"
    grep -qx "guestimg: warning: $T/r/measurement-snp-QEMU-EPYC-v4-8.json: not listed in $T/r/release.json: not part of the release, nothing vouches for it" <<<"$output"
    purl=$(jq -r '.components[] | select(.name == "busybox-static") | .purl' "$A/sbom.cdx.json")
    grep -qxF "MISMATCH sbom sbom.cdx.json packages: expected 1 package with the sha256 lock.json gives actual $purl sha256 $other_sha" <<<"$output"
    grep -qx "ok sbom sbom.spdx.json packages" <<<"$output"
    [ "${lines[-1]}" = "$T/r/release.json: 7 of 60 checks failed" ]
    # an artifacts directory that is not there is one error, not a MISMATCH per file
    run "$GUESTIMG" verify "$A/release.json" --pubkey "$KEYS/ed.pub" --artifacts "$T/none"
    assert_error 1 "^guestimg: $T/none: cannot read the artifacts directory: No such file or directory$"
    run "$GUESTIMG" verify "$A/release.json" --artifacts "$A/vmlinuz"
    assert_error 1 "^guestimg: $A/vmlinuz: cannot read the artifacts directory: Not a directory$"
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

@test "build: progress on a terminal (stage, packages, bytes, elapsed), cleared before any other line; none with --quiet or off a terminal" {
    command -v script >/dev/null || skip "script (package bsdutils) is not installed"
    script -qec "'$GUESTIMG' build '$WS/manifests/demo.yaml' -o '$T/tty' --locked" /dev/null </dev/null >"$T/tty.out"
    # one line rewritten in place: "\r\e[K[   0.1s] 3/8 image: writing ext4 1048576/1983056"
    tr '\r' '\n' <"$T/tty.out" | sed 's/\x1b\[K//g' >"$T/lines"
    at='^\[ *[0-9]+\.[0-9]s\] '
    grep -qE "${at}1/8 checking inputs$" "$T/lines"
    grep -qE "${at}2/8 packages: installing packages 0/1$" "$T/lines"
    grep -qE "${at}3/8 image: writing ext4 [0-9]+/[0-9]+$" "$T/lines"
    grep -qE "${at}4/8 kernel$" "$T/lines"
    grep -qE "${at}5/8 IGVM$" "$T/lines"
    grep -qE "${at}6/8 measurements$" "$T/lines"
    grep -qE "${at}7/8 SBOMs, release.json$" "$T/lines"
    grep -qE "${at}8/8 publishing$" "$T/lines"
    assert_equal "$(grep -oE "${at}[0-9]/8" "$T/lines" | sed 's/.* //' | uniq | tr '\n' ' ')" "1/8 2/8 3/8 4/8 5/8 6/8 7/8 8/8 "
    # the warning and the summary (stdout, the same terminal) start on a cleared line
    grep -qaF $'\r\e[Kguestimg: warning: OVMF.fd has no kernel-hashes section' "$T/tty.out"
    grep -qaF $'\r\e[Krelease: '"$T/tty/release.json"$'\r' "$T/tty.out"
    # and so does an error
    ! script -qec "'$GUESTIMG' build '$WS/manifests/demo.yaml' -o '$T/x' --sign-key '$T/none.pem'" /dev/null </dev/null >"$T/err.out" || false
    grep -qaF $'\e[K[' "$T/err.out"
    grep -qaF $'\r\e[Kguestimg: '"$T/none.pem: cannot open: No such file or directory" "$T/err.out"
    # --quiet: no progress on the terminal, the summary still
    script -qec "'$GUESTIMG' build -q '$WS/manifests/demo.yaml' -o '$T/q' --locked" /dev/null </dev/null >"$T/q.out"
    ! grep -qaE '\[ *[0-9]+\.[0-9]s\]' "$T/q.out" || false
    grep -qaF "release: $T/q/release.json" "$T/q.out"
    # off a terminal: only the warning
    "$GUESTIMG" build "$WS/manifests/demo.yaml" -o "$T/p" --locked 2>"$T/p.err" >/dev/null
    [ "$(wc -l <"$T/p.err")" -eq 1 ]
    grep -q '^guestimg: warning: OVMF.fd has no kernel-hashes section' "$T/p.err"
}

@test "build: another image name and the raw layout (IMAGE + IMAGE.verity): verify and reproduce follow them" {
    sed 's/^image: .*/image: {layout: raw, size: auto}/' "$WS/manifests/demo.yaml" >"$WS/manifests/raw.yaml"
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/raw.lock.json"
    "$GUESTIMG" build -q "$WS/manifests/raw.yaml" -o "$T/raw" --locked --image-name guest.img >/dev/null 2>&1
    [ -f "$T/raw/guest.img" ] && [ -f "$T/raw/guest.img.verity" ] && [ ! -e "$T/raw/kata-containers.img" ]
    assert_equal "$(jq -r '"\(.image) \(.verity.layout)"' "$T/raw/release.json")" "guest.img raw"
    # the same filesystem as the kata layout's partition 1, checked by veritysetup against the separate tree
    veritysetup verify --no-superblock --data-blocks "$(jq -r .verity.data_blocks "$T/raw/release.json")" \
        --salt "$(jq -r .verity.salt "$T/raw/release.json")" "$T/raw/guest.img" "$T/raw/guest.img.verity" \
        "$(jq -r .verity.root_hash "$A/release.json")"
    run "$GUESTIMG" verify "$T/raw/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok verity hash tree in guest.img.verity"* ]]
    [[ $output == *"ok cmdline carries the dm-verity table"* ]]
    grep -q 'dm-verity,,,ro,0 [0-9]* verity 1 /dev/vda /dev/vdb ' "$T/raw/cmdline.txt"
    run "$GUESTIMG" reproduce -q "$T/raw/release.json" --manifest "$WS/manifests/raw.yaml" --scratch "$T"
    [ "$status" -eq 0 ]
    [[ $output == *"same guest.img.verity"* ]]
    printf 'X' | dd of="$T/raw/guest.img.verity" bs=1 seek=100 conv=notrunc status=none
    run "$GUESTIMG" verify "$T/raw/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH verity hash tree in guest.img.verity: expected the tree its data gives actual a different tree"* ]]
    [[ $output == *"ok verity root hash of guest.img"* ]]
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

# The lines of reproduce's "files that differ in the image" section.
files_section() {
    sed -n '/^files that differ in the image (from files.tsv):$/,/^[^ ]/p' <<<"$output"
}

@test "reproduce: a rebuild from the manifest and the release's lock is equal" {
    mkdir "$T/scratch"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T/scratch"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = "$A/release.json: reproduced: every artifact rebuilt to the same bytes" ]
    [ "$(grep -c '^same ' <<<"$output")" -eq 26 ]
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
    [ "$(files_section | grep -c '^  ')" -eq 1 ]
    [ "${lines[-1]}" = "$A/release.json: not reproduced: 11 artifacts differ" ]
    [ -z "$(find "$T" -maxdepth 1 -name 'guestimg-reproduce-*')" ]
}

@test "reproduce: each kind of image file difference is named: added, removed, changed content, changed metadata" {
    # a release of another manifest, presented as the demo's (its recorded
    # manifest sha256 changed): what a rebuild finds when the published
    # image is not what the manifest makes
    sed -e '/^  - {path: \/tmp}$/d' \
        -e 's|{src: ../tools/demo-guest/init, dst: /sbin/init, mode: "0755"}|&\n  - {src: ../tools/demo-guest/init, dst: /sbin/extra, mode: "0755"}|' \
        -e '/dst: \/sbin\/init,/s/"0755"/"0700"/' \
        -e 's|{path: /bin/cat, target: busybox}|{path: /bin/cat, target: ./busybox}|' \
        "$WS/manifests/demo.yaml" >"$WS/manifests/other.yaml"
    [ "$(diff "$WS/manifests/demo.yaml" "$WS/manifests/other.yaml" | grep -c '^[<>]')" -eq 6 ]
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/other.lock.json"
    "$GUESTIMG" build -q "$WS/manifests/other.yaml" -o "$T/p" --locked >/dev/null 2>&1
    jq -c --arg s "$(sha256sum <"$WS/manifests/demo.yaml" | cut -d' ' -f1)" '.manifest_sha256 = $s' \
        "$T/p/release.json" >"$T/release.json"
    mv "$T/release.json" "$T/p/release.json"
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 1 ]
    assert_equal "$(files_section | grep '^  ')" "  changed content /bin/cat: symlink ./busybox -> symlink busybox
  removed /sbin/extra (file)
  changed metadata /sbin/init: mode 0700 uid 0 gid 0 xattrs - -> mode 0755 uid 0 gid 0 xattrs -
  added /tmp (dir)"
    [[ $output == *"DIFFERS files.tsv: published "* ]]
    [ "${lines[-1]}" = "$T/p/release.json: not reproduced: 11 artifacts differ" ]
}

@test "reproduce: a kernel built with another toolchain: the lines of kernel.inputs.txt that differ" {
    # as if the release had been built where gcc is another version
    cp -r "$A" "$T/p"
    gcc_line=$(grep '^toolchain gcc ' "$A/kernel.inputs.txt")
    sed -i 's/^toolchain gcc .*/toolchain gcc (Debian 99.1.0-1) 99.1.0/' "$T/p/kernel.inputs.txt"
    jq -c --arg s "$(sha256sum <"$T/p/kernel.inputs.txt" | cut -d' ' -f1)" --argjson n "$(stat -c %s "$T/p/kernel.inputs.txt")" \
        '(.artifacts[] | select(.name == "kernel.inputs.txt")) |= (.sha256 = $s | .size = $n)' "$A/release.json" >"$T/p/release.json"
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 1 ]
    [[ $output == *"DIFFERS kernel.inputs.txt: published "* ]]
    assert_equal "$(sed -n '/^lines that differ in kernel.inputs.txt:$/,/^[^ ]/p' <<<"$output" | grep '^ ')" \
                 "  - toolchain gcc (Debian 99.1.0-1) 99.1.0
  + $gcc_line"
    [ "${lines[-1]}" = "$T/p/release.json: not reproduced: 1 artifact differs" ]
}

@test "reproduce: another kernel source, kernel configuration or kernel file is refused before building" {
    source_sha=$(sha256sum <"$KERNEL_SOURCE" | cut -d' ' -f1)
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T" \
        --kernel-source "$ROOT/VERSION"
    assert_error 1 "^guestimg: $ROOT/VERSION: sha256 [0-9a-f]{64}, but $A/release.json's kernel was built from the source linux-[0-9.]+ with sha256 $source_sha$"
    cp -r "$ROOT/kernel-configs" "$T/kc"
    echo '# reviewed again' >>"$T/kc/fragments/dm-verity.conf"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T" --configs "$T/kc"
    assert_error 1 "^guestimg: $T/kc/fragments/dm-verity.conf: sha256 $(sha256sum <"$T/kc/fragments/dm-verity.conf" | cut -d' ' -f1), but $A/release.json's kernel configuration was made from fragments/dm-verity.conf with sha256 $(sha256sum <"$ROOT/kernel-configs/fragments/dm-verity.conf" | cut -d' ' -f1)$"
    rm "$T/kc/fragments/dm-verity.conf"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T" --configs "$T/kc"
    assert_error 1 "^guestimg: $T/kc/fragments/dm-verity.conf: cannot open: No such file or directory$"
    # a kernel taken from a file: that file, by its sha256
    cp "$A/vmlinuz" "$T/bzImage"
    sed "s|^kernel: .*|kernel: {from: file, path: $T/bzImage}|" "$WS/manifests/demo.yaml" >"$WS/manifests/file.yaml"
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/file.lock.json"
    "$GUESTIMG" build -q "$WS/manifests/file.yaml" -o "$T/f" --locked >/dev/null 2>&1
    assert_equal "$(jq -r '.kernel_provenance | "\(.from) \(.source) \(.source_sha256) \(.profile)"' "$T/f/release.json")" \
                 "file bzImage $(sha256sum <"$A/vmlinuz" | cut -d' ' -f1) null"
    printf 'X' | dd of="$T/bzImage" bs=1 seek=70000 conv=notrunc status=none
    run "$GUESTIMG" reproduce -q "$T/f/release.json" --manifest "$WS/manifests/file.yaml" --scratch "$T"
    assert_error 1 "^guestimg: $T/bzImage: sha256 $(sha256sum <"$T/bzImage" | cut -d' ' -f1), but $T/f/release.json's kernel is the file bzImage with sha256 $(sha256sum <"$A/vmlinuz" | cut -d' ' -f1)$"
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

@test "reproduce: a package of another version: the keys of lock.json and the SBOM that differ, and diffoscope's summary" {
    # as if the published release had been built with busybox 1.35.0-4+deb12u2
    cp -r "$A" "$T/p"
    jq -c '.packages[0].version = "1.35.0-4+deb12u2"' "$A/lock.json" >"$T/p/lock.json"
    jq -c '(.components[] | select(.name == "busybox-static") | .version) = "1.35.0-4+deb12u2"' "$A/sbom.cdx.json" >"$T/p/sbom.cdx.json"
    cp "$A/release.json" "$T/rel.json"
    for f in lock.json sbom.cdx.json; do
        jq -c --arg f "$f" --arg s "$(sha256sum <"$T/p/$f" | cut -d' ' -f1)" --argjson n "$(stat -c %s "$T/p/$f")" \
            '(.artifacts[] | select(.name == $f)) |= (.sha256 = $s | .size = $n)' "$T/rel.json" >"$T/rel2.json"
        mv "$T/rel2.json" "$T/rel.json"
    done
    mv "$T/rel.json" "$T/p/release.json"
    # the lock the release was built from (lock_sha256) is the workspace's
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --lock "$WS/manifests/demo.lock.json" --scratch "$T"
    [ "$status" -eq 1 ]
    version=$(dpkg-deb -f "$ROOT/output/debs/busybox-static.deb" Version)  # EPOCH:VERSION; the lock has them apart
    # the key paths, as jq finds the package in each file
    i=$(jq '.components | map(.name) | index("busybox-static")' "$A/sbom.cdx.json")
    assert_equal "$(sed -n '/^keys that differ in lock.json:$/,/^[^ ]/p' <<<"$output" | grep '^ ')" \
                 "  packages[0].version: \"1.35.0-4+deb12u2\" -> \"${version#*:}\""
    assert_equal "$(sed -n '/^keys that differ in sbom.cdx.json:$/,/^[^ ]/p' <<<"$output" | grep '^ ')" \
                 "  components[$i].version: \"1.35.0-4+deb12u2\" -> \"$version\""
    if command -v diffoscope >/dev/null; then
        # the first differing artifact (by name): lock.json, in diffoscope's words
        grep -qx 'diffoscope on lock.json:' <<<"$output"
        grep -q '^  │ -  *"version": "1.35.0-4+deb12u2"$' <<<"$output"
        grep -qF "  │ +            \"version\": \"${version#*:}\"" <<<"$output"
    fi
    [ "${lines[-1]}" = "$T/p/release.json: not reproduced: 2 artifacts differ" ]
}

@test "reproduce: an input file's mtime is not an input (every timestamp is the manifest's epoch)" {
    cp -r "$WS" "$T/ws2"
    ln -sfn "$ROOT/output" "$T/ws2/output"
    touch -d '2001-02-03 04:05:06' "$T/ws2/tools/demo-guest/init"
    run "$GUESTIMG" reproduce -q "$A/release.json" --manifest "$T/ws2/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 0 ]
    # and the image's inodes say so: debugfs reads the mtime of /sbin/init
    dd if="$A/kata-containers.img" of="$T/p1" bs=512 skip="$(sfdisk -J "$A/kata-containers.img" | jq '.partitiontable.partitions[0].start')" \
        count="$(sfdisk -J "$A/kata-containers.img" | jq '.partitiontable.partitions[0].size')" status=none
    debugfs -R 'stat /sbin/init' "$T/p1" 2>/dev/null | grep -q '^ mtime: 0x00000000:'
}

# publish_as T/p FILE…: T/p/release.json is $A's with the sha256 and size
# of each FILE as it now is in T/p (as if the release had been built so).
publish_as() {
    local d=$1 f
    shift
    cp "$A/release.json" "$d/rel.json"
    for f in "$@"; do
        jq -c --arg f "$f" --arg s "$(sha256sum <"$d/$f" | cut -d' ' -f1)" --argjson n "$(stat -c %s "$d/$f")" \
            '(.artifacts[] | select(.name == $f)) |= (.sha256 = $s | .size = $n)' "$d/rel.json" >"$d/rel2.json"
        mv "$d/rel2.json" "$d/rel.json"
    done
    mv "$d/rel.json" "$d/release.json"
}

@test "reproduce: an image whose inode carries another mtime (what keeping an input's mtime would give): the inode named, though files.tsv is the same" {
    # as if the published build had kept /sbin/init's input mtime, and
    # /bin/busybox's owner: debugfs (e2fsprogs) edits the published image
    cp -r "$A" "$T/p"
    img=$T/p/kata-containers.img
    chmod u+w "$img"
    off=$(($(sfdisk -J "$img" | jq '.partitiontable.partitions[0].start') * 512))
    # 2001-02-03 04:05:06 UTC: 981173106, 0x3a7b8372
    debugfs -w -R 'sif /sbin/init mtime 20010203040506' "$img?offset=$off" 2>/dev/null
    debugfs -w -R 'sif /bin/busybox uid 1000' "$img?offset=$off" 2>/dev/null
    debugfs -R 'stat /sbin/init' "$img?offset=$off" 2>/dev/null | grep -q '^ mtime: 0x3a7b8372:'
    publish_as "$T/p" kata-containers.img
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 1 ]
    grep -q '^DIFFERS kata-containers.img: ' <<<"$output"
    [ -z "$(files_section)" ]   # files.tsv is the build's account: the same
    assert_equal "$(sed -n '/^inodes that differ in kata-containers.img:$/,/^[^ ]/p' <<<"$output" | grep '^ ')" \
                 "  /bin/busybox: uid 1000 -> 0
  /sbin/init: mtime 981173106 -> 0"
    [ "${lines[-1]}" = "$T/p/release.json: not reproduced: 1 artifact differs" ]
}

@test "reproduce: a published image with no partition table: what differs inside cannot be said, and why" {
    cp -r "$A" "$T/p"
    printf '\0\0' | dd of="$T/p/kata-containers.img" bs=1 seek=510 conv=notrunc status=none
    publish_as "$T/p" kata-containers.img
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T"
    [ "$status" -eq 1 ]
    grep -qx "cannot say what differs in kata-containers.img: $T/p/kata-containers.img: no partition table" <<<"$output"
    [ "${lines[-1]}" = "$T/p/release.json: not reproduced: 1 artifact differs" ]
}

@test "reproduce: a release.json that names an artifact that is not there is one error, before building" {
    cp -r "$A" "$T/p"
    rm "$T/p/sbom.cdx.json"
    run "$GUESTIMG" reproduce -q "$T/p/release.json" --manifest "$WS/manifests/demo.yaml" --scratch "$T"
    assert_error 1 "^guestimg: $T/p/release.json lists the artifact sbom.cdx.json, but $T/p/sbom.cdx.json is not there: No such file or directory$"
    [ -z "$(find "$T" -maxdepth 1 -name 'guestimg-reproduce-*')" ]
}

# ------------------------------------------------------------------ faults ---

@test "build: missing manifest keys are one error naming the key; nothing published" {
    while IFS='|' read -r line error; do
        grep -v "^$line" "$WS/manifests/demo.yaml" >"$WS/manifests/missing.yaml"
        run "$GUESTIMG" build -q "$WS/manifests/missing.yaml" -o "$T/out"
        assert_error 1 "^guestimg: $WS/manifests/missing.yaml${error}$"
        nothing_published "$T" out
        [ ! -e "$WS/manifests/missing.lock.json" ]
    done <<'KEYS'
name:|:[0-9]+: missing required key 'name'
version:|:[0-9]+: missing required key 'version'
epoch:|:[0-9]+: missing required key 'epoch'
seed:|:[0-9]+: missing required key 'seed'
kernel:|: missing key 'kernel': a release needs a kernel \(docs/manifest.md\)
  firmware:|:[0-9]+: measure: missing required key 'firmware'
  vmm-types:|: missing key 'measure.vmm-types': required with a firmware
  vcpus:|: missing key 'measure.vcpus': required with a firmware
  vcpu-types:|: missing key 'measure.vcpu-types': required with a firmware
KEYS
}

@test "build: bad measure.appraisal values are one error naming the key; nothing published" {
    while IFS='|' read -r from to error; do
        sed "s/$from/$to/" "$WS/manifests/demo.yaml" >"$WS/manifests/bad-appraisal.yaml"
        ! cmp -s "$WS/manifests/demo.yaml" "$WS/manifests/bad-appraisal.yaml" || { echo "no '$from' in demo.yaml" >&2; return 1; }
        run "$GUESTIMG" build -q "$WS/manifests/bad-appraisal.yaml" -o "$T/out"
        assert_error 1 "^guestimg: $WS/manifests/bad-appraisal.yaml:[0-9]+: ${error}$"
        nothing_published "$T" out
        [ ! -e "$WS/manifests/bad-appraisal.lock.json" ]
    done <<'CASES'
    vmpl: 0|    vmpl: 4|measure.appraisal: vmpl: 4 is not 0, 1, 2 or 3
debug: false, |debug: perhaps, |measure.appraisal.guest-policy.debug: expected true or false, got 'perhaps'
, microcode: 115}|}|measure.appraisal.min-tcb: missing required key 'microcode'
snp: 8,|snp: 256,|measure.appraisal.min-tcb: snp: 256 is not a security patch level \(0 to 255\)
smt: true}|smt: false}|measure.appraisal.guest-policy 0x20000 contradicts measure.igvm.guest-policy 0x3001f \(igvmgen's default\): the appraisal wants smt_allowed 0, the IGVM has smt_allowed 1
    vtl: 0|    vtl: 0\n    guest-policy: {debug: true}|measure.appraisal.guest-policy 0x30000 contradicts measure.igvm.guest-policy 0xb0000: the appraisal wants debug_allowed 0, the IGVM has debug_allowed 1
CASES
}

@test "build: a kernel source or profile that is not there is refused before building" {
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --kernel-source "$T/linux.tar.xz"
    assert_error 1 "^guestimg: kernel source $T/linux.tar.xz \(kernel.profile demo\): No such file or directory$"
    mkdir -p "$T/configs/profiles"
    run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --configs "$T/configs"
    assert_error 1 "^guestimg: $WS/manifests/demo.yaml: kernel.profile 'demo': no such profile \($T/configs/profiles/demo.list\)$"
    nothing_published "$T" out
}

@test "build: the kernel build runs alongside the packages; its failure is one error and nothing is published" {
    # a kernel source that is no tarball passes the input check (it is
    # there) and fails in the kernel build, which starts before the packages
    XDG_CACHE_HOME=$T/cache run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --kernel-source "$ROOT/VERSION"
    assert_error 1 "^guestimg: $ROOT/VERSION: cannot extract: "
    nothing_published "$T" out
}

@test "build: a package failure stops the kernel build started alongside it; nothing of it runs on or stays" {
    head -c 5000 /dev/urandom >"$T/bad.deb"
    sed "s|../output/debs/busybox-static.deb|$T/bad.deb|" "$WS/manifests/demo.yaml" >"$WS/manifests/badpkg.yaml"
    XDG_CACHE_HOME=$T/cache run "$GUESTIMG" build -q "$WS/manifests/badpkg.yaml" -o "$T/out"
    assert_error 1 "^guestimg: $T/bad.deb: not a Debian package"
    nothing_published "$T" out
    # the kernel build's process carries the same command line
    ! pgrep -f -- "$WS/manifests/badpkg.yaml"
    # no half-extracted source or half-built kernel in the (fresh) cache
    [ -z "$(find "$T/cache" -mindepth 3 ! -name '*.lock' 2>/dev/null)" ]
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

# on_small_tmpfs SIZE CMD...: run CMD with a tmpfs of SIZE at $T/small;
# afterwards $left lists what is in it and $used its kilobytes in use.
on_small_tmpfs() {
    local size=$1
    shift
    mkdir -p "$T/small"
    mount -t tmpfs -o size="$size" tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs here"
    "$@"
    left=$(ls -A "$T/small")
    used=$(df --output=used -k "$T/small" | tail -1 | tr -d ' ')
    umount "$T/small"
}

@test "build: a disk that fills up at any step is one error; nothing published, no temporary directory" {
    [ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
    # 1 to 5 MiB: the spool of file contents, lock.json, the ext4 writer and
    # the disk assembly each run out somewhere in this range
    declare -A failed_at
    for size in 1m 2m 3m 4m 5m; do
        on_small_tmpfs $size run "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/small/out" --locked
        assert_error 1 "^guestimg: $T/small/\.out\.tmp-[^/:]+(/[^:]+)?: .*(No space left on device|short write)$"
        [ -z "$left" ]
        [ "$used" -eq 0 ]
        file=$(sed -E 's|^guestimg: [^:]*/\.out\.tmp-[^/:]+/?([^:]*):.*|\1|' <<<"${lines[0]}")
        failed_at[${file:-the directory itself}]=1
    done
    [ "${#failed_at[@]}" -ge 3 ] || { echo "failed at only: ${!failed_at[*]}" >&2; false; }
}

# fill_then_feed FIFO: once the build has written the image, fill the disk
# and give the build its kernel through FIFO.
fill_then_feed() {
    for _ in $(seq 200); do
        ls "$T"/small/.out.tmp-*/root_hash.txt >/dev/null 2>&1 && break
        sleep 0.05
    done
    dd if=/dev/zero of="$T/small/fill" bs=4k status=none 2>/dev/null || true
    cat "$T/small/vmlinuz" >"$1"
}

build_then_fill() {
    cp "$A/vmlinuz" "$T/small/vmlinuz"
    fill_then_feed "$T/kernel.fifo" &
    run "$GUESTIMG" build -q "$WS/manifests/full.yaml" -o "$T/small/out" --locked
    wait
}

@test "build: a disk that fills up at the kernel step is one error; nothing published" {
    [ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
    mkfifo "$T/kernel.fifo"
    sed "s|^kernel: .*|kernel: {from: file, path: $T/kernel.fifo}|" "$WS/manifests/demo.yaml" >"$WS/manifests/full.yaml"
    cp "$WS/manifests/demo.lock.json" "$WS/manifests/full.lock.json"
    on_small_tmpfs 16m build_then_fill
    assert_error 1 "^guestimg: $T/small/\.out\.tmp-[^/]+/vmlinuz: .*No space left on device$"
    assert_equal "$(echo $left)" "fill vmlinuz"
}

@test "build: a file size limit (ulimit -f) is one error, not a kill; nothing published" {
    # the spool of file contents passes 1 MiB, the 6 MiB image 4 MiB
    for kib in 1024 4096; do
        run bash -c 'ulimit -f "$1" && shift && exec "$@"' - $kib "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/out" --locked
        assert_error 1 "^guestimg: $T/\.out\.tmp-[^:]+: .*File too large$"
        nothing_published "$T" out
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

# ---------------------------------------------------------------- IGVM ---

# igvm_entry NAME FIELD: a field of release.json's IGVM entry NAME.
igvm_entry() { jq -r --arg n "$1" ".igvm[] | select(.name == \$n) | .$2" "${3:-$A}/release.json"; }

@test "build: the IGVM files' launch digests are what guestimg igvm measure and the independent measurer compute" {
    for f in kata-containers-igvm.img kata-containers-igvm-debug.img; do
        want=$(igvm_entry "$f" digest)
        [[ $want =~ ^[0-9a-f]{96}$ ]]
        assert_equal "$("$GUESTIMG" igvm measure "$A/$f")" "$want"
        assert_equal "$(/usr/bin/python3 "$ROOT/tests/lib/mkigvm.py" measure "$A/$f")" "$want"
    done
    # igvm-tooling's measurement JSON, the production digest among trustee's reference values, the debug one not
    assert_equal "$(jq -r '."x-ms-sevsnpvm-launchmeasurement"' "$A/igvm-measurement.cose")" "$(igvm_entry kata-containers-igvm.img digest)"
    assert_equal "$(jq -r '."x-ms-sevsnpvm-guestsvn"' "$A/igvm-measurement.cose")" "$(jq -r .svn "$A/release.json")"
    values=$(jq -r .payload "$A/trustee-reference-values.json" | base64 -d | jq -r '.snp_launch_measurement[]')
    grep -qx "$(igvm_entry kata-containers-igvm.img digest)" <<<"$values"
    ! grep -qx "$(igvm_entry kata-containers-igvm-debug.img digest)" <<<"$values" || false
}

@test "build: the IGVM carries this image's root hash in its command line, byte for byte, and the recorded ACPI tables" {
    root=$(jq -r .verity.root_hash "$A/release.json")
    assert_equal "$(igvm_entry kata-containers-igvm.img cmdline)" "$(jq -r .cmdline "$A/release.json")"
    [[ $(igvm_entry kata-containers-igvm-debug.img cmdline) == *"sha256 $root "*" console=hvc0" ]]
    # the command line's bytes lie in the file (the kernel reads them from guest memory)
    grep -qaF "$(igvm_entry kata-containers-igvm.img cmdline)" "$A/kata-containers-igvm.img"
    # every ACPI table is a release artifact with the sha256 recorded, the bytes of acpi-tables/clh
    n=$(jq '.igvm[0].acpi | length' "$A/release.json")
    [ "$n" -gt 0 ]
    for t in $(jq -r '.igvm[0].acpi[].name' "$A/release.json"); do
        assert_equal "$(jq -r --arg t "$t" '.igvm[0].acpi[] | select(.name == $t) | .sha256' "$A/release.json")" \
                     "$(sha256sum <"$A/$t" | cut -d' ' -f1)"
        cmp "$A/$t" "$ROOT/acpi-tables/clh/${t#acpi-}"
    done
    # the SBOMs list the IGVM files and the tables
    for f in kata-containers-igvm.img kata-containers-igvm-debug.img $(jq -r '.igvm[0].acpi[].name' "$A/release.json"); do
        jq -e --arg f "$f" '[.packages[] | select(.packageFileName == $f)] | length == 1' "$A/sbom.spdx.json" >/dev/null
        jq -e --arg f "$f" '[.components[] | select(.properties[0].value == $f)] | length == 1' "$A/sbom.cdx.json" >/dev/null
    done
}

# tampered_copy DIR: a copy of the demo release to change.
tampered_copy() { cp -a "$A" "$1"; }

@test "verify: the appraisal admits the production IGVM's policy; an edited one that does not, or another ID key, fails naming it" {
    run "$GUESTIMG" verify "$A/release.json"
    [ "$status" -eq 0 ]
    grep -q "^ok appraisal admits igvm kata-containers-igvm.img guest policy" <<<"$output"
    # the debug IGVM (debugging allowed) is not held to the production appraisal
    ! grep -q "appraisal admits igvm kata-containers-igvm-debug.img" <<<"$output" || false
    # SMT off in the appraisal: the IGVM, which allows SMT, is looser
    tampered_copy "$T/smt"
    jq '.appraisal.guest_policy = 131072' "$A/release.json" >"$T/smt/release.json"
    run "$GUESTIMG" verify "$T/smt/release.json"
    [ "$status" -eq 1 ]
    [ "$(grep -c '^MISMATCH' <<<"$output")" -eq 1 ]
    grep -q "^MISMATCH appraisal admits igvm kata-containers-igvm.img guest policy: expected a policy within 0x20000 (smt_allowed 0) actual 0x3001f (smt_allowed 1)" <<<"$output"
    # an IGVM-only release whose appraisal names another ID key
    tampered_copy "$T/key"
    jq --arg k "$(printf '00%.0s' {1..48})" '.measurements = [] | .appraisal.id_key_digest = $k' "$A/release.json" >"$T/key/release.json"
    run "$GUESTIMG" verify "$T/key/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH appraisal ID key digest is igvm kata-containers-igvm.img's: expected $(jq -r '.igvm[] | select(.variant == "production") | .id_key_digest' "$A/release.json") actual 0000" <<<"$output"
}

@test "verify: a tampered IGVM page, a swapped kernel, an edited command line or root hash each fail their own check" {
    # a byte of the kernel's pages: the digest and the contents check, which names the kernel
    tampered_copy "$T/page"
    # where a piece of the bzImage's protected-mode kernel lies in the file (found by content, not by our layout)
    off=$(/usr/bin/python3 -c '
import sys
k = open(sys.argv[1], "rb").read(); g = open(sys.argv[2], "rb").read()
start = (k[0x1f1] or 4) * 512 + 512 + 65536
i = g.find(k[start:start + 256]); assert i > 0; print(i)' "$A/vmlinuz" "$T/page/kata-containers-igvm.img")
    printf '\xff' | dd of="$T/page/kata-containers-igvm.img" bs=1 seek="$off" conv=notrunc status=none
    run "$GUESTIMG" verify "$T/page/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH igvm kata-containers-igvm.img launch digest" <<<"$output"
    grep -q "^MISMATCH igvm kata-containers-igvm.img contents: .*kernel" <<<"$output"
    ! grep -q "^MISMATCH igvm kata-containers-igvm-debug.img" <<<"$output" || false
    # an edited command line in release.json: the rebuilt file differs in the command line
    tampered_copy "$T/cmd"
    jq '(.igvm[] | select(.name == "kata-containers-igvm.img") | .cmdline) |= sub(" ro$"; " rw")' "$T/cmd/release.json" >"$T/cmd/r" && mv "$T/cmd/r" "$T/cmd/release.json"
    run "$GUESTIMG" verify "$T/cmd/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH igvm kata-containers-igvm.img contents: .*cmdline" <<<"$output"
    # a command line naming another root hash: it no longer carries the image's dm-verity table
    tampered_copy "$T/root"
    root=$(jq -r .verity.root_hash "$A/release.json")
    jq --arg r "$root" '(.igvm[] | select(.name == "kata-containers-igvm.img") | .cmdline) |= sub($r; "00" * 32)' "$T/root/release.json" >"$T/root/r" &&
        mv "$T/root/r" "$T/root/release.json"
    run "$GUESTIMG" verify "$T/root/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH igvm kata-containers-igvm.img cmdline carries the dm-verity table" <<<"$output"
    # another kernel: the artifact check and the IGVM's contents (rebuilt from the published kernel)
    tampered_copy "$T/kern"
    printf 'x' >>"$T/kern/vmlinuz"
    run "$GUESTIMG" verify "$T/kern/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz" <<<"$output"
    grep -q "^MISMATCH igvm kata-containers-igvm.img contents" <<<"$output"
    # a changed ACPI table
    tampered_copy "$T/acpi"
    t=$(jq -r '.igvm[0].acpi[0].name' "$A/release.json")
    printf '\x01' | dd of="$T/acpi/$t" bs=1 seek=40 conv=notrunc status=none
    run "$GUESTIMG" verify "$T/acpi/release.json"
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact $t" <<<"$output"
    grep -q "^MISMATCH igvm kata-containers-igvm.img contents: .*acpi" <<<"$output"
}
