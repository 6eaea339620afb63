#!/usr/bin/env bats
# guestimg publish --oci-layout on the demo release: the OCI image layout
# checked with jq and sha256sum (every blob's name is its digest, every
# descriptor's size and digest its blob's), then carried by Debian's skopeo
# to a registry this test starts on 127.0.0.1 (Debian's docker-registry,
# distribution 2.8) and back, the files taken out of the copy still passing
# guestimg verify. Bad input: one error line, nothing written.
load lib/common
load lib/guest

setup_file() {
    demo_release_setup
    export L=$BATS_FILE_TMPDIR/oci
    "$GUESTIMG" publish "$A" --oci-layout "$L" >"$BATS_FILE_TMPDIR/publish.out"
}

setup() {
    require_demo_inputs
    T=$BATS_TEST_TMPDIR
}

teardown() {
    if [ -n "${REGISTRY_PID:-}" ]; then
        kill "$REGISTRY_PID" 2>/dev/null || true
        wait "$REGISTRY_PID" 2>/dev/null || true
    fi
}

# blob LAYOUT DIGEST: the path of a blob
blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }

# manifest_of LAYOUT REF: the digest of the manifest index.json tags REF
manifest_of() {
    jq -r --arg r "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' "$1/index.json"
}

# extract LAYOUT REF OUT: each layer of the manifest as the file its title names
extract() {
    local m d name
    m=$(blob "$1" "$(manifest_of "$1" "$2")")
    mkdir -p "$3"
    jq -r '.layers[] | "\(.digest) \(.annotations["org.opencontainers.image.title"])"' "$m" |
        while read -r d name; do cp "$(blob "$1" "$d")" "$3/$name"; done
}

@test "publish: an OCI image layout whose every blob is named by its sha256 and every descriptor matches" {
    assert_equal "$(cat "$L/oci-layout")" '{"imageLayoutVersion":"1.0.0"}'
    assert_equal "$(jq -r .schemaVersion "$L/index.json")" 2
    assert_equal "$(jq -r .mediaType "$L/index.json")" application/vnd.oci.image.index.v1+json
    assert_equal "$(ls "$L")" "$(printf '%s\n' blobs index.json oci-layout)"
    assert_equal "$(ls "$L/blobs")" sha256
    for f in "$L"/blobs/sha256/*; do
        assert_equal "$(sha256sum <"$f" | cut -d' ' -f1)" "$(basename "$f")"
    done
    # every descriptor: index → manifests → config, layers, subject
    descs=$(jq -c '.manifests[]' "$L/index.json")
    for m in $(jq -r '.manifests[].digest' "$L/index.json"); do
        assert_equal "$(jq -r .mediaType "$(blob "$L" "$m")")" application/vnd.oci.image.manifest.v1+json
        descs+=$'\n'$(jq -c '.config, .layers[], (.subject // empty)' "$(blob "$L" "$m")")
    done
    used=
    while read -r d; do
        digest=$(jq -r .digest <<<"$d") size=$(jq -r .size <<<"$d")
        f=$(blob "$L" "$digest")
        [ -f "$f" ] || { echo "no blob for $d" >&2; false; }
        assert_equal "$(stat -c %s "$f")" "$size"
        used+="${digest#sha256:}"$'\n'
    done <<<"$descs"
    # and no blob that nothing names
    assert_equal "$(ls "$L/blobs/sha256")" "$(sort -u <<<"$used" | grep .)"
}

@test "publish: the release manifest is an artifact with one titled layer per file" {
    m=$(blob "$L" "$(manifest_of "$L" 1.0)")
    grep -qx "$L: release manifest $(manifest_of "$L" 1.0)" "$BATS_FILE_TMPDIR/publish.out"
    assert_equal "$(jq -r .artifactType "$m")" application/vnd.guestimg.release.v1+json
    # the config is image-spec 1.1's empty descriptor: the blob "{}"
    assert_equal "$(jq -r '.config.mediaType' "$m")" application/vnd.oci.empty.v1+json
    assert_equal "$(jq -r '.config.digest' "$m")" "sha256:$(printf '{}' | sha256sum | cut -d' ' -f1)"
    # release.json, then every artifact release.json lists, each the file's own digest
    assert_equal "$(jq -r '.layers[] | "\(.digest | ltrimstr("sha256:"))  \(.annotations["org.opencontainers.image.title"])"' "$m")" \
        "$( (echo release.json; jq -r '.artifacts[].name' "$A/release.json") | (cd "$A" && xargs sha256sum))"
    mt() { jq -r --arg n "$1" '.layers[] | select(.annotations["org.opencontainers.image.title"] == $n) | .mediaType' "$m"; }
    assert_equal "$(mt sbom.spdx.json)" application/spdx+json
    assert_equal "$(mt sbom.cdx.json)" application/vnd.cyclonedx+json
    assert_equal "$(mt kata-containers-igvm.img)" application/vnd.guestimg.igvm
    assert_equal "$(mt kata-containers.img)" application/vnd.guestimg.disk-image
    assert_equal "$(mt release.json)" application/vnd.guestimg.release.v1+json
    assert_equal "$(jq -r '.annotations["org.opencontainers.image.version"]' "$m")" "$(jq -r .version "$A/release.json")"
}

@test "publish: the signature and the provenance are a referrer of the release manifest" {
    rel=$(manifest_of "$L" 1.0)
    s=$(blob "$L" "$(manifest_of "$L" "sha256-${rel#sha256:}.sig")")
    assert_equal "$(jq -r .artifactType "$s")" application/vnd.guestimg.release.signature.v1
    assert_equal "$(jq -r .subject.digest "$s")" "$rel"
    assert_equal "$(jq -r .subject.size "$s")" "$(stat -c %s "$(blob "$L" "$rel")")"
    extract "$L" "sha256-${rel#sha256:}.sig" "$T/sig"
    assert_equal "$(ls "$T/sig")" "$(printf '%s\n' provenance.dsse.json release.json.sig)"
    cmp "$A/release.json.sig" "$T/sig/release.json.sig"
    cmp "$A/provenance.dsse.json" "$T/sig/provenance.dsse.json"
}

@test "publish: the same release gives the same bytes, wherever the layout goes" {
    "$GUESTIMG" publish "$A" --oci-layout "$T/again" >/dev/null
    diff -r "$L" "$T/again"
    # publishing over a layout replaces it
    "$GUESTIMG" publish "$A" --oci-layout "$T/again" --tag v2 >/dev/null
    [ -n "$(manifest_of "$T/again" v2)" ]
    [ -z "$(manifest_of "$T/again" 1.0)" ]
}

@test "publish: skopeo carries it to a registry and back; the files still verify" {
    command -v skopeo >/dev/null || skip "skopeo not installed"
    command -v docker-registry >/dev/null || skip "docker-registry not installed"
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$T/registry" "$port" >"$T/registry.yml"
    docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 50); do
        curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break
        sleep 0.2
    done
    rel=$(manifest_of "$L" 1.0)
    R=docker://127.0.0.1:$port/guestimg-demo
    for tag in 1.0 "sha256-${rel#sha256:}.sig"; do
        skopeo copy -q --dest-tls-verify=false "oci:$L:$tag" "$R:$tag"
        skopeo copy -q --src-tls-verify=false "$R:$tag" "oci:$T/back:$tag"
    done
    # the registry serves the manifest unchanged: same digest, annotations shown by skopeo inspect
    assert_equal "$(skopeo inspect --raw --tls-verify=false "$R:1.0" | sha256sum | cut -d' ' -f1)" "${rel#sha256:}"
    skopeo inspect --raw --tls-verify=false "$R:1.0" |
        jq -e '[.layers[].annotations["org.opencontainers.image.title"]] | index("release.json") == 0' >/dev/null
    extract "$T/back" 1.0 "$T/files"
    extract "$T/back" "sha256-${rel#sha256:}.sig" "$T/files"
    run "$GUESTIMG" verify "$T/files/release.json" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    [[ $output == *"ok provenance signature (key $KEYS/ed.pub)"* ]]
    [[ ${lines[-1]} == "$T/files/release.json: all "*" checks passed" ]]
    diff -r "$A" "$T/files"
}

@test "publish: a layout directory that holds something else is refused, untouched" {
    mkdir "$T/other"
    echo keep >"$T/other/notes.txt"
    run "$GUESTIMG" publish "$A" --oci-layout "$T/other"
    assert_error 1 "^guestimg: $T/other: exists, is not empty and holds no oci-layout: not ours to replace; remove it or choose another$"
    assert_equal "$(ls "$T/other")" notes.txt
    echo x >"$T/file"
    run "$GUESTIMG" publish "$A" --oci-layout "$T/file"
    assert_error 1 "^guestimg: $T/file: exists and is not a directory$"
}

@test "publish: a file that is not what release.json says is refused, nothing written" {
    cp -a "$A" "$T/rel"
    printf 'X' | dd of="$T/rel/vmlinuz" bs=1 seek=100 conv=notrunc 2>/dev/null
    run "$GUESTIMG" publish "$T/rel" --oci-layout "$T/out"
    assert_error 1 "^guestimg: $T/rel/vmlinuz: sha256 $(sha256sum <"$T/rel/vmlinuz" | cut -d' ' -f1) \\([0-9]+ bytes\\), but release.json says $(jq -r '.artifacts[] | select(.name == "vmlinuz") | .sha256' "$A/release.json") \\([0-9]+ bytes\\): not published$"
    assert_equal "$(ls -A "$T" | grep -c '^\.out\|^out')" 0
}

@test "publish: bad arguments" {
    run "$GUESTIMG" publish "$A" --oci-layout "$T/out" --tag 'no/slash'
    assert_error 1 "^guestimg: --tag: 'no/slash' is not an OCI tag"
    run "$GUESTIMG" publish "$T/none" --oci-layout "$T/out"
    assert_error 1 "^guestimg: $T/none/release.json: "
    run "$GUESTIMG" publish "$A"
    [ "$status" -eq 2 ]
    [ ! -e "$T/out" ]
}
