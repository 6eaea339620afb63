#!/usr/bin/env bats
# Full attestation with guestimg report: AMD's pinned roots against a lab
# chain, HOST_DATA from an AKS agent policy or a Kata/CoCo initdata, and the
# appraisal of a report against a release.json. The lab chain and every
# report are made by the openssl CLI and Python (tests/lib/labsnp.bash,
# tests/lib/snp_report.py); expected digests by openssl dgst, Python's
# hashlib and the upstream figures quoted in
# tests/fixtures/reference/attestation/HOST_DATA.md.
load lib/common
load lib/labsnp
bats_require_minimum_version 1.5.0

setup_file() {
    export LAB=$BATS_FILE_TMPDIR/lab
    lab_chain "$LAB"
}

M=$(printf '4d%.0s' {1..48})      # the release's QEMU launch digest
MI=$(printf '1a%.0s' {1..48})     # its production IGVM file's
MD=$(printf 'db%.0s' {1..48})     # its debug IGVM file's
IDK=$(printf '1d%.0s' {1..48})
AUK=$(printf 'a0%.0s' {1..48})
IGK=$(printf '16%.0s' {1..48})    # the IGVM ID block's key digest

setup() {
    D=$BATS_TEST_TMPDIR
    printf 'package agent_policy\n\ndefault CreateContainerRequest := true\n' >"$D/policy.rego"
    HD=$(openssl dgst -sha256 -r "$D/policy.rego" | cut -d' ' -f1)
    # a release.json (the demo release's, the release fuzz seed) with one
    # QEMU measurement, an appraisal object and its two IGVM entries given
    # these digests, policies and ID key
    /usr/bin/python3 - "$ROOT/tests/fuzz/corpus/fuzz_release_json/demo_igvm.json" "$D/release.json" \
        "$M" "$MI" "$MD" "$IDK" "$AUK" "$IGK" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m, mi, md, idk, auk, igk = sys.argv[3:]
r["measurements"] = [dict(r["measurements"][0], digest=m, vcpus=2)]
r["svn"] = 2
r["appraisal"] = {"guest_policy": 0x30000, "vmpl": 0, "min_tcb": "bl=3,tee=0,snp=8,ucode=115",
                  "id_key_digest": idk, "author_key_digest": auk}
for g in r["igvm"]:
    debug = g["variant"] == "debug"
    g.update(digest=md if debug else mi, guest_policy=0x30000 | (1 << 19 if debug else 0), id_key_digest=igk)
open(sys.argv[2], "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
}

# good_report OUT [field=value]...: what the release's QEMU launch with the
# sample policy reports, overridden by the fields given.
good_report() {
    local out=$1
    shift
    lab_report "$LAB" "$out" measurement="$M" host_data="$HD" guest_svn=2 policy=0x30000 vmpl=0 \
        id_key_digest="$IDK" author_key_digest="$AUK" "$@"
}

verify_lab() {
    "$GUESTIMG" report verify "$1" --trust-ark "$LAB/ark.pem" --ask "$LAB/ask.pem" --vcek "$LAB/vcek.pem" "${@:2}"
}

# one_fail ID-TEXT: the run failed (exit 1) with exactly one FAIL line, starting "FAIL ID-TEXT".
one_fail() {
    [ "$status" -eq 1 ] || { echo "status $status: $output" >&2; return 1; }
    [ "$(grep -c '^FAIL' <<<"$output")" -eq 1 ] || { echo "not one FAIL: $output" >&2; return 1; }
    grep -q "^FAIL $1" <<<"$output" || { echo "no 'FAIL $1': $output" >&2; return 1; }
}

@test "roots: a self-made chain with AMD's names that signs a forged report fails, naming the ARK" {
    lab_chain "$D/impostor"
    # the same names as AMD's Milan ARK, ASK: only the keys differ
    openssl req -x509 -key "$D/impostor/ark.key" -out "$D/impostor/ark.pem" -days 2 -sha384 \
        -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 \
        -subj "$(openssl x509 -in "$REF/attestation/milan_ark.pem" -noout -subject -nameopt compat | sed 's/^subject=//')" \
        -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl x509 -req -in "$D/impostor/ask.csr" -CA "$D/impostor/ark.pem" -CAkey "$D/impostor/ark.key" -set_serial 2 \
        -days 2 -out "$D/impostor/ask.pem" -extfile "$D/impostor/ca.ext" -sha384 -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:48 2>/dev/null
    openssl x509 -req -in "$D/impostor/vcek.csr" -CA "$D/impostor/ask.pem" -CAkey "$D/impostor/ask.key" -set_serial 3 \
        -days 2 -out "$D/impostor/vcek.pem" -extfile "$D/impostor/vcek.ext" -sha384 -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:48 2>/dev/null
    openssl verify -CAfile "$D/impostor/ark.pem" -untrusted "$D/impostor/ask.pem" "$D/impostor/vcek.pem"
    [ "$(openssl x509 -in "$D/impostor/ark.pem" -noout -subject)" = "$(openssl x509 -in "$REF/attestation/milan_ark.pem" -noout -subject)" ]
    lab_report "$D/impostor" "$D/forged.bin" measurement="$M"
    spki=$(openssl x509 -in "$D/impostor/ark.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
    amd=$(openssl x509 -in "$REF/attestation/milan_ark.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
    run "$GUESTIMG" report verify "$D/forged.bin" --ark "$D/impostor/ark.pem" --ask "$D/impostor/ask.pem" \
        --vcek "$D/impostor/vcek.pem" --measurement "$M"
    one_fail "ARK is AMD's: expected AMD's ARK-Milan key (SPKI sha256 $amd) actual ARK-Milan, a key AMD does not publish (SPKI sha256 $spki;"
    [[ $output == *"ok report signed by VCEK"* ]]   # every signature holds: only the root gives it away
    [[ ${lines[-1]} == *": 1 of 9 checks failed" ]]
    # the same chain as a cert_chain file (ASK, then ARK)
    cat "$D/impostor/ask.pem" "$D/impostor/ark.pem" >"$D/chain.pem"
    run "$GUESTIMG" report verify "$D/forged.bin" --cert-chain "$D/chain.pem" --vcek "$D/impostor/vcek.pem"
    one_fail "ARK is AMD's"
}

@test "roots: --trust-ark accepts a lab root, and every run says so (text, stderr, JSON)" {
    lab_report "$LAB" "$D/r.bin" measurement="$M"
    run --separate-stderr verify_lab "$D/r.bin" --measurement "$M"
    [ "$status" -eq 0 ]
    assert_equal "${lines[0]}" "ok ARK is the root given by --trust-ark $LAB/ark.pem (ARK-Milan), not AMD's pinned root"
    assert_equal "${lines[-1]}" "$D/r.bin: all 9 checks passed (root trusted by --trust-ark $LAB/ark.pem, not AMD's)"
    [[ $stderr == *"warning: $D/r.bin: verified against --trust-ark $LAB/ark.pem, not AMD's pinned roots"* ]]
    run --separate-stderr verify_lab "$D/r.bin" --measurement "$M" --json
    [ "$status" -eq 0 ]
    /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["trusted_ark"] == sys.argv[1] and j["failed"] == 0, j
assert j["checks"][0]["check"] == "root" and "not AMD" in j["checks"][0]["description"]' "$LAB/ark.pem" <<<"$output"
    # --ark and --trust-ark given: the ARK must be the trusted one
    lab_chain "$D/other"
    run verify_lab "$D/r.bin" --ark "$D/other/ark.pem"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL ARK is the --trust-ark root: expected the key of --trust-ark $LAB/ark.pem"* ]]
    # trusting a lab root does not make AMD's chain pass
    xxd -r -p "$REF/attestation/report_milan.hex" >"$D/milan.bin"
    run "$GUESTIMG" report verify "$D/milan.bin" --cert-chain "$REF/attestation/cert_chain_milan" \
        --vcek "$REF/attestation/vcek_milan.der" --trust-ark "$LAB/ark.pem"
    one_fail "ARK is the --trust-ark root"
    # and AMD's Milan report verifies with the pinned roots
    run --separate-stderr "$GUESTIMG" report verify "$D/milan.bin" --cert-chain "$REF/attestation/cert_chain_milan" \
        --vcek "$REF/attestation/vcek_milan.der"
    [ "$status" -eq 0 ]
    assert_equal "${lines[0]}" "ok ARK is AMD's ARK-Milan (pinned key)"
}

@test "host-data --policy: SHA-256 of the policy text, or of the annotation's base64 (openssl agrees)" {
    run "$GUESTIMG" report host-data --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
    assert_equal "$output" "$HD"
    base64 -w0 "$D/policy.rego" >"$D/policy.b64"
    run "$GUESTIMG" report host-data --policy-base64 "$D/policy.b64"
    assert_equal "$output" "$HD"
    # HOST_DATA.md's worked example (microsoft/kata-containers getAgentPolicyHash)
    printf 'cGFja2FnZSBhZ2VudF9wb2xpY3kK\n' >"$D/ex.b64"
    run "$GUESTIMG" report host-data --policy-base64 "$D/ex.b64" --json
    [ "$status" -eq 0 ]
    /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j == {"host_data": "45148e88381b22b43595cc1eaf2fadfd3f93998dbbb75bd4f3d69b641fe6153b", "algorithm": "sha256",
             "digest": "45148e88381b22b43595cc1eaf2fadfd3f93998dbbb75bd4f3d69b641fe6153b", "source": "policy"}, j' <<<"$output"
}

@test "host-data --initdata: the declared digest fitted to 32 bytes (hashlib agrees; kata's test vector)" {
    for alg in sha256 sha384 sha512; do
        printf 'version = "0.1.0"\nalgorithm = "%s"\n\n[data]\n"policy.rego" = '"'''"'\npackage agent_policy\n'"'''"'\n' "$alg" >"$D/init.toml"
        want=$(/usr/bin/python3 -c '
import hashlib, sys
d = hashlib.new(sys.argv[1], open(sys.argv[2], "rb").read()).digest()
print((d[:32] + bytes(32))[:32].hex())' "$alg" "$D/init.toml")
        run "$GUESTIMG" report host-data --initdata "$D/init.toml"
        [ "$status" -eq 0 ]
        assert_equal "$output" "$want"
        gzip -c "$D/init.toml" | base64 -w0 >"$D/init.b64"
        run "$GUESTIMG" report host-data --initdata-base64 "$D/init.b64"
        assert_equal "$output" "$want"
    done
    # kata-containers src/runtime/pkg/oci/utils_test.go's annotation and digest
    echo 'H4sIAFlC92cAAytLLSrOzM9TsFVQMtAz1DNQ4krMSc8vyizJyAWJFWckGpmaKXFFpySWJMZyKSUm6pXk5+YoAeXU1dW5QJhLKTklA4toQX5OZnKlXlFqej6yBABS/5JkcQAAAA==' >"$D/kata.b64"
    run "$GUESTIMG" report host-data --initdata-base64 "$D/kata.b64"
    assert_equal "$output" c6694bb7a29d6f37ec72a15582e004b9f3142159682db8509a304407419a49e5
    run "$GUESTIMG" report host-data --initdata-base64 "$D/kata.b64" --json
    /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["version"] == "0.1.0" and j["source"] == "initdata", j' <<<"$output"
}

@test "host-data: bad policies and initdata, one error line each, exit 1" {
    # host_data_error OPTION NAME CONTENT PATTERN: CONTENT (printf) in $D/NAME fails with the line PATTERN (after its name)
    host_data_error() {
        printf "$3" >"$D/$2"
        run "$GUESTIMG" report host-data "$1" "$D/$2"
        assert_error 1 "^guestimg: $D/$2: $4"
    }
    host_data_error --policy bin.rego 'package x\n\x00\n' "not text: control byte 0x00 at offset 10$"
    host_data_error --policy utf.rego '\xff\xfe' "not text: invalid UTF-8 at offset 0$"
    host_data_error --policy-base64 bad.b64 'not base64!' "not base64"
    host_data_error --initdata md5.toml 'version = "0.1.0"\nalgorithm = "md5"\n[data]\n' \
        "unknown initdata algorithm 'md5' \\(known: sha256, sha384, sha512\\)$"
    host_data_error --initdata v2.toml 'version = "0.2.0"\nalgorithm = "sha256"\n[data]\n' \
        "unknown initdata version '0.2.0' \\(known: 0.1.0\\)$"
    host_data_error --initdata none.toml '[data]\nversion = "0.1.0"\n' \
        "no version key before the first table: not an initdata document$"
    base64 -w0 "$D/v2.toml" >"$D/plain.b64"
    run "$GUESTIMG" report host-data --initdata-base64 "$D/plain.b64"
    assert_error 1 "^guestimg: $D/plain.b64: not gzip data"
    run "$GUESTIMG" report host-data --policy "$D/missing"
    assert_error 1 "^guestimg: $D/missing: cannot open"
    run "$GUESTIMG" report host-data
    assert_error 2 "give --policy, --policy-base64, --initdata or --initdata-base64"
    run "$GUESTIMG" report host-data --policy "$D/policy.rego" --initdata "$D/v2.toml"
    assert_error 2 "give one"
}

@test "verify --policy / --initdata: HOST_DATA against the pod's configuration" {
    good_report "$D/r.bin"
    run verify_lab "$D/r.bin" --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
    [[ $output == *"ok host data = --policy $D/policy.rego"* ]]
    printf 'package agent_policy\n\ndefault CreateContainerRequest := false\n' >"$D/other.rego"
    run verify_lab "$D/r.bin" --policy "$D/other.rego"
    one_fail "host data: expected $(openssl dgst -sha256 -r "$D/other.rego" | cut -d' ' -f1) (--policy $D/other.rego) actual $HD"
    printf 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"aa.toml" = "x"\n' >"$D/init.toml"
    good_report "$D/i.bin" host_data="$(openssl dgst -sha384 -r "$D/init.toml" | cut -c1-64)"
    run verify_lab "$D/i.bin" --initdata "$D/init.toml"
    [ "$status" -eq 0 ]
    gzip -c "$D/init.toml" | base64 -w0 >"$D/init.b64"
    run verify_lab "$D/i.bin" --initdata-base64 "$D/init.b64"
    [ "$status" -eq 0 ]
    run verify_lab "$D/r.bin" --initdata "$D/init.toml"
    one_fail "host data"
}

@test "verify --release: a report of the release's launch passes every check, one line each" {
    good_report "$D/r.bin"
    run --separate-stderr verify_lab "$D/r.bin" --release "$D/release.json" --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
    assert_equal "${lines[8]}" "ok measurement = release snp QEMU EPYC-v4 2 vCPU"
    assert_equal "${lines[9]}" "ok guest policy 0x30000 within release policy 0x30000 (debug off, migration agent off)"
    assert_equal "${lines[10]}" "ok VMPL 0"
    assert_equal "${lines[11]}" "ok guest SVN 2 >= release SVN 2"
    assert_equal "${lines[12]}" "ok reported TCB boot_loader 3 tee 0 snp 8 microcode 115 >= release boot_loader 3 tee 0 snp 8 microcode 115"
    assert_equal "${lines[13]}" "ok ID key digest = release"
    assert_equal "${lines[14]}" "ok author key digest = release"
    assert_equal "${lines[15]}" "ok host data = --policy $D/policy.rego"
    assert_equal "${lines[16]}" "$D/r.bin: all 16 checks passed (root trusted by --trust-ark $LAB/ark.pem, not AMD's)"
    # a stricter report passes too: SMT off, single socket, a higher SVN and TCB
    lab_chain "$D/newer"
    sed -i 's/3.3=DER:02:01:08/3.3=DER:02:01:09/' "$D/newer/vcek.ext"
    openssl x509 -req -in "$D/newer/vcek.csr" -CA "$D/newer/ask.pem" -CAkey "$D/newer/ask.key" -set_serial 3 -days 2 \
        -out "$D/newer/vcek.pem" -extfile "$D/newer/vcek.ext" -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 2>/dev/null
    lab_report "$D/newer" "$D/s.bin" measurement="$M" host_data="$HD" guest_svn=3 policy=$((0x20000 | 1 << 20)) \
        id_key_digest="$IDK" author_key_digest="$AUK" reported_tcb=0300000000000973
    run "$GUESTIMG" report verify "$D/s.bin" --trust-ark "$D/newer/ark.pem" --ask "$D/newer/ask.pem" \
        --vcek "$D/newer/vcek.pem" --release "$D/release.json" --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
}

@test "verify --release: each field off fails exactly its check, naming it" {
    local cases=(
        "measurement=$(printf '4e%.0s' {1..48})|measurement: expected $M (release snp QEMU EPYC-v4 2 vCPU) or $MD (release igvm kata-containers-igvm-debug.img (debug)) or $MI (release igvm kata-containers-igvm.img (production)) actual 4e4e"
        "host_data=$(printf '00%.0s' {1..32})|host data: expected $HD (--policy $D/policy.rego) actual $(printf '00%.0s' {1..32})"
        "policy=$((0x30000 | 1 << 19))|guest policy: expected debug_allowed 0 (release policy 0x30000) actual debug_allowed 1 (policy 0xb0000)"
        "policy=$((0x30000 | 1 << 18))|guest policy: expected migrate_ma_allowed 0 (release policy 0x30000) actual migrate_ma_allowed 1 (policy 0x70000)"
        "guest_svn=1|guest SVN: expected 2 or more (release SVN) actual 1"
        "vmpl=1|VMPL: expected VMPL 0 actual VMPL 1"
        "id_key_digest=$(printf '00%.0s' {1..48})|ID key digest: expected $IDK (release) actual $(printf '00%.0s' {1..48})"
        "author_key_digest=$IDK|author key digest: expected $AUK (release) actual $IDK"
    )
    local c
    for c in "${cases[@]}"; do
        good_report "$D/bad.bin" "${c%%|*}"
        run verify_lab "$D/bad.bin" --release "$D/release.json" --policy "$D/policy.rego"
        one_fail "${c#*|}" || { echo "case ${c%%|*}" >&2; return 1; }
        [[ ${lines[-1]} == *": 1 of 16 checks failed (root trusted by --trust-ark $LAB/ark.pem, not AMD's)" ]]
    done
    # a higher minimum TCB than the chip's (the report's TCB is the VCEK's)
    good_report "$D/r.bin"
    run verify_lab "$D/r.bin" --release "$D/release.json" --min-tcb bl=3,tee=0,snp=9,ucode=115
    one_fail "reported TCB minimum: expected boot_loader 3 tee 0 snp 9 microcode 115 or more (--min-tcb) actual boot_loader 3 tee 0 snp 8 microcode 115"
    run verify_lab "$D/r.bin" --release "$D/release.json" --min-tcb 0300000000000874
    one_fail "reported TCB minimum: expected boot_loader 3 tee 0 snp 8 microcode 116 or more"
    # without --trust-ark the lab chain is refused, whatever else holds
    run "$GUESTIMG" report verify "$D/r.bin" --cert-chain <(cat "$LAB/ask.pem" "$LAB/ark.pem") --vcek "$LAB/vcek.pem" \
        --release "$D/release.json" --policy "$D/policy.rego"
    one_fail "ARK is AMD's: expected AMD's ARK-Milan key"
}

@test "verify --release: an IGVM launch is named, with its ID block's policy and key; the debug file fails" {
    good_report "$D/r.bin" measurement="$MI" id_key_digest="$IGK"
    run verify_lab "$D/r.bin" --release "$D/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok measurement = release igvm kata-containers-igvm.img (production)"* ]]
    [[ $output == *"ok guest policy 0x30000 within release igvm kata-containers-igvm.img (production) policy 0x30000"* ]]
    [[ $output == *"ok ID key digest = release igvm kata-containers-igvm.img (production)"* ]]
    # the release's ID key is not the IGVM file's
    good_report "$D/k.bin" measurement="$MI"
    run verify_lab "$D/k.bin" --release "$D/release.json"
    one_fail "ID key digest: expected $IGK (release igvm kata-containers-igvm.img (production)) actual $IDK"
    # the debug IGVM (console open) is the release's, but no production launch
    good_report "$D/d.bin" measurement="$MD" id_key_digest="$IGK" policy=$((0x30000 | 1 << 19))
    run verify_lab "$D/d.bin" --release "$D/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL measurement: expected a production launch of the release actual release igvm kata-containers-igvm-debug.img (debug), a debug build (its console is open)"* ]]
}

@test "verify: bad appraisal inputs, one error line each, exit 1" {
    good_report "$D/r.bin"
    run verify_lab "$D/r.bin" --min-tcb bl=3,tee=0,snp=8
    assert_error 1 "^guestimg: --min-tcb: 'bl=3,tee=0,snp=8': no ucode"
    run verify_lab "$D/r.bin" --min-tcb bl=3,tee=0,snp=800,ucode=1
    assert_error 1 "^guestimg: --min-tcb: .*snp=800 is not a number from 0 to 255$"
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); r["measurements"] = []; r["igvm"] = []
json.dump(r, open(sys.argv[2], "w"))' "$D/release.json" "$D/none.json"
    run verify_lab "$D/r.bin" --release "$D/none.json"
    assert_error 1 "^guestimg: $D/none.json: publishes no SNP measurement \(48-byte digest\) and no IGVM file"
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); r["appraisal"]["min_tcb"] = "fast"
json.dump(r, open(sys.argv[2], "w"))' "$D/release.json" "$D/tcb.json"
    run verify_lab "$D/r.bin" --release "$D/tcb.json"
    assert_error 1 "^guestimg: $D/tcb.json: appraisal.min_tcb: 'fast': 'fast' is not bl, tee, snp, ucode or fmc"
    /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); r["igvm"][1]["digest"] = "00"
json.dump(r, open(sys.argv[2], "w"))' "$D/release.json" "$D/igvm.json"
    run verify_lab "$D/r.bin" --release "$D/igvm.json"
    assert_error 1 "^guestimg: $D/igvm.json: igvm\[1\].digest must be 48 bytes in lower-case hex$"
    run verify_lab "$D/r.bin" --vmpl 4
    assert_error 2 "--vmpl: '4' is not 0, 1, 2 or 3"
}

@test "end to end: the demo release built here; a report of its production IGVM launch passes, a report of anything else fails" {
    load lib/guest
    [ -s "$ROOT/output/debs/busybox-static.deb" ] || { echo "output/debs/busybox-static.deb is absent (make deps)" >&2; return 1; }
    require_kernel_source
    # the demo manifest in a workspace (the build writes its lock beside it)
    mkdir -p "$D/ws/manifests" "$D/ws/tools/demo-guest"
    cp "$ROOT/manifests/demo.yaml" "$D/ws/manifests/"
    cp "$ROOT/tools/demo-guest/init" "$D/ws/tools/demo-guest/"
    ln -s "$ROOT/output" "$D/ws/output"
    ln -s "$ROOT/acpi-tables" "$D/ws/acpi-tables"
    "$GUESTIMG" build -q "$D/ws/manifests/demo.yaml" -o "$D/rel" >/dev/null 2>&1
    # what the processor would report, from the IGVM file itself (igvm
    # measure: its digest, GUEST_POLICY and ID key), not from release.json
    j=$("$GUESTIMG" igvm measure --json "$D/rel/kata-containers-igvm.img")
    digest=$(jq -r .digest <<<"$j")
    policy=$(jq -r .guest_policy <<<"$j")
    idk=$(jq -r .id_block.id_key_digest <<<"$j")
    svn=$(jq -r .id_block.guest_svn <<<"$j")
    lab_report "$LAB" "$D/r.bin" measurement="$digest" host_data="$HD" guest_svn="$svn" policy="$policy" vmpl=0 \
        id_key_digest="$idk"
    run verify_lab "$D/r.bin" --release "$D/rel/release.json" --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
    [[ $output == *"ok measurement = release igvm kata-containers-igvm.img (production)"* ]]
    [[ $output == *"ok ID key digest = release igvm kata-containers-igvm.img (production)"* ]]
    # the appraisal build wrote from the manifest's measure.appraisal: VMPL
    # 0, at least the lab chip's TCB (bootloader 3, tee 0, snp 8, microcode 115)
    [[ $output == *"ok VMPL 0"* ]]
    [[ $output == *"ok reported TCB boot_loader 3 tee 0 snp 8 microcode 115 >= release boot_loader 3 tee 0 snp 8 microcode 115"* ]]
    # a report at VMPL 1 fails the release's VMPL
    lab_report "$LAB" "$D/v.bin" measurement="$digest" host_data="$HD" guest_svn="$svn" policy="$policy" vmpl=1 \
        id_key_digest="$idk"
    run verify_lab "$D/v.bin" --release "$D/rel/release.json" --policy "$D/policy.rego"
    one_fail "VMPL: expected VMPL 0 actual VMPL 1"
    # a chip whose SNP firmware is one level older (snpSPL 7) fails the release's minimum TCB
    lab_chain "$D/old"
    sed -i 's/3.3=DER:02:01:08/3.3=DER:02:01:07/' "$D/old/vcek.ext"
    openssl x509 -req -in "$D/old/vcek.csr" -CA "$D/old/ask.pem" -CAkey "$D/old/ask.key" -set_serial 3 -days 2 \
        -out "$D/old/vcek.pem" -extfile "$D/old/vcek.ext" -sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 2>/dev/null
    lab_report "$D/old" "$D/t.bin" measurement="$digest" host_data="$HD" guest_svn="$svn" policy="$policy" vmpl=0 \
        id_key_digest="$idk" reported_tcb=0300000000000773 current_tcb=0300000000000773
    run "$GUESTIMG" report verify "$D/t.bin" --trust-ark "$D/old/ark.pem" --ask "$D/old/ask.pem" \
        --vcek "$D/old/vcek.pem" --release "$D/rel/release.json" --policy "$D/policy.rego"
    one_fail "reported TCB minimum: expected boot_loader 3 tee 0 snp 8 microcode 115 or more (release) actual boot_loader 3 tee 0 snp 7 microcode 115"
    # the release's QEMU launch (OVMF, 1 vCPU) with debugging allowed fails
    # the release's policy; without debug it passes
    qemu=$("$GUESTIMG" measure --mode snp --vcpus 1 --vcpu-type EPYC-v4 --ovmf "$D/rel/OVMF.fd")
    lab_report "$LAB" "$D/q.bin" measurement="$qemu" host_data="$HD" guest_svn=0 policy=$((1 << 16 | 1 << 17)) vmpl=0
    run verify_lab "$D/q.bin" --release "$D/rel/release.json" --policy "$D/policy.rego"
    [ "$status" -eq 0 ]
    [[ $output == *"ok guest policy 0x30000 within release policy 0x30000 (debug off, migration agent off)"* ]]
    lab_report "$LAB" "$D/g.bin" measurement="$qemu" host_data="$HD" guest_svn=0 policy=$((1 << 16 | 1 << 17 | 1 << 19)) vmpl=0
    run verify_lab "$D/g.bin" --release "$D/rel/release.json" --policy "$D/policy.rego"
    one_fail "guest policy: expected debug_allowed 0 (release policy 0x30000) actual debug_allowed 1 (policy 0xb0000)"
    # the same guest with a command line one byte longer: another digest, refused
    cmd=$(jq -r '.igvm[] | select(.variant == "production") | .cmdline' "$D/rel/release.json")
    "$GUESTIMG" igvm build -o "$D/other.igvm" --kernel "$D/rel/vmlinuz" --boot-mode x64 --vtl 0 \
        --acpi-dir "$ROOT/acpi-tables/clh" --append "$cmd " >/dev/null
    other=$("$GUESTIMG" igvm measure "$D/other.igvm")
    [ "$other" != "$digest" ]
    lab_report "$LAB" "$D/o.bin" measurement="$other" host_data="$HD" guest_svn="$svn" policy="$policy" vmpl=0 \
        id_key_digest="$idk"
    run verify_lab "$D/o.bin" --release "$D/rel/release.json" --policy "$D/policy.rego"
    one_fail "measurement: expected "
    # rebuilt from the release's own inputs, the production IGVM is the published file
    rm -rf "$D/acpi" && mkdir "$D/acpi"
    for t in "$D"/rel/acpi-*.aml; do cp "$t" "$D/acpi/${t##*/acpi-}"; done
    "$GUESTIMG" igvm build -o "$D/again.igvm" --kernel "$D/rel/vmlinuz" --boot-mode x64 --vtl 0 \
        --acpi-dir "$D/acpi" --append "$cmd" >/dev/null
    cmp "$D/again.igvm" "$D/rel/kata-containers-igvm.img"
}
