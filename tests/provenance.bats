#!/usr/bin/env bats
# Build provenance of the demo release (provenance.dsse.json): the DSSE
# envelope's signature checked by the openssl CLI over PAE bytes the test
# assembles itself, the in-toto statement's fields read with jq against
# sha256sum of the release's files, the kernel source, the kernel
# configuration files in the tree, the firmware and the lock file; verify
# catching a changed statement, another signer and a broken envelope.
load lib/common
load lib/guest

PAYLOAD_TYPE=application/vnd.in-toto+json

setup_file() {
    demo_release_setup
    ed25519_key "$KEYS/other"
}

setup() {
    require_demo_inputs
    T=$BATS_TEST_TMPDIR
}

# statement ENVELOPE OUT: the payload's bytes in OUT
statement() {
    jq -j .payload "$1" | base64 -d >"$2"
}

# pae PAYLOAD OUT: DSSE v1's pre-authentication encoding, by hand
pae() {
    printf 'DSSEv1 %d %s %d ' "${#PAYLOAD_TYPE}" "$PAYLOAD_TYPE" "$(stat -c %s "$1")" >"$2"
    cat "$1" >>"$2"
}

# envelope PAYLOAD SIG OUT: a DSSE envelope of those bytes
envelope() {
    jq -cn --arg p "$(base64 -w0 <"$1")" --arg s "$(base64 -w0 <"$2")" --arg t "$PAYLOAD_TYPE" \
        '{payload: $p, payloadType: $t, signatures: [{sig: $s}]}' >"$3"
}

@test "provenance: a DSSE envelope whose Ed25519 signature openssl verifies over the PAE" {
    E=$A/provenance.dsse.json
    assert_equal "$(jq -r .payloadType "$E")" "$PAYLOAD_TYPE"
    assert_equal "$(jq '.signatures | length' "$E")" 1
    statement "$E" "$T/st.json"
    pae "$T/st.json" "$T/pae"
    jq -j '.signatures[0].sig' "$E" | base64 -d >"$T/sig"
    openssl pkeyutl -verify -pubin -inkey "$KEYS/ed.pub" -rawin -in "$T/pae" -sigfile "$T/sig"
    # and not over the statement alone
    ! openssl pkeyutl -verify -pubin -inkey "$KEYS/ed.pub" -rawin -in "$T/st.json" -sigfile "$T/sig" 2>/dev/null
}

@test "provenance: an in-toto v1 statement with a SLSA v1 predicate, subjects the release's files" {
    statement "$A/provenance.dsse.json" "$T/st.json"
    S=$T/st.json
    assert_equal "$(jq -r ._type "$S")" https://in-toto.io/Statement/v1
    assert_equal "$(jq -r .predicateType "$S")" https://slsa.dev/provenance/v1
    assert_equal "$(jq -r .predicate.buildDefinition.buildType "$S")" https://guestimg.dev/build-types/release/v1
    assert_equal "$(jq -r .predicate.runDetails.builder.id "$S")" https://guestimg.dev/builders/guestimg-cli
    assert_equal "$(jq -r .predicate.runDetails.builder.version.guestimg "$S")" "$(cat "$ROOT/VERSION")"
    # subjects: exactly release.json's artifacts, each digest the file's own
    assert_equal "$(jq -r '.subject[] | "\(.digest.sha256)  \(.name)"' "$S" | sort -k2)" \
        "$(jq -r '.artifacts[].name' "$A/release.json" | sort | (cd "$A" && xargs sha256sum))"
    # every subject is a file of the release; neither release.json nor the envelope is one
    [ "$(jq '[.subject[].name] | map(select(. == "release.json" or . == "provenance.dsse.json")) | length' "$S")" -eq 0 ]
    # no clock, no host: no timestamps anywhere
    [ "$(jq '[.. | strings | select(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))] | length' "$S")" -eq 0 ]
    [[ $(cat "$S") != *"$BATS_FILE_TMPDIR"* ]]
}

@test "provenance: the statement is valid by in-toto's own protobuf definitions and the SLSA v1 requirements" {
    command -v protoc >/dev/null || skip "protoc not installed (package protobuf-compiler)"
    /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || skip "python3-protobuf not installed"
    V=("$ROOT/tests/lib/validate_in_toto.py" "$ROOT/tests/fixtures/in-toto")
    statement "$A/provenance.dsse.json" "$T/st.json"
    run /usr/bin/python3 "${V[@]}" "$T/st.json"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    assert_equal "$output" valid
    # the validator refuses what the definitions do not allow: a field they
    # do not have, a timestamp that is not one, no builder id, a subject
    # without a digest
    jq '.predicate.buildDefinition.extra = 1' "$T/st.json" >"$T/extra.json"
    run /usr/bin/python3 "${V[@]}" "$T/extra.json"
    [ "$status" -eq 1 ] && [[ $output == *'no field named "extra"'* ]]
    jq '.predicate.runDetails.metadata = {startedOn: "yesterday"}' "$T/st.json" >"$T/time.json"
    run /usr/bin/python3 "${V[@]}" "$T/time.json"
    [ "$status" -eq 1 ] && [[ $output == *"startedOn field: Failed to parse timestamp"* ]]
    jq 'del(.predicate.runDetails.builder.id) | .subject[0].digest = {}' "$T/st.json" >"$T/req.json"
    run /usr/bin/python3 "${V[@]}" "$T/req.json"
    [ "$status" -eq 1 ]
    [[ $output == *"subject[0] has no digest"* ]] && [[ $output == *"runDetails.builder.id is missing"* ]]
}

@test "provenance: the resolved dependencies, each digest checked against the file itself" {
    statement "$A/provenance.dsse.json" "$T/st.json"
    deps() { jq -r --arg r "$1" '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.role == $r) | "\(.digest.sha256)  \(.name)"' "$T/st.json"; }
    assert_equal "$(deps manifest)" "$(sha256sum <"$ROOT/manifests/demo.yaml" | cut -d' ' -f1)  manifest"
    assert_equal "$(jq -r '.predicate.buildDefinition.externalParameters.manifest.digest.sha256' "$T/st.json")" \
        "$(sha256sum <"$ROOT/manifests/demo.yaml" | cut -d' ' -f1)"
    assert_equal "$(deps lock)" "$(sha256sum <"$A/lock.json" | cut -d' ' -f1)  lock.json"
    assert_equal "$(deps kernel-source)" "$(sha256sum <"$KERNEL_SOURCE" | cut -d' ' -f1)  $(jq -r .kernel_provenance.source "$A/release.json")"
    # the configuration inputs: the files in the tree, in the order they apply
    assert_equal "$(deps kernel-config)" \
        "$(jq -r '.kernel_provenance.config_inputs[].name' "$A/release.json" | sed 's|^|kernel-configs/|' | (cd "$ROOT" && xargs sha256sum))"
    assert_equal "$(deps firmware)" "$(sha256sum </usr/share/ovmf/OVMF.fd | cut -d' ' -f1)  OVMF.fd"
    # every package of the lock, by the PURL the CycloneDX SBOM gives it, with the .deb's digest
    assert_equal "$(deps package | wc -l)" "$(jq '.packages | length' "$A/lock.json")"
    for purl in $(jq -r '.predicate.buildDefinition.resolvedDependencies[] | select(.annotations.role == "package") | .uri' "$T/st.json"); do
        jq -e --arg p "$purl" '[.components[] | select(.purl == $p)] | length == 1' "$A/sbom.cdx.json" >/dev/null
    done
    assert_equal "$(deps package)" "$(sha256sum <"$ROOT/output/debs/busybox-static.deb" | cut -d' ' -f1)  busybox-static"
}

@test "provenance: the same inputs give the same bytes" {
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/b" --sign-key "$KEYS/ed.pem" --locked >/dev/null 2>&1
    cmp "$A/provenance.dsse.json" "$T/b/provenance.dsse.json"
}

@test "provenance: an ECDSA P-384 release key signs it too (openssl dgst -sha384 over the PAE)" {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.pem" 2>/dev/null
    openssl pkey -in "$T/p384.pem" -pubout -out "$T/p384.pub"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/ec" --sign-key "$T/p384.pem" --locked >/dev/null 2>&1
    statement "$T/ec/provenance.dsse.json" "$T/st.json"
    pae "$T/st.json" "$T/pae"
    jq -j '.signatures[0].sig' "$T/ec/provenance.dsse.json" | base64 -d >"$T/sig"
    openssl dgst -sha384 -verify "$T/p384.pub" -signature "$T/sig" "$T/pae"
    run "$GUESTIMG" verify "$T/ec/release.json" --pubkey "$T/p384.pub"
    [ "$status" -eq 0 ]
    [[ $output == *"ok provenance signature (key $T/p384.pub)"* ]]
}

@test "verify: the provenance checks pass, one line each" {
    run "$GUESTIMG" verify "$A/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    [[ $output == *"ok provenance payloadType"* ]]
    [[ $output == *"ok provenance signature (key $KEYS/ed.pub)"* ]]
    [[ $output == *"ok provenance subjects"* ]]
    [[ $output == *"ok provenance statement"* ]]
}

@test "verify: a statement signed by the key but naming another subject is a MISMATCH" {
    cp -a "$A" "$T/rel"
    statement "$A/provenance.dsse.json" "$T/st.json"
    jq -c '.subject[0].digest.sha256 = ("0" * 64)' "$T/st.json" | tr -d '\n' >"$T/bad.json"
    pae "$T/bad.json" "$T/pae"
    openssl pkeyutl -sign -inkey "$KEYS/ed.pem" -rawin -in "$T/pae" -out "$T/sig"
    envelope "$T/bad.json" "$T/sig" "$T/rel/provenance.dsse.json"
    run "$GUESTIMG" verify "$T/rel/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    first=$(jq -r '.subject[0].name' "$T/st.json")
    [[ $output == *"ok provenance signature (key $KEYS/ed.pub)"* ]]
    [[ $output == *"MISMATCH provenance subjects: expected release.json's artifacts actual subject $first with sha256 $(printf '0%.0s' {1..64})"* ]]
    [[ $output == *"MISMATCH provenance statement: expected the statement release.json and lock.json give actual a different statement"* ]]
    [ "${lines[-1]}" = "$T/rel/release.json: 2 of $(grep -c '^ok \|^MISMATCH ' <<<"$output") checks failed" ]
}

@test "verify: a provenance signed by another key is a MISMATCH" {
    cp -a "$A" "$T/rel"
    statement "$A/provenance.dsse.json" "$T/st.json"
    pae "$T/st.json" "$T/pae"
    openssl pkeyutl -sign -inkey "$KEYS/other.pem" -rawin -in "$T/pae" -out "$T/sig"
    envelope "$T/st.json" "$T/sig" "$T/rel/provenance.dsse.json"
    run "$GUESTIMG" verify "$T/rel/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH provenance signature (key $KEYS/ed.pub): expected a signature by the key actual "* ]]
    [[ $output == *"ok provenance statement"* ]]
    # the key that signed it says it is good
    run "$GUESTIMG" verify "$T/rel/release.json" --pubkey "$KEYS/other.pub"
    [[ $output == *"ok provenance signature (key $KEYS/other.pub)"* ]]
}

@test "verify: an envelope that is not one is one MISMATCH naming the problem" {
    cp -a "$A" "$T/rel"
    jq '.payload = "not base64!"' "$A/provenance.dsse.json" >"$T/rel/provenance.dsse.json"
    run "$GUESTIMG" verify "$T/rel/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == *"MISMATCH provenance provenance.dsse.json: expected a DSSE envelope actual provenance.dsse.json: payload: not base64"* ]]
    jq '.extra = 1' "$A/provenance.dsse.json" >"$T/rel/provenance.dsse.json"
    run "$GUESTIMG" verify "$T/rel/release.json"
    [[ $output == *"actual provenance.dsse.json: unknown key 'extra'"* ]]
}

@test "verify: a release without provenance passes, no provenance line; an unsigned build writes none" {
    cp -a "$A" "$T/rel"
    rm "$T/rel/provenance.dsse.json"
    run "$GUESTIMG" verify "$T/rel/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    ! grep -q "^ok provenance\|^MISMATCH provenance" <<<"$output"
    "$GUESTIMG" build -q "$WS/manifests/demo.yaml" -o "$T/unsigned" --locked >/dev/null 2>&1
    [ ! -e "$T/unsigned/provenance.dsse.json" ]
    [ ! -e "$T/unsigned/release.json.sig" ]
}
