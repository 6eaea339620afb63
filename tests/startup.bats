#!/usr/bin/env bats
# Start-up (docs/startup.md): the commands that read and hash load libcrypto
# and jansson only; the commands that build load lib/guestimg/
# libguestimg-build.so with the heavy libraries; a library that cannot be
# loaded is one error line, naming it and its Debian package, for the
# commands that need it and no other. The loader's own trace (LD_DEBUG)
# says what was loaded; broken copies of the heavy libraries in
# LD_LIBRARY_PATH (empty files: "file too short") stand for missing ones.
load lib/common
load lib/release_dir

HEAVY='lib(curl|solv|solvext|cryptsetup|ext2fs|com_err|fyaml|archive|devmapper|xml2|icu|ldap|gssapi|ssh)'
BUILD_LIB=$(dirname "$GUESTIMG")/lib/guestimg/libguestimg-build.so

setup() {
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/broken"
    for l in libsolv.so.1 libcurl.so.4 libcryptsetup.so.12 libext2fs.so.2 libfyaml.so.0 libarchive.so.13; do
        : >"$T/broken/$l"
    done
}

loaded() {   # loaded CMD...: the libraries the loader opened for CMD
    LD_DEBUG=libs "$@" 2>&1 >/dev/null | awk '/calling init:/ {print $NF}'
}

@test "startup: the executable links libcrypto and jansson, none of the heavy libraries" {
    run readelf -d "$GUESTIMG"
    [ "$status" -eq 0 ]
    [[ $output == *"libcrypto.so"* ]]
    ! grep -E "NEEDED.*$HEAVY" <<<"$output"
    run ldd "$GUESTIMG"
    ! grep -E "$HEAVY" <<<"$output"
}

@test "startup: measure, id-block, igvm, report, verify and --version load no heavy library" {
    for c in "--version" "measure --help" "id-block --help" "igvm --help" "report --help" "verify --help" \
        "report-html --help" "publish --help" "install --help"; do
        # shellcheck disable=SC2086
        libs=$(loaded "$GUESTIMG" $c)
        [[ $libs == *libcrypto.so* ]] || { echo "$c: no libcrypto in: $libs" >&2; false; }
        ! grep -E "$HEAVY" <<<"$libs" || { echo "$c loaded a heavy library" >&2; false; }
    done
}

@test "startup: the build commands load the build stages' object and their libraries" {
    [ -f "$BUILD_LIB" ]
    libs=$(loaded "$GUESTIMG" build --help)
    [[ $libs == *libguestimg-build.so* ]]
    [[ $libs == *libsolv.so* ]]
    [[ $libs == *libext2fs.so* ]]
}

@test "startup: a broken heavy library is one error line for a build command, naming it and its package" {
    for c in build lock rootfs kernel boot reproduce; do
        LD_LIBRARY_PATH=$T/broken run "$GUESTIMG" "$c" --help
        assert_error 1 "^guestimg: $c needs .*lib[a-z0-9]+\.so\.[0-9]+ \(Debian package lib[a-z0-9-]+\): .*file too short$"
    done
}

@test "startup: without the build stages' object only the build commands fail, with one line naming it" {
    GUESTIMG_BUILD_LIB=$T/none.so run "$GUESTIMG" build --help
    assert_error 1 "^guestimg: build needs $T/none.so: .*No such file"
    GUESTIMG_BUILD_LIB=$T/none.so run "$GUESTIMG" measure --help
    [ "$status" -eq 0 ]
}

@test "startup: measure works with every heavy library broken, and gives the same digest" {
    fw=$T/ovmf.fd
    /usr/bin/python3 "$ROOT/tests/fixtures/mkfirmware.py" ovmf "$fw"
    want=$("$GUESTIMG" measure --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf "$fw")
    LD_LIBRARY_PATH=$T/broken run "$GUESTIMG" measure --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf "$fw"
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "startup: report host-data loads libarchive only to gunzip initdata, one error line when it cannot" {
    printf 'algorithm = "sha384"\nversion = "0.1.0"\n' | gzip -n | base64 -w0 >"$T/init.b64"
    libs=$(loaded "$GUESTIMG" report host-data --initdata-base64 "$T/init.b64")
    [[ $libs == *libarchive.so* ]]
    LD_LIBRARY_PATH=$T/broken run "$GUESTIMG" report host-data --initdata-base64 "$T/init.b64"
    assert_error 1 "^guestimg: gunzip of .*init.b64 needs libarchive.so.13 \(Debian package libarchive13\): .*file too short$"
}

@test "startup: verify loads libcryptsetup at its dm-verity check only; broken, that check fails naming it" {
    make_release_dir "$T/rel" "$T"
    libs=$(loaded "$GUESTIMG" verify "$T/rel/release.json")
    [[ $libs == *libcryptsetup.so* ]]
    LD_LIBRARY_PATH=$T/broken run "$GUESTIMG" verify "$T/rel/release.json"
    [ "$status" -eq 1 ]
    [[ $output == *"needs libcryptsetup.so.12 (Debian package libcryptsetup12)"* ]]
    # the other checks still ran and passed
    [[ $output == *"ok "* ]]
}

@test "startup: the sonames the tables load are the ones the system's libraries carry" {
    for l in cryptsetup:libcryptsetup.so.12 archive:libarchive.so.13; do
        so=$(cc -print-file-name="lib${l%%:*}.so")
        [ -e "$so" ] || skip "lib${l%%:*}.so (the -dev package) not installed"
        run objdump -p "$so"
        [[ $output =~ SONAME\ +${l#*:} ]]
    done
}

@test "startup: installed as PREFIX/bin/guestimg, the object is found in PREFIX/lib/guestimg" {
    mkdir -p "$T/usr/bin" "$T/usr/lib/guestimg"
    cp "$GUESTIMG" "$T/usr/bin/guestimg"
    cp "$BUILD_LIB" "$T/usr/lib/guestimg/"
    run "$T/usr/bin/guestimg" build --help
    [ "$status" -eq 0 ]
    [[ ${lines[0]} == "usage: guestimg build"* ]]
    rm "$T/usr/lib/guestimg/libguestimg-build.so"
    run "$T/usr/bin/guestimg" build --help
    assert_error 1 "^guestimg: build needs $T/usr/bin/lib/guestimg/libguestimg-build.so: .*No such file"
}
