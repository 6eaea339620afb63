#!/usr/bin/env bats
# guestimg igvm: the reference files made by igvm-tooling against their
# published digests; small files built by tests/lib/mkigvm.py, one directive
# type, flag or mask case each, against mkigvm.py's own measurement; dump;
# and every kind of bad input.
load lib/common
bats_require_minimum_version 1.5.0

MKIGVM=$ROOT/tests/lib/mkigvm.py
D=$BATS_TEST_TMPDIR

# mk NAME [mkigvm options] < SPEC: build $D/NAME.igvm.
mk() {
    local name=$1
    shift
    /usr/bin/python3 "$MKIGVM" build "$D/$name.igvm" "$@"
}

# agree FILE [--native-zero]: guestimg and mkigvm.py give the same digest;
# it is left in $digest.
agree() {
    local want
    want=$(/usr/bin/python3 "$MKIGVM" measure "$@")
    run --separate-stderr "$GUESTIMG" igvm measure "$@"
    [ "$status" -eq 0 ] || { echo "$output $stderr" >&2; return 1; }
    assert_equal "$output" "$want"
    digest=$output
}

SNP='platform mask=1 type=2
policy mask=1'

# Digest of the file with no directives: what files whose directives are
# all skipped must give.
empty_digest() {
    mk empty <<<"$SNP"
    agree "$D/empty.igvm"
    empty=$digest
}

ref_digest() { sed -n "s/^| $1 | .* | \([0-9a-f]\{96\}\) |\$/\1/p" "$REF/README.md"; }

@test "reference files measure to the published digests, and their ID blocks agree" {
    require_reference
    n=0
    for f in out_x64 out_x86_defacpi out_x64_noopt out_elf_x64; do
        want=$(ref_digest "$f.igvm")
        [ ${#want} -eq 96 ]
        run --separate-stderr "$GUESTIMG" igvm measure "$REF/igvm/$f.igvm"
        [ "$status" -eq 0 ]
        assert_equal "$output" "$want"
        # igvm-tooling made them with a placeholder ID key (Qx 1, Qy 2).
        [[ $stderr == *"ID block's signature cannot be checked: the ID key is not a point of P-384" ]]
        run --separate-stderr "$GUESTIMG" igvm measure --json "$REF/igvm/$f.igvm"
        [ "$status" -eq 0 ]
        /usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["digest"] == sys.argv[2] and j["id_block"]["launch_digest"] == sys.argv[2], j
assert j["id_block"]["matches"] is True and j["compatibility_mask"] == "0x1", j
assert j["id_block"]["signature_valid"] is None, j
assert j["native_zero"] is False and j["guest_policy"].startswith("0x"), j' "$output" "$want"
        n=$((n + 1))
    done
    [ "$n" -eq 4 ]
}

@test "--native-zero on the reference files: igvm-tooling's figures, and mkigvm.py agrees" {
    require_reference
    # Computed by igvm-tooling's own generator with zero pages recorded as
    # ZERO pages (see docs/igvm.md), and by tests/lib/mkigvm.py.
    while read -r f want; do
        run --separate-stderr "$GUESTIMG" igvm measure --native-zero --ignore-idblock "$REF/igvm/$f.igvm"
        [ "$status" -eq 0 ]
        [[ $stderr == *"warning"*"ID block expects"* ]]
        assert_equal "$output" "$want"
        assert_equal "$(/usr/bin/python3 "$MKIGVM" measure "$REF/igvm/$f.igvm" --native-zero)" "$want"
        [ "$want" != "$(ref_digest "$f.igvm")" ]
    done <<'EOF'
out_x64 56fcd5e1de738d9a5b7c870fae8e313fd84592eb414612c984a744b58aa97ba34a146b5d0aef094e089687aed07bff07
out_x86_defacpi b0cc52d8db8b40f3dfd5ea1efda4e1a8e8b8a411865ff6122c3238e069a6f6d0633a6da4580237a1475a8fd79c616a21
out_x64_noopt 158dd9b2f4ccbe2bcf8c21e516fd714ed1c7a27b920f2d87d3b534e334984bb009cdad138e0bd2734abd0be9278e8e3d
EOF
}

@test "--native-zero with an ID block that names the other digest is an error" {
    require_reference
    run "$GUESTIMG" igvm measure --native-zero "$REF/igvm/out_x64.igvm"
    assert_error 1 "^guestimg: .*/out_x64.igvm: the SNP ID block expects launch digest a34d8540.*, the file measures to 56fcd5e1"
}

@test "the digest of a file without directives is the zero digest" {
    empty_digest
    assert_equal "$empty" "$(printf '0%.0s' {1..96})"
}

@test "PAGE_DATA with data: a NORMAL page of its contents; the GPA counts" {
    mk a <<<"$SNP
page gpa=0x1000 data=A"
    agree "$D/a.igvm"
    a=$digest
    mk b <<<"$SNP
page gpa=0x2000 data=A"
    agree "$D/b.igvm"
    [ "$a" != "$digest" ]
}

@test "PAGE_DATA without data: NORMAL page of zeros, or a ZERO page with --native-zero" {
    mk z <<<"$SNP
page gpa=0x1000"
    agree "$D/z.igvm"
    normal=$digest
    agree "$D/z.igvm" --native-zero
    [ "$normal" != "$digest" ]
    # A page of zeros carried in the file is a NORMAL page in both modes.
    mk zdata <<<"$SNP
page gpa=0x1000 data=zero"
    agree "$D/zdata.igvm"
    assert_equal "$digest" "$normal"
    agree "$D/zdata.igvm" --native-zero
    assert_equal "$digest" "$normal"
}

@test "PAGE_DATA unmeasured, secrets, CPUID_DATA, CPUID_XF: each its own page type" {
    seen=()
    for p in "flags=unmeasured data=A" "data_type=1" "data_type=2 data=C" "data_type=3 data=C"; do
        mk p <<<"$SNP
page gpa=0x3000 $p"
        agree "$D/p.igvm"
        seen+=("$digest")
    done
    # unmeasured ≠ secrets ≠ cpuid; CPUID_DATA and CPUID_XF are both CPUID pages.
    [ "${seen[0]}" != "${seen[1]}" ] && [ "${seen[1]}" != "${seen[2]}" ]
    assert_equal "${seen[2]}" "${seen[3]}"
}

@test "PAGE_DATA shared: not measured" {
    empty_digest
    mk s <<<"$SNP
page gpa=0x1000 flags=shared data=S"
    agree "$D/s.igvm"
    assert_equal "$digest" "$empty"
}

@test "2 MiB pages: expanded to 512 pages, with data or without" {
    mk big <<<"$SNP
page gpa=0x200000 flags=2mb data=B
page gpa=0x400000 flags=2mb
page gpa=0x600000 flags=2mb|unmeasured"
    agree "$D/big.igvm"
    agree "$D/big.igvm" --native-zero
    run "$GUESTIMG" igvm measure --json "$D/big.igvm"
    [[ $output == *'"pages": 1536'* ]]
}

@test "PARAMETER_AREA and PARAMETER_INSERT: the whole area as UNMEASURED pages" {
    mk p1 <<<"$SNP
area index=0 size=0x1000
param type=0x307 index=0 offset=0
insert gpa=0x5000 index=0"
    agree "$D/p1.igvm"
    one=$digest
    mk p2 <<<"$SNP
area index=0 size=0x2000
param type=0x30c index=0 offset=0x1000
insert gpa=0x5000 index=0"
    agree "$D/p2.igvm"
    [ "$one" != "$digest" ]
    run "$GUESTIMG" igvm measure --json "$D/p2.igvm"
    [[ $output == *'"pages": 2'* ]]
}

@test "VP_CONTEXT: a VMSA page at the directive's GPA" {
    mk vp <<<"$SNP
page gpa=0x1000 data=A
vp gpa=0xfffffffff000 data=V"
    agree "$D/vp.igvm"
    a=$digest
    mk vp2 <<<"$SNP
page gpa=0x1000 data=A
vp gpa=0x8000 data=V"
    agree "$D/vp2.igvm"
    [ "$a" != "$digest" ]
}

@test "compatibility masks: only directives for the SNP platform's mask are measured" {
    mk m <<<"platform mask=1 type=0
platform mask=2 type=2
policy mask=2 policy=0x30000
page gpa=0x1000 mask=1 data=N
page gpa=0x2000 mask=2 data=S
page gpa=0x3000 mask=3 data=B
vp gpa=0x4000 mask=1 data=X"
    agree "$D/m.igvm"
    mixed=$digest
    mk only <<<"platform mask=2 type=2
page gpa=0x2000 mask=2 data=S
page gpa=0x3000 mask=2 data=B"
    agree "$D/only.igvm"
    assert_equal "$mixed" "$digest"
    run "$GUESTIMG" igvm measure --json "$D/m.igvm"
    [[ $output == *'"compatibility_mask": "0x2"'* ]]
    [[ $output == *'"guest_policy": "0x30000"'* ]]
}

@test "REQUIRED_MEMORY and optional unknown headers are not measured" {
    empty_digest
    mk r <<<"$SNP
memory gpa=0x100000 size=0x10000
raw type=0x3ff len=12 optional=1"
    agree "$D/r.igvm"
    assert_equal "$digest" "$empty"
    run "$GUESTIMG" igvm dump "$D/r.igvm"
    [ "$status" -eq 0 ]
    [[ $output == *"REQUIRED_MEMORY"*"size=65536"* ]]
    [[ $output == *"0x3ff"*"optional"* ]]
}

@test "format version 2 header (x64, 4 KiB pages)" {
    mk v2 --format-version 2 <<<"$SNP
page gpa=0x1000 data=A"
    agree "$D/v2.igvm"
    run "$GUESTIMG" igvm dump --json "$D/v2.igvm"
    [[ $output == *'"format_version": 2'* && $output == *'"architecture": "x64"'* ]]
}

@test "SNP ID block: matching digest passes, another one fails unless --ignore-idblock" {
    mk idok <<<"$SNP
page gpa=0x1000 data=A
idblock"
    agree "$D/idok.igvm"
    good=$digest
    mk idbad <<<"$SNP
page gpa=0x1000 data=A
idblock ld=$(printf 'ab%.0s' {1..48})"
    run "$GUESTIMG" igvm measure "$D/idbad.igvm"
    assert_error 1 "^guestimg: .*/idbad.igvm: the SNP ID block expects launch digest (ab){48}, the file measures to $good"
    run --separate-stderr "$GUESTIMG" igvm measure --ignore-idblock "$D/idbad.igvm"
    [ "$status" -eq 0 ]
    [[ $stderr == "guestimg: warning: "*"ID block expects"* ]]
    assert_equal "$output" "$good"
    run --separate-stderr "$GUESTIMG" igvm measure --json --ignore-idblock "$D/idbad.igvm"
    [[ $output == *'"matches": false'* ]]
}

@test "SNP ID block signature: checked with OpenSSL against a Python-signed block" {
    key=$ROOT/tests/fixtures/keys/id-p384.pem
    mk signed <<<"$SNP
page gpa=0x1000 data=A
idblock key=$key"
    agree "$D/signed.igvm"
    [ -z "$stderr" ]
    run --separate-stderr "$GUESTIMG" igvm measure --json "$D/signed.igvm"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    # The ID key digest is the one attestation reports carry: as id-block says.
    m=$(printf '%096d' 0 | xxd -r -p | base64 -w0)
    kd=$("$GUESTIMG" id-block --measurement "$m" --idkey "$key" \
        --authorkey "$ROOT/tests/fixtures/keys/author-p384.pem" | sed -n 's/^id_key_hash: //p' |
        base64 -d | xxd -p -c 48)
    /usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])["id_block"]
assert j["signature_valid"] is True and j["matches"] is True, j
assert j["id_key_digest"] == sys.argv[2], j' "$output" "$kd"
    # Signed over another policy than the file's GUEST_POLICY: invalid.
    mk forged <<<"$SNP
page gpa=0x1000 data=A
idblock key=$key policy=0x30001"
    run --separate-stderr "$GUESTIMG" igvm measure --json "$D/forged.igvm"
    [ "$status" -eq 0 ]
    [[ $stderr == "guestimg: warning: "*"the ID key's signature over the SNP ID block does not verify" ]]
    [[ $output == *'"signature_valid": false'* ]]
    # No GUEST_POLICY: the signature cannot be checked.
    mk nopolicy <<<"platform mask=1 type=2
idblock key=$key"
    run --separate-stderr "$GUESTIMG" igvm measure "$D/nopolicy.igvm"
    [ "$status" -eq 0 ]
    [[ $stderr == *"no GUEST_POLICY for the SEV-SNP platform"* ]]
}

@test "dump: every header in text and JSON" {
    require_reference
    f=$REF/igvm/out_x64.igvm
    run "$GUESTIMG" igvm dump "$f"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "IGVM format version 1, 180696 bytes, checksum 0x99f57165 (matches)" ]]
    [[ $output == *"SUPPORTED_PLATFORM"*"platform=SEV_SNP"* ]]
    [[ $output == *"VP_CONTEXT"*"gpa=0x803000"* ]]
    [ "$(grep -c ' PAGE_DATA ' <<<"$output")" -eq 371 ]
    "$GUESTIMG" igvm dump --json "$f" >"$D/dump.json"
    /usr/bin/python3 -c '
import json, sys, collections
j = json.load(open(sys.argv[1]))
types = collections.Counter(h["type"] for h in j["headers"])
assert j["checksum_ok"] and len(j["headers"]) == 379, j
assert types["PAGE_DATA"] == 371 and types["SNP_ID_BLOCK"] == 1, types
assert [h["index"] for h in j["headers"]] == list(range(379))' "$D/dump.json"
}

@test "output is the same whatever the directory, locale and time zone" {
    mk a <<<"$SNP
page gpa=0x1000 data=A"
    a=$("$GUESTIMG" igvm dump --json "$D/a.igvm")
    b=$(cd / && LC_ALL=C.UTF-8 TZ=Asia/Tokyo "$GUESTIMG" igvm dump --json "$D/a.igvm")
    assert_equal "$a" "$b"
}

# ---------------------------------------------------------- bad input ---

@test "wrong magic" {
    mk bad --magic 0x12345678 <<<"$SNP"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "^guestimg: .*/bad.igvm: not an IGVM file \(magic 0x12345678"
}

@test "unknown format version" {
    mk bad --format-version 3 <<<"$SNP"
    run "$GUESTIMG" igvm dump "$D/bad.igvm"
    assert_error 1 "bad.igvm: unknown IGVM format version 3"
}

@test "version 2 header: short, unknown architecture, other page size" {
    printf 'IGVM\x02\0\0\0%020d' 0 >"$D/short2.igvm"
    run "$GUESTIMG" igvm dump "$D/short2.igvm"
    assert_error 1 "short2.igvm: 28 bytes, shorter than the IGVM version 2 fixed header"
    mk arch --format-version 2 --architecture 7 <<<"$SNP"
    run "$GUESTIMG" igvm dump "$D/arch.igvm"
    assert_error 1 "arch.igvm: unknown architecture 7"
    mk page --format-version 2 --page-size 0x10000 <<<"$SNP"
    run "$GUESTIMG" igvm dump "$D/page.igvm"
    assert_error 1 "page.igvm: page size 65536 is not supported"
}

@test "variable header section misplaced, or with a partial header at its end" {
    for off in 0x10 0x1c 0x100000; do
        mk off --vh-offset $off <<<"$SNP"
        run "$GUESTIMG" igvm dump "$D/off.igvm"
        [[ $output == *"off.igvm: variable header "* ]] || { echo "$off: $output" >&2; false; }
        [ "$status" -eq 1 ]
    done
    mk tail --vh-extra 4 <<<"$SNP"
    run "$GUESTIMG" igvm dump "$D/tail.igvm"
    assert_error 1 "tail.igvm: header 2 at offset 0x48: 4 bytes left in the variable header section, too few"
}

@test "reserved fields must be zero; one SNP ID block per platform" {
    mk res <<<"$SNP
page gpa=0x1000 reserved=1"
    run "$GUESTIMG" igvm dump "$D/res.igvm"
    assert_error 1 "directive 2 \(PAGE_DATA\).*: reserved field is 0x1, not zero"
    mk two <<<"$SNP
idblock ld=$(printf '00%.0s' {1..48})
idblock ld=$(printf '00%.0s' {1..48})"
    run "$GUESTIMG" igvm measure "$D/two.igvm"
    assert_error 1 "two.igvm: directive 3 \(SNP_ID_BLOCK\) at offset 0x[0-9a-f]+: a second ID block for the SEV-SNP platform"
}

@test "a file shorter than the fixed header" {
    printf 'IGVM' >"$D/short.igvm"
    run "$GUESTIMG" igvm measure "$D/short.igvm"
    assert_error 1 "short.igvm: 4 bytes, shorter than the IGVM fixed header"
}

@test "total size not matching the file" {
    mk bad <<<"$SNP"
    printf 'x' >>"$D/bad.igvm"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: the header gives the file size as [0-9]+ bytes, the file has"
}

@test "CRC mismatch: an error, unless --no-checksum (then a warning)" {
    mk bad --checksum 0x1234 <<<"$SNP
page gpa=0x1000 data=A"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: checksum mismatch: the header says 0x00001234, the headers hash to 0x[0-9a-f]{8} \(--no-checksum reads it anyway\)$"
    want=$(/usr/bin/python3 "$MKIGVM" measure "$D/bad.igvm")
    run "$GUESTIMG" igvm measure --no-checksum "$D/bad.igvm"
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "guestimg: warning: "*"checksum mismatch ignored"* ]]
    assert_equal "${lines[1]}" "$want"
    run "$GUESTIMG" igvm dump --no-checksum "$D/bad.igvm"
    [[ ${lines[1]} == *"checksum 0x00001234 (MISMATCH)" ]]
}

@test "a TLV running past the header section" {
    mk bad <<<"$SNP
raw type=0x302 len=0x1000 body=24"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: directive 2 \(PAGE_DATA\) at offset 0x48: length 4096 runs past the end"
}

@test "a header of the wrong length for its type" {
    mk bad <<<"$SNP
raw type=0x302 len=16"
    run "$GUESTIMG" igvm dump "$D/bad.igvm"
    assert_error 1 "bad.igvm: directive 2 \(PAGE_DATA\) at offset 0x48: length 16, expected 24"
}

@test "headers out of section order" {
    mk bad <<<"platform mask=1 type=2
page gpa=0x1000 data=A
policy mask=1"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: header 2 \(GUEST_POLICY\) at offset 0x[0-9a-f]+: initialization header after the directive section began"
    mk bad2 <<<"$SNP
platform mask=2 type=0"
    run "$GUESTIMG" igvm measure "$D/bad2.igvm"
    assert_error 1 "bad2.igvm: header 2 \(SUPPORTED_PLATFORM\).*: platform header after the initialization section began"
}

@test "a file offset outside the file, or into the headers" {
    mk bad <<<"$SNP
page gpa=0x1000 file_offset=0x40000"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: directive 2 \(PAGE_DATA\) at offset 0x48: file offset 0x40000 \(0x1000 bytes\) lies outside the file"
    mk bad2 <<<"$SNP
page gpa=0x1000 data=A
vp file_offset=0x20"
    run "$GUESTIMG" igvm measure "$D/bad2.igvm"
    assert_error 1 "bad2.igvm: directive 3 \(VP_CONTEXT\).*: file offset 0x20 points into the headers"
}

@test "a directive for an unknown platform" {
    mk bad <<<"$SNP
page gpa=0x1000 mask=4 data=A"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "bad.igvm: directive 2 \(PAGE_DATA\).*: compatibility mask 0x4 names a platform the file does not declare"
}

@test "no SNP platform: measure fails, dump works; no platform at all: both fail" {
    mk native <<<"platform mask=1 type=0
page gpa=0x1000 data=A"
    run "$GUESTIMG" igvm measure "$D/native.igvm"
    assert_error 1 "native.igvm: no SEV-SNP platform"
    run "$GUESTIMG" igvm dump "$D/native.igvm"
    [ "$status" -eq 0 ]
    mk none <<<"raw type=0x3ff optional=1"
    run "$GUESTIMG" igvm dump "$D/none.igvm"
    assert_error 1 "none.igvm: no SUPPORTED_PLATFORM header"
}

@test "platform header rules: one mask bit, known type, no repeats" {
    for case in "mask=3 type=2|exactly one bit" "mask=1 type=9|unknown platform type 9" \
        "mask=1 type=2 vtl=1|highest VTL 1" "mask=1 type=2 version=2|platform version 2"; do
        mk bad <<<"platform ${case%%|*}"
        run "$GUESTIMG" igvm dump "$D/bad.igvm"
        assert_error 1 "header 0 \(SUPPORTED_PLATFORM\).*${case#*|}"
    done
    mk twice <<<"platform mask=1 type=2
platform mask=2 type=2"
    run "$GUESTIMG" igvm dump "$D/twice.igvm"
    assert_error 1 "header 1 \(SUPPORTED_PLATFORM\).*SEV_SNP platform with mask 0x2 repeats header 0"
}

@test "directive rules: alignment, flags, data types, parameter areas, unknown types" {
    # One case a line: headers (";" between them) | the error.
    while IFS='|' read -r spec want; do
        mk bad <<<"$SNP
${spec//;/$'\n'}"
        run "$GUESTIMG" igvm measure "$D/bad.igvm"
        echo "case: $spec" >&2
        assert_error 1 "bad.igvm: directive .*$want"
    done <<'EOF'
page gpa=0x1234 data=A|GPA 0x1234 is not a multiple of 0x1000
page gpa=0x1000 flags=2mb|GPA 0x1000 is not a multiple of 0x200000
page gpa=0x1000 flags=8|unknown page flags 0x8
page gpa=0x1000 data_type=7|unknown page data type 7
insert gpa=0x1000 index=3|parameter area 3 is not declared before
param index=1|parameter area 1 is not declared before
area index=0;area index=0|parameter area 0 is declared twice
area size=0x800|parameter area size 0x800 is not a multiple of 0x1000
area size=0x8000000|parameter area 0 has 0x8000000 bytes \(1 to 0x4000000 allowed\)
vp file_offset=0|no context data
raw type=0x3ff|unknown header type 0x3ff, not marked optional
EOF
}

@test "a parameter used after its area was inserted, or past its end" {
    mk bad <<<"$SNP
area index=0
insert gpa=0x1000 index=0
param index=0"
    run "$GUESTIMG" igvm measure "$D/bad.igvm"
    assert_error 1 "directive 4 \(VP_COUNT_PARAMETER\).*parameter area 0 was already inserted"
    mk bad2 <<<"$SNP
area index=0
param index=0 offset=0x1000"
    run "$GUESTIMG" igvm measure "$D/bad2.igvm"
    assert_error 1 "directive 3 \(VP_COUNT_PARAMETER\).*byte offset 0x1000 lies outside parameter area 0"
}

@test "missing file, directory, usage errors" {
    run "$GUESTIMG" igvm measure "$D/nope.igvm"
    assert_error 1 "^guestimg: .*/nope.igvm: No such file or directory"
    run "$GUESTIMG" igvm dump "$D"
    assert_error 1 "not a regular file"
    run "$GUESTIMG" igvm
    assert_error 2 "missing subcommand"
    run "$GUESTIMG" igvm frob x.igvm
    assert_error 2 "unknown subcommand 'frob'"
    run "$GUESTIMG" igvm measure
    assert_error 2 "missing FILE"
    run "$GUESTIMG" igvm measure a b
    assert_error 2 "unexpected argument 'b'"
    run "$GUESTIMG" igvm measure --frob a
    assert_error 2 "unrecognized option '--frob'"
    run "$GUESTIMG" igvm dump --native-zero a
    assert_error 2 "measure options"
}
