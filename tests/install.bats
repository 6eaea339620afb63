#!/usr/bin/env bats
# guestimg install on the demo release: the node layout Kata looks in, the
# runtime configuration read back by Python's TOML parsers (tomllib and
# Debian's python3-toml), every path it names present under --root with the
# release's bytes (sha256sum against release.json read by jq). A release
# that does not verify, a root that is a file, a link out of the root: one
# error line and nothing written.
load lib/common
load lib/guest

P=opt/confidential-containers

setup_file() {
    demo_release_setup
    ed25519_key "$KEYS/other"
}

setup() {
    require_demo_inputs
    T=$BATS_TEST_TMPDIR
    mkdir "$T/root"
}

# tree DIR: every entry under DIR with its type, mode, size and content hash
tree() {
    (cd "$1" && find . -printf '%p %y %m %s\n' | sort &&
        find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# sha_of NAME: the sha256 release.json gives the artifact
sha_of() {
    jq -r --arg n "$1" '.artifacts[] | select(.name == $n) | .sha256' "$A/release.json"
}

@test "install: the layout Kata looks in, each file the release's bytes" {
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    checks=$("$GUESTIMG" verify "$A/release.json" --pubkey "$KEYS/ed.pub" | grep -c '^ok ')
    [ "${lines[-1]}" = "$A: verified ($checks checks) and installed under $T/root" ]
    S=$T/root/$P/share/kata-containers
    image=$(jq -r .image "$A/release.json") kernel=$(jq -r .kernel "$A/release.json")
    fw=$(jq -r --arg s "$(jq -r '.measurements[0].firmware_sha256' "$A/release.json")" \
        '.artifacts[] | select(.sha256 == $s) | .name' "$A/release.json")
    for n in "$image" $(jq -r '.igvm[].name' "$A/release.json") root_hash.txt "$kernel" "$fw"; do
        [ "$(sha256sum <"$S/$n" | cut -d' ' -f1)" = "$(sha_of "$n")" ]
        [[ $output == *"installed /$P/share/kata-containers/$n"* ]]
    done
    assert_equal "$(ls "$S" | wc -l)" 9
    cmp "$A/release.json" "$S/guestimg-release.json"
    cmp "$A/provenance.dsse.json" "$S/guestimg-provenance.dsse.json"
    # the copy still carries a good signature
    openssl pkeyutl -verify -pubin -inkey "$KEYS/ed.pub" -rawin -in "$S/guestimg-release.json" \
        -sigfile "$S/guestimg-release.json.sig"
    assert_equal "$(ls "$T/root/$P/share/defaults/kata-containers")" \
        "$(printf '%s\n' configuration-clh-snp-debug.toml configuration-clh-snp.toml configuration-qemu-snp.toml)"
    # nothing else under the root
    assert_equal "$(cd "$T/root" && find . -type f | wc -l)" 12
}

@test "install: the TOML parses (tomllib, python3-toml) and names files under --root" {
    /usr/bin/python3 -c 'import toml' 2>/dev/null || skip "python3-toml not installed"
    "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub" >/dev/null
    C=$T/root/$P/share/defaults/kata-containers
    run /usr/bin/python3 "$ROOT/tests/lib/kata_config_check.py" "$T/root" "$C" "$A/release.json"
    [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
    # the firmware named is the one the measurements were made with
    fwsha=$(jq -r '.measurements[0].firmware_sha256' "$A/release.json")
    fw=$(/usr/bin/python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["hypervisor"]["qemu"]["firmware"])' \
        "$C/configuration-qemu-snp.toml")
    [ "$(sha256sum <"$T/root$fw" | cut -d' ' -f1)" = "$fwsha" ]
}

@test "install: a second run changes nothing and says so" {
    "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub" >/dev/null
    before=$(tree "$T/root")
    inodes=$(find "$T/root" -type f -printf '%i %p\n' | sort)
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    [[ $output != *"installed /"* ]]
    assert_equal "$(grep -c '^unchanged /' <<<"$output")" 12
    assert_equal "$(tree "$T/root")" "$before"
    assert_equal "$(find "$T/root" -type f -printf '%i %p\n' | sort)" "$inodes"
}

@test "install: a changed file is replaced, other files of the node are left alone" {
    "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub" >/dev/null
    S=$T/root/$P/share/kata-containers
    echo other >"$S/vmlinuz-other.container"
    echo stale >"$S/root_hash.txt"
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 0 ]
    assert_equal "$(grep '^installed' <<<"$output")" "installed /$P/share/kata-containers/root_hash.txt"
    cmp "$A/root_hash.txt" "$S/root_hash.txt"
    assert_equal "$(cat "$S/vmlinuz-other.container")" other
}

@test "install: --prefix moves the files and the paths in the TOML" {
    "$GUESTIMG" install "$A" --root "$T/root" --prefix /usr/local/coco/ --pubkey "$KEYS/ed.pub" >/dev/null
    [ ! -e "$T/root/opt" ]
    C=$T/root/usr/local/coco/share/defaults/kata-containers/configuration-clh-snp.toml
    igvm=$(/usr/bin/python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["hypervisor"]["clh"]["igvm"])' "$C")
    assert_equal "$igvm" /usr/local/coco/share/kata-containers/kata-containers-igvm.img
    [ -f "$T/root$igvm" ]
}

@test "install: a release that does not verify is refused, nothing written" {
    cp -a "$A" "$T/rel"
    printf 'X' | dd of="$T/rel/kata-containers-igvm.img" bs=1 seek=5000 conv=notrunc 2>/dev/null
    run "$GUESTIMG" install "$T/rel" --root "$T/root" --pubkey "$KEYS/ed.pub"
    assert_error 1 "^guestimg: $T/rel/release.json: does not verify \\([0-9]+ of [0-9]+ checks failed; first: artifact kata-containers-igvm.img sha256: expected .*\\): nothing installed$"
    assert_equal "$(find "$T/root" | wc -l)" 1
}

@test "install: a release signed by another key is refused" {
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/other.pub"
    # two signatures fail: release.json's and the build provenance's
    assert_error 1 "^guestimg: $A/release.json: does not verify \\(2 of [0-9]+ checks failed; first: signature .*\\): nothing installed$"
    assert_equal "$(find "$T/root" | wc -l)" 1
}

@test "install: a root that is a file, or absent, is one error line" {
    echo x >"$T/file"
    run "$GUESTIMG" install "$A" --root "$T/file" --pubkey "$KEYS/ed.pub"
    assert_error 1 "^guestimg: --root $T/file: is not a directory$"
    assert_equal "$(cat "$T/file")" x
    run "$GUESTIMG" install "$A" --root "$T/absent" --pubkey "$KEYS/ed.pub"
    assert_error 1 "^guestimg: --root $T/absent: No such file or directory$"
    [ ! -e "$T/absent" ]
}

@test "install: a symbolic link under the root is not followed out of it" {
    mkdir -p "$T/root/opt" "$T/outside"
    ln -s "$T/outside" "$T/root/opt/confidential-containers"
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    assert_error 1 "^guestimg: $T/root/opt/confidential-containers: is a symbolic link: install does not follow links out of --root $T/root$"
    assert_equal "$(find "$T/outside" | wc -l)" 1
}

@test "install: a failure while staging leaves the root as it was" {
    # the last file's destination is a directory: everything before it was staged
    mkdir -p "$T/root/$P/share/defaults/kata-containers/configuration-qemu-snp.toml"
    before=$(tree "$T/root")
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    assert_error 1 "^guestimg: $T/root/$P/share/defaults/kata-containers/configuration-qemu-snp.toml: is a directory$"
    assert_equal "$(tree "$T/root")" "$before"
    # and where it made the directories, it removes them again
    rm -r "$T/root/$P/share/defaults/kata-containers/configuration-qemu-snp.toml"
    mkdir "$T/root/$P/share/kata-containers"
    mkdir "$T/root/$P/share/kata-containers/kata-containers.img"
    rm -r "$T/root/$P/share/defaults"
    before=$(tree "$T/root")
    run "$GUESTIMG" install "$A" --root "$T/root" --pubkey "$KEYS/ed.pub"
    assert_error 1 "is a directory$"
    assert_equal "$(tree "$T/root")" "$before"
}

@test "install: a failure under a deep new prefix removes every directory it made" {
    # some 80 new directories, and a destination path one byte too long for
    # PATH_MAX: the directories are made, the first file cannot be staged
    local root=$T/root need prefix="" rest
    need=$((4095 - 31 - ${#root}))   # ROOT/PREFIX/share/defaults/kata-containers fits
    while [ $((need - ${#prefix})) -gt 150 ]; do prefix="$prefix/$(printf 'd%.0s' {1..49})"; done
    rest=$((need - ${#prefix} - 1))
    prefix="$prefix/$(printf "%${rest}s" '' | tr ' ' e)"
    before=$(tree "$root")
    run "$GUESTIMG" install "$A" --root "$root" --prefix "$prefix" --pubkey "$KEYS/ed.pub"
    [ "$status" -eq 1 ]
    [[ $output == "guestimg: $root$prefix/share/kata-containers/"* ]]
    assert_equal "$(tree "$root")" "$before"
}

@test "install: usage errors exit 2" {
    run "$GUESTIMG" install "$A"
    [ "$status" -eq 2 ]
    [[ $output == *"--root DIR is required"* ]]
    run "$GUESTIMG" install "$A" --root "$T/root" --prefix opt/x
    assert_error 1 "^guestimg: --prefix opt/x: not an absolute path$"
    run "$GUESTIMG" install "$A" --root "$T/root" --prefix /opt/../etc
    assert_error 1 "^guestimg: --prefix /opt/../etc: '..' components are not allowed$"
    assert_equal "$(find "$T/root" | wc -l)" 1
}

@test "install: a prefix with quotes, a backslash and a newline stays one TOML string" {
    pfx=$'/opt/we"ird\\dir\nx'
    "$GUESTIMG" install "$A" --root "$T/root" --prefix "$pfx" --pubkey "$KEYS/ed.pub" >/dev/null
    C="$T/root$pfx/share/defaults/kata-containers/configuration-qemu-snp.toml"
    run /usr/bin/python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["hypervisor"]["qemu"]["image"], end="")' "$C"
    [ "$status" -eq 0 ]
    assert_equal "$output" "$pfx/share/kata-containers/kata-containers.img"
    [ -f "$T/root$output" ]
}
