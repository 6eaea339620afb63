#!/usr/bin/env bats
# guestimg report show|verify on a real Milan attestation report and AMD's
# certificates (tests/fixtures/reference/attestation, virtee/sev's test data).
# Independent checks: the reference README's figures, `openssl verify` of
# the RSA-PSS chain, `openssl asn1parse` of the VCEKs' extensions, and an
# ECDSA check of the report with the VCEK's key by `openssl dgst` after
# Python turns the little-endian R and S into DER.
load lib/common
bats_require_minimum_version 1.5.0

MEASUREMENT=7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f

setup() {
    require_reference
    A=$REF/attestation
    D=$BATS_TEST_TMPDIR
    xxd -r -p "$A/report_milan.hex" >"$D/report.bin"
}

# verify_milan REPORT [options]: against the Milan chain and VCEK.
verify_milan() {
    local report=$1
    shift
    "$GUESTIMG" report verify "$report" --ark "$A/milan_ark.pem" --ask "$A/milan_ask.pem" \
        --vcek "$A/vcek_milan.der" "$@"
}

# flip FILE OFFSET: xor one byte of FILE with 0x01, in place.
flip() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2], 0)
b = bytearray(open(p, "rb").read())
b[off] ^= 1
open(p, "wb").write(b)
PY
}

# openssl_report_sig REPORT VCEK: openssl's verdict on the report's
# signature (R, S little-endian at 0x2A0) over bytes 0-0x29F.
openssl_report_sig() {
    /usr/bin/python3 - "$1" "$D/sig.der" "$D/body.bin" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
def der_int(v):
    raw = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return b"\x02" + bytes([len(raw)]) + raw
r = int.from_bytes(b[0x2A0:0x2A0 + 72], "little")
s = int.from_bytes(b[0x2E8:0x2E8 + 72], "little")
body = der_int(r) + der_int(s)
open(sys.argv[2], "wb").write(b"\x30" + bytes([len(body)]) + body)
open(sys.argv[3], "wb").write(b[:0x2A0])
PY
    openssl x509 -inform DER -in "$2" -pubkey -noout >"$D/vcek_pub.pem"
    openssl dgst -sha384 -verify "$D/vcek_pub.pem" -signature "$D/sig.der" "$D/body.bin"
}

# The value of VCEK extension 1.3.6.1.4.1.3704.1.ARC as asn1parse dumps it.
vcek_ext_hex() {
    openssl asn1parse -inform DER -in "$1" | grep -A1 ":1.3.6.1.4.1.3704.1.$2\$" |
        sed -n 's/.*\[HEX DUMP\]://p'
}

@test "report show: the reference report's figures (README), text and JSON" {
    run "$GUESTIMG" report show "$D/report.bin" --vcek "$A/vcek_milan.der"
    [ "$status" -eq 0 ]
    [[ $output == *$'\nversion: 2\n'* || ${lines[0]} == "version: 2" ]]
    [[ $output == *"measurement: $MEASUREMENT"* ]]
    [[ $output == *$'policy:\n  value: 0x30000\n'* ]]
    [[ $output == *$'reported_tcb:\n  raw: 0300000000000873\n  boot_loader: 3\n  tee: 0\n  snp: 8\n  microcode: 115\n'* ]]
    [[ $output == *"generation: Milan"* ]]

    "$GUESTIMG" report show "$D/report.bin" --generation milan --json >"$D/show.json"
    /usr/bin/python3 - "$D/show.json" "$MEASUREMENT" "$D/report.bin" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
b = open(sys.argv[3], "rb").read()
assert j["version"] == 2 and j["generation"] == "Milan", j
assert j["measurement"] == sys.argv[2]
assert j["policy"]["value"] == "0x30000" and j["policy"]["smt_allowed"] is True
assert j["policy"]["debug_allowed"] is False and j["policy"]["migrate_ma_allowed"] is False
assert j["reported_tcb"] == {"raw": "0300000000000873", "boot_loader": 3, "tee": 0, "snp": 8, "microcode": 0x73}
assert j["chip_id"] == b[0x1A0:0x1E0].hex() and j["report_data"] == b[0x50:0x90].hex()
assert j["key_info"]["signing_key"] == "vcek"
assert "cpuid" not in j and "launch_mit_vector" not in j
assert int(j["signature"]["r"], 16) == int.from_bytes(b[0x2A0:0x2E8], "little")
PY
}

@test "report show: a version 2 report without a generation decodes its TCBs as Milan or Genoa" {
    # No CPUID: firmware older than Turin's; Milan and Genoa share the TCB
    # layout (boot loader, TEE, SNP, microcode in bytes 0, 1, 6, 7 of AMD's
    # TCB_VERSION), which Python reads here from the report's own bytes.
    run --separate-stderr "$GUESTIMG" report show "$D/report.bin" --json
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    printf '%s\n' "$output" >"$D/show.json"
    /usr/bin/python3 - "$D/report.bin" "$D/show.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[2]))
b = open(sys.argv[1], "rb").read()
assert j["version"] == 2 and j["generation"] == "Milan or Genoa", j["generation"]
for key, off in (("current_tcb", 0x38), ("reported_tcb", 0x180), ("committed_tcb", 0x1E0), ("launch_tcb", 0x1F0)):
    t = b[off:off + 8]
    want = {"raw": t.hex(), "boot_loader": t[0], "tee": t[1], "snp": t[6], "microcode": t[7]}
    assert j[key] == want, (key, j[key], want)
PY
    run "$GUESTIMG" report show "$D/report.bin"
    [ "$status" -eq 0 ]
    [[ $output == *"generation: Milan or Genoa"* ]]
    [[ $output == *$'reported_tcb:\n  raw: 0300000000000873\n  boot_loader: 3\n  tee: 0\n  snp: 8\n  microcode: 115\n'* ]]
    # --generation and --vcek still name it
    run "$GUESTIMG" report show "$D/report.bin" --generation genoa --json
    /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)["generation"] == "Genoa"' <<<"$output"
    run "$GUESTIMG" report show "$D/report.bin" --vcek "$A/vcek_milan.der" --json
    /usr/bin/python3 -c 'import json,sys; assert json.load(sys.stdin)["generation"] == "Milan"' <<<"$output"
    # Turin's layout reads the same bytes differently: FMC 3, boot loader 0, SNP 0.
    run "$GUESTIMG" report show "$D/report.bin" --generation turin --json
    /usr/bin/python3 -c 'import json,sys; t=json.load(sys.stdin)["reported_tcb"]; assert (t["fmc"], t["boot_loader"], t["snp"], t["microcode"]) == (3, 0, 0, 0x73), t' <<<"$output"
}

@test "report show: version 3 and 5 reports take the generation from their CPUID" {
    /usr/bin/python3 - "$D/report.bin" "$D/v5.bin" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[0:4] = (5).to_bytes(4, "little")
b[0x188:0x18B] = bytes([0x1A, 0x02, 0x01])          # Turin
b[0x1F8:0x200] = (0x1234).to_bytes(8, "little")     # LAUNCH_MIT_VECTOR
open(sys.argv[2], "wb").write(b)
PY
    run --separate-stderr "$GUESTIMG" report show "$D/v5.bin" --json
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["version"] == 5 and j["generation"] == "Turin"
assert j["cpuid"] == {"family": "0x1a", "model": "0x2", "stepping": "0x1"}
assert j["launch_mit_vector"] == "0x1234" and j["current_mit_vector"] == "0x0"
assert j["reported_tcb"]["fmc"] == 3' <<<"$output"
    run --separate-stderr "$GUESTIMG" report show "$D/v5.bin" --generation milan
    [ "$status" -eq 0 ]
    [[ $stderr == *"--generation Milan ignored: the report's CPUID names Turin"* ]]
    # A CPUID of no known SEV-SNP part: raw TCBs unless told.
    printf '\x50' | dd of="$D/v5.bin" bs=1 seek=$((0x189)) conv=notrunc status=none
    run --separate-stderr "$GUESTIMG" report show "$D/v5.bin"
    [ "$status" -eq 0 ]
    [[ $stderr == *"CPUID (family 0x1a model 0x50) is no known generation"* ]]
    [[ $output == *$'reported_tcb:\n  raw: 0300000000000873\ncpuid:'* ]]
    run "$GUESTIMG" report show "$D/v5.bin" --generation turin
    [[ $output == *$'reported_tcb:\n  raw: 0300000000000873\n  fmc: 3\n'* ]]
}

@test "report verify: the Milan report verifies, one line per check; openssl agrees" {
    run --separate-stderr verify_milan "$D/report.bin" --measurement "$MEASUREMENT" --host-data "$(printf '0%.0s' {1..64})"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    assert_equal "${lines[0]}" "ok ARK is AMD's ARK-Milan (pinned key)"
    assert_equal "${lines[1]}" "ok ARK self-signed"
    assert_equal "${lines[2]}" "ok ASK signed by ARK"
    assert_equal "${lines[3]}" "ok VCEK signed by ASK"
    assert_equal "${lines[4]}" "ok report signed by VCEK"
    assert_equal "${lines[5]}" "ok generation Milan"
    assert_equal "${lines[6]}" "ok reported TCB boot_loader 3 tee 0 snp 8 microcode 115 = VCEK's"
    assert_equal "${lines[7]}" "ok chip ID = VCEK hwID"
    assert_equal "${lines[8]}" "ok measurement = --measurement"
    assert_equal "${lines[9]}" "ok host data = --host-data"
    assert_equal "${lines[10]}" "$D/report.bin: all 10 checks passed"
    # The same verdicts from openssl: the PSS chain, the report's ECDSA signature.
    openssl x509 -inform DER -in "$A/vcek_milan.der" -out "$D/vcek.pem"
    openssl verify -no_check_time -CAfile "$A/milan_ark.pem" -untrusted "$A/milan_ask.pem" "$D/vcek.pem"
    openssl_report_sig "$D/report.bin" "$A/vcek_milan.der"
    # The VCEK's TCB and hwID as openssl reads them: INTEGER 3, 0, 8, 0x73.
    assert_equal "$(vcek_ext_hex "$A/vcek_milan.der" 3.1)$(vcek_ext_hex "$A/vcek_milan.der" 3.2)" "020103020100"
    assert_equal "$(vcek_ext_hex "$A/vcek_milan.der" 3.3)$(vcek_ext_hex "$A/vcek_milan.der" 3.8)" "020108020173"
    assert_equal "$(vcek_ext_hex "$A/vcek_milan.der" 4 | tr A-F a-f)" "$(xxd -p -s $((0x1A0)) -l 64 "$D/report.bin" | tr -d '\n')"
}

@test "report verify: PEM or DER certificates, and AMD's cert_chain file" {
    openssl x509 -inform DER -in "$A/vcek_milan.der" -out "$D/vcek.pem"
    openssl x509 -in "$A/milan_ark.pem" -outform DER -out "$D/ark.der"
    "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_milan" --vcek "$D/vcek.pem" --measurement "$MEASUREMENT"
    "$GUESTIMG" report verify "$D/report.bin" --ark "$D/ark.der" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der" --measurement "$MEASUREMENT"
}

@test "report verify --json: one object, a stable id per check" {
    run --separate-stderr verify_milan "$D/report.bin" --measurement "$(printf 'ab%.0s' {1..48})" --json
    [ "$status" -eq 1 ]
    /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
ids = [c["check"] for c in j["checks"]]
assert ids == ["root", "ark", "ask", "vcek", "report_signature", "generation", "reported_tcb", "chip_id", "measurement"], ids
assert j["passed"] == 8 and j["failed"] == 1 and j["trusted_ark"] == "amd"
assert j["claims"]["measurement"] == sys.argv[1] and j["claims"]["init_data"] == "00" * 32
assert j["claims"]["policy_debug_allowed"] is False and j["claims"]["reported_tcb_snp"] == 8
m = j["checks"][-1]
assert m["ok"] is False and m["actual"] == sys.argv[1] and m["expected"].startswith("abab"), m' "$MEASUREMENT" <<<"$output"
}

@test "report verify: a flipped byte in the report fails its signature, openssl agrees" {
    cp "$D/report.bin" "$D/bad.bin"
    flip "$D/bad.bin" 0x30   # VMPL
    run verify_milan "$D/bad.bin" --measurement "$MEASUREMENT"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL report signed by VCEK: expected an ECDSA P-384 signature by the VCEK's key actual the signature does not verify"* ]]
    [[ $output == *"ok measurement"* ]]
    [ "$(grep -c '^FAIL' <<<"$output")" -eq 1 ]
    [[ ${lines[-1]} == *"1 of 9 checks failed" ]]
    ! openssl_report_sig "$D/bad.bin" "$A/vcek_milan.der"
}

@test "report verify: a flipped byte in the VCEK's signature fails the ASK check only" {
    cp "$A/vcek_milan.der" "$D/vcek.der"
    flip "$D/vcek.der" $(($(stat -c %s "$D/vcek.der") - 10))
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/milan_ark.pem" --ask "$A/milan_ask.pem" --vcek "$D/vcek.der"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL VCEK signed by ASK: expected a signature by SEV-Milan's key actual the signature does not verify"* ]]
    [ "$(grep -c '^FAIL' <<<"$output")" -eq 1 ]
    openssl x509 -inform DER -in "$D/vcek.der" -out "$D/vcek.pem"
    ! openssl verify -no_check_time -CAfile "$A/milan_ark.pem" -untrusted "$A/milan_ask.pem" "$D/vcek.pem"
}

@test "report verify: a flipped hwID byte in the VCEK fails the ASK's signature and the chip ID" {
    cp "$A/vcek_milan.der" "$D/vcek.der"
    off=$(openssl asn1parse -inform DER -in "$D/vcek.der" | grep -A1 ':1.3.6.1.4.1.3704.1.4$' | tail -1 | cut -d: -f1)
    flip "$D/vcek.der" $((off + 2 + 5))   # a byte inside the 64-byte OCTET STRING
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/milan_ark.pem" --ask "$A/milan_ask.pem" --vcek "$D/vcek.der"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL VCEK signed by ASK"* ]]
    [[ $output == *"FAIL chip ID: expected "* ]]
    [[ $output == *"ok report signed by VCEK"* ]]
}

@test "report verify: Genoa's ARK or chain fails the link it breaks" {
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/genoa_ark.pem" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der"
    [ "$status" -eq 1 ]
    [[ $output == *"ok ARK self-signed"* ]]
    [[ $output == *"FAIL ASK signed by ARK: expected issuer ARK-Genoa actual issuer ARK-Milan"* ]]
    # AMD's Genoa root is AMD's, but not the root of a Milan VCEK.
    [[ $output == *"FAIL ARK is AMD's: expected AMD's ARK-Milan key (SPKI sha256 "*") actual AMD's ARK-Genoa key"* ]]
    [ "$(grep -c '^FAIL' <<<"$output")" -eq 2 ]
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/genoa_ark.pem" --ask "$A/genoa_ask.pem" --vcek "$A/vcek_milan.der"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL VCEK signed by ASK: expected issuer SEV-Genoa actual issuer SEV-Milan"* ]]
    [[ $output == *"FAIL ARK is AMD's: "* ]]
    [ "$(grep -c '^FAIL' <<<"$output")" -eq 2 ]
}

@test "report verify: an impostor ARK with AMD's name fails on its signature" {
    # RSA-PSS, SHA-384, self-signed under the Milan ARK's exact subject.
    openssl req -x509 -newkey rsa:2048 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sha384 \
        -nodes -keyout "$D/k.pem" -days 1 -out "$D/fake_ark.pem" \
        -subj "/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN=ARK-Milan" 2>/dev/null
    [ "$(openssl x509 -in "$D/fake_ark.pem" -noout -subject)" = "$(openssl x509 -in "$A/milan_ark.pem" -noout -subject)" ]
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$D/fake_ark.pem" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der"
    [ "$status" -eq 1 ]
    [[ $output == *"ok ARK self-signed"* ]]
    [[ $output == *"FAIL ASK signed by ARK: expected a signature by ARK-Milan's key actual the signature does not verify"* ]]
    # The same with SHA-256: the algorithm is not AMD's.
    openssl req -x509 -key "$D/k.pem" -sigopt rsa_padding_mode:pss -sha256 -days 1 -out "$D/fake_ark.pem" \
        -subj "/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=Advanced Micro Devices/CN=ARK-Milan" 2>/dev/null
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$D/fake_ark.pem" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der"
    [[ $output == *"FAIL ARK self-signed: expected RSASSA-PSS with SHA384 actual RSASSA-PSS with SHA256"* ]]
}

@test "report verify: a Turin VCEK and chain; the checks that concern the Milan report fail" {
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_turin" --vcek "$A/vcek_turin.der"
    [ "$status" -eq 1 ]
    [[ $output == *"ok ARK self-signed"* && $output == *"ok ASK signed by ARK"* && $output == *"ok VCEK signed by ASK"* ]]
    [[ $output == *"FAIL report signed by VCEK"* ]]
    # The Turin VCEK's TCB (FMC arc 3.9) and 8-byte hwID, as openssl reads them.
    assert_equal "$(vcek_ext_hex "$A/vcek_turin.der" 3.8)$(vcek_ext_hex "$A/vcek_turin.der" 3.9)" "020109020100"
    hwid=$(vcek_ext_hex "$A/vcek_turin.der" 4 | tr A-F a-f)
    [ ${#hwid} -eq 16 ]
    [[ $output == *"FAIL reported TCB: expected boot_loader 0 tee 0 snp 0 microcode 9 fmc 0 actual boot_loader 0 tee 0 snp 0 microcode 115 fmc 3"* ]]
    [[ $output == *"FAIL chip ID: expected $hwid actual "* ]]
    # --generation must agree with the VCEK.
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_milan" --vcek "$A/vcek_milan.der" --generation genoa
    [[ $output == *"FAIL generation Milan: expected Genoa (--generation) actual Milan (VCEK product Milan-B0)"* ]]
}

@test "report verify: expected measurement, host data and report data" {
    run verify_milan "$D/report.bin" --measurement "$(printf '1%.0s' {1..96})"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL measurement: expected $(printf '1%.0s' {1..96}) (--measurement) actual $MEASUREMENT"* ]]
    # Any one of several.
    run verify_milan "$D/report.bin" --measurement "$(printf '1%.0s' {1..96})" --measurement "$MEASUREMENT"
    [ "$status" -eq 0 ]
    rd=$(xxd -p -s $((0x50)) -l 64 "$D/report.bin" | tr -d '\n')
    run verify_milan "$D/report.bin" --report-data "$rd"
    [ "$status" -eq 0 ]
    [[ $output == *"ok report data"* ]]
    run verify_milan "$D/report.bin" --report-data "${rd:0:64}"   # 32 bytes, zero-padded: differs
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL report data: expected ${rd:0:64}$(printf '0%.0s' {1..64}) (--report-data) actual $rd"* ]]
    run verify_milan "$D/report.bin" --host-data "$(printf 'f%.0s' {1..64})"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL host data"* ]]
    # No expected measurement: a warning, the rest still counts.
    run --separate-stderr verify_milan "$D/report.bin"
    [ "$status" -eq 0 ]
    [[ $stderr == *"MEASUREMENT not checked"* ]]
}

# A release.json (the release fuzz seed) whose measurements are $@.
make_release() {
    /usr/bin/python3 - "$ROOT/tests/fuzz/corpus/fuzz_release_json/valid.json" "$D/release.json" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
base = r["measurements"][0]
r["measurements"] = [dict(base, digest=d, vcpus=i + 1) for i, d in enumerate(sys.argv[3:])]
r["svn"] = 0   # the Milan report's GUEST_SVN
open(sys.argv[2], "w").write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PY
}

@test "report verify --release: MEASUREMENT must be one of the release's SNP measurements" {
    make_release "$(printf 'e%.0s' {1..96})" "$MEASUREMENT"
    run verify_milan "$D/report.bin" --release "$D/release.json"
    [ "$status" -eq 0 ]
    [[ $output == *"ok measurement = release snp QEMU EPYC-v4 2 vCPU"* ]]
    make_release "$(printf 'e%.0s' {1..96})"
    run verify_milan "$D/report.bin" --release "$D/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL measurement: expected $(printf 'e%.0s' {1..96}) (release snp QEMU EPYC-v4 1 vCPU) actual $MEASUREMENT"* ]]
    make_release
    run verify_milan "$D/report.bin" --release "$D/release.json"
    assert_error 1 "^guestimg: $D/release.json: publishes no SNP measurement \(48-byte digest\)"
    echo '{' >"$D/broken.json"
    run verify_milan "$D/report.bin" --release "$D/broken.json"
    assert_error 1 "^guestimg: $D/broken.json"
}

@test "report: bad report files, one error line each" {
    head -c 1183 "$D/report.bin" >"$D/short.bin"
    run "$GUESTIMG" report show "$D/short.bin"
    assert_error 1 "^guestimg: $D/short.bin: 1183 bytes; an SEV-SNP attestation report is 1184 bytes$"
    cat "$D/report.bin" <(printf x) >"$D/long.bin"
    run verify_milan "$D/long.bin"
    assert_error 1 "^guestimg: $D/long.bin: 1185 bytes"
    run "$GUESTIMG" report show "$A/report_milan.hex"
    assert_error 1 "hex text: convert it with xxd -r -p"
    cp "$D/report.bin" "$D/v4.bin"
    printf '\x04' | dd of="$D/v4.bin" bs=1 conv=notrunc status=none
    run "$GUESTIMG" report show "$D/v4.bin"
    assert_error 1 "^guestimg: $D/v4.bin: unknown report version 4 \(known: 2, 3, 5\)$"
    cp "$D/report.bin" "$D/alg.bin"
    printf '\x02' | dd of="$D/alg.bin" bs=1 seek=$((0x34)) conv=notrunc status=none
    run verify_milan "$D/alg.bin"
    assert_error 1 "^guestimg: $D/alg.bin: unknown signature algorithm 2"
    run "$GUESTIMG" report show "$D/missing.bin"
    assert_error 1 "^guestimg: $D/missing.bin: cannot open"
    run "$GUESTIMG" report show "$D"
    assert_error 1 "is a directory"
}

@test "report: bad certificates, one error line each" {
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/report_milan.hex" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der"
    assert_error 1 "^guestimg: $A/report_milan.hex: not a certificate \(PEM or DER X.509\)$"
    head -c 600 "$A/vcek_milan.der" >"$D/cut.der"
    run verify_milan "$D/report.bin" --vcek "$D/cut.der"
    assert_error 1 "cut.der: not a certificate"
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/milan_ark.pem" --ask "$A/milan_ask.pem" --vcek "$A/milan_ask.pem"
    assert_error 1 "milan_ask.pem: the VCEK's key is RSA.*; a VCEK has an EC P-384 key$"
    run "$GUESTIMG" report verify "$D/report.bin" --ark "$A/vcek_milan.der" --ask "$A/milan_ask.pem" --vcek "$A/vcek_milan.der"
    assert_error 1 "vcek_milan.der: the ARK's key is EC; AMD's ARK has an RSA key$"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$D/k.pem" -subj /CN=x -days 1 -out "$D/p256.pem" 2>/dev/null
    run verify_milan "$D/report.bin" --vcek "$D/p256.pem"
    assert_error 1 "p256.pem: the VCEK's key is EC prime256v1; a VCEK has an EC P-384 key$"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$D/k.pem" -subj /CN=x -days 1 -out "$D/p384.pem" 2>/dev/null
    run verify_milan "$D/report.bin" --vcek "$D/p384.pem"
    assert_error 1 "p384.pem: no productName extension \(1.3.6.1.4.1.3704.1.2\): not a VCEK$"
    run verify_milan "$D/report.bin" --ark "$A/cert_chain_milan"
    assert_error 1 "cert_chain_milan: 2 certificates where the ARK was expected"
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/milan_ark.pem" --vcek "$A/vcek_milan.der"
    assert_error 1 "milan_ark.pem: 1 certificates; a cert_chain holds two, the ASK then the ARK$"
}

@test "report: usage errors exit 2" {
    run "$GUESTIMG" report
    assert_error 2 "^guestimg report: expected 'show', 'verify' or 'host-data'"
    run "$GUESTIMG" report frobnicate x
    assert_error 2 "'frobnicate' is not show, verify or host-data"
    run "$GUESTIMG" report show
    assert_error 2 "expected a REPORT file"
    run "$GUESTIMG" report show "$D/report.bin" extra
    assert_error 2 "unexpected argument 'extra'"
    run "$GUESTIMG" report show "$D/report.bin" --generation naples
    assert_error 2 "--generation: 'naples' is not milan, genoa or turin"
    run "$GUESTIMG" report show "$D/report.bin" --generation milan --vcek "$A/vcek_milan.der"
    assert_error 2 "give one"
    run "$GUESTIMG" report show "$D/report.bin" --ark x
    assert_error 2 "unrecognized option '--ark'"
    run "$GUESTIMG" report verify "$D/report.bin" --vcek "$A/vcek_milan.der"
    assert_error 2 "--ark and --ask \(or --cert-chain\) are required"
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_milan" --ark "$A/milan_ark.pem" --vcek x
    assert_error 2 "give it or --ark and --ask"
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_milan"
    assert_error 2 "--vcek is required"
    run verify_milan "$D/report.bin" --measurement abc
    assert_error 2 "--measurement: 'abc' is not 48 bytes in hex"
    run verify_milan "$D/report.bin" --host-data 00
    assert_error 2 "--host-data: '00' is not 32 bytes in hex"
    run verify_milan "$D/report.bin" --report-data "$(printf '0%.0s' {1..130})"
    assert_error 2 "--report-data: .* is not up to 64 bytes in hex"
    run verify_milan "$D/report.bin" --vcek
    assert_error 2 "option '--vcek' needs a value"
    run "$GUESTIMG" report --help
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "usage: guestimg report show"* ]]
}

# fake_vcek OUT ARC=DER:… …: a self-signed EC P-384 certificate with the
# given AMD extensions 1.3.6.1.4.1.3704.1.ARC (openssl req -addext).
fake_vcek() {
    local out=$1 e args=()
    shift
    for e in "$@"; do args+=(-addext "1.3.6.1.4.1.3704.1.$e"); done
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$D/fake.key" \
        -subj /CN=SEV-VCEK -days 1 -out "$out" "${args[@]}" 2>/dev/null
}
# A Turin VCEK's extensions: productName "Turin", SPLs bl 1 tee 0 snp 2
# ucode 128 (two-byte INTEGER) fmc 4, an 8-byte hwID.
PRODUCT=2=DER:16:05:54:75:72:69:6e
SPLS=(3.1=DER:02:01:01 3.2=DER:02:01:00 3.3=DER:02:01:02 3.8=DER:02:02:00:80)
FMC=3.9=DER:02:01:04
HWID=4=DER:01:02:03:04:05:06:07:08

verify_fake() {
    "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$A/cert_chain_turin" --vcek "$D/fake.pem"
}

@test "report verify: a VCEK's extensions as given, for any generation; malformed ones are errors" {
    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]}" "$FMC" "$HWID"
    run verify_fake
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL VCEK signed by ASK: expected RSASSA-PSS with SHA384 actual ecdsa-with-SHA256"* ]]
    [[ $output == *"FAIL reported TCB: expected boot_loader 1 tee 0 snp 2 microcode 128 fmc 4 actual "* ]]
    [[ $output == *"FAIL chip ID: expected 0102030405060708 actual "* ]]
    fake_vcek "$D/fake.pem" 2=DER:16:06:56:65:6e:69:63:65 "${SPLS[@]}" "$HWID"   # "Venice"
    run verify_fake
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL generation: expected Milan, Genoa or Turin actual VCEK product Venice"* ]]
    [[ $output == *"FAIL reported TCB: expected a TCB of a known generation actual 0300000000000873 (layout unknown for VCEK product Venice)"* ]]

    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]}" "$HWID"
    run verify_fake
    assert_error 1 "fake.pem: no fmcSPL extension \(1.3.6.1.4.1.3704.1.3.9\), which a Turin VCEK has$"
    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]:0:3}" 3.8=DER:02:02:01:00 "$FMC" "$HWID"
    run verify_fake
    assert_error 1 "fake.pem: ucodeSPL extension \(1.3.6.1.4.1.3704.1.3.8\) is not an integer from 0 to 255$"
    fake_vcek "$D/fake.pem" 2=DER:02:01:01 "${SPLS[@]}" "$FMC" "$HWID"
    run verify_fake
    assert_error 1 "fake.pem: productName extension \(1.3.6.1.4.1.3704.1.2\) is not a short printable string$"
    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]}" "$FMC" 4=DER:01:02:03:04:05
    run verify_fake
    assert_error 1 "fake.pem: hwID extension \(1.3.6.1.4.1.3704.1.4\) of 5 bytes; chip IDs are 8 or 64$"
    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]}" "$FMC"
    run verify_fake
    assert_error 1 "fake.pem: no hwID extension"
    # show takes the layout from the VCEK's product name.
    fake_vcek "$D/fake.pem" "$PRODUCT" "${SPLS[@]}" "$FMC" "$HWID"
    run "$GUESTIMG" report show "$D/report.bin" --vcek "$D/fake.pem"
    [ "$status" -eq 0 ]
    [[ $output == *"generation: Turin"* ]]
}

# patch REPORT OUT OFFSET HEX: a copy of REPORT with bytes at OFFSET replaced.
patch() {
    /usr/bin/python3 - "$@" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
off, new = int(sys.argv[3], 0), bytes.fromhex(sys.argv[4])
b[off:off + len(new)] = new
open(sys.argv[2], "wb").write(b)
PY
}

@test "report verify: what the report says against the VCEK (signing key, CPUID, masked chip ID)" {
    patch "$D/report.bin" "$D/vlek.bin" 0x48 04000000          # KEY_INFO.SIGNING_KEY = VLEK
    run verify_milan "$D/vlek.bin"
    [ "$status" -eq 1 ]
    [[ $output == *"FAIL report signed by VCEK: expected signing key VCEK actual signing key VLEK (key info 0x4)"* ]]
    patch "$D/report.bin" "$D/v3.bin" 0 03000000
    patch "$D/v3.bin" "$D/v3.bin" 0x188 191101                 # family 0x19 model 0x11: Genoa
    run verify_milan "$D/v3.bin"
    [[ $output == *"FAIL generation Milan: expected Milan (VCEK product Milan-B0) actual Genoa (report CPUID family 0x19 model 0x11)"* ]]
    patch "$D/report.bin" "$D/masked.bin" 0x1A0 "$(printf '00%.0s' {1..64})"
    run verify_milan "$D/masked.bin"
    [[ $output == *"FAIL chip ID: expected $(xxd -p -s $((0x1A0)) -l 64 "$D/report.bin" | tr -d '\n') actual all zeros (the chip ID is masked)"* ]]
    # A chain whose first certificate has no RSA key; a VCEK file that is not there.
    cat "$A/milan_ark.pem" >"$D/chain.pem"
    openssl x509 -inform DER -in "$A/vcek_milan.der" >>"$D/chain.pem"
    run "$GUESTIMG" report verify "$D/report.bin" --cert-chain "$D/chain.pem" --vcek "$A/vcek_milan.der"
    assert_error 1 "chain.pem: the ARK's key is EC; AMD's ARK has an RSA key$"
    run verify_milan "$D/report.bin" --vcek "$D/none.der"
    assert_error 1 "^guestimg: $D/none.der: cannot open"
    run "$GUESTIMG" report show "$D/report.bin" --vcek "$A/milan_ark.pem"
    assert_error 1 "milan_ark.pem: the VCEK's key is RSA"
}
