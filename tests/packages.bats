#!/usr/bin/env bats
# Manifests, rpm-md repositories, libsolv resolution, the lock file: real
# RPMs (rpmbuild), a real repository (createrepo_c), a throwaway GnuPG key,
# served over HTTP on 127.0.0.1. Each bad input gives one clear error and
# leaves no lock behind.
load lib/common
load lib/rpmrepo

setup_file() {
    export FX=$BATS_FILE_TMPDIR/fx WWW=$BATS_FILE_TMPDIR/www
    mkdir -p "$FX" "$WWW"
    make_test_rpms "$FX"
    make_test_debs "$FX/local"
    make_gpg_key "$FX/gpg" testkey
    make_gpg_key "$FX/gpg2" otherkey

    # good: signed with testkey
    cp -r "$FX/repo" "$WWW/good"
    make_repo "$WWW/good"
    sign_repo "$FX/gpg" "$WWW/good"
    # unsigned: no repomd.xml.asc
    cp -r "$WWW/good" "$WWW/unsigned"
    rm "$WWW/unsigned/repodata/repomd.xml.asc"
    # altered: repomd.xml changed after it was signed
    cp -r "$WWW/good" "$WWW/altered"
    echo '<!-- altered -->' >>"$WWW/altered/repodata/repomd.xml"
    # otherkey: signed, but by a key the manifest does not trust
    cp -r "$WWW/good" "$WWW/otherkey"
    sign_repo "$FX/gpg2" "$WWW/otherkey"
    # tampered: metadata intact, one package's bytes changed
    cp -r "$WWW/good" "$WWW/tampered"
    printf 'X' | dd of="$WWW/tampered/gi-tool-2.1-3.x86_64.rpm" bs=1 seek=2000 conv=notrunc 2>/dev/null
    # corrupt: primary.xml that is not XML, with matching (signed) checksums
    cp -r "$WWW/good" "$WWW/corrupt"
    printf '<?xml version="1.0"?>\n<metadata packages="1"><package type="rpm"><name>x</na' >"$FX/bad-primary.xml"
    replace_primary "$WWW/corrupt" "$FX/bad-primary.xml"
    sign_repo "$FX/gpg" "$WWW/corrupt"
    # missingpkg: metadata intact, one package file gone
    cp -r "$WWW/good" "$WWW/missingpkg"
    rm "$WWW/missingpkg/gi-base-1.0-1.noarch.rpm"
    # filedeps: the good packages and two with file dependencies
    cp -r "$FX/repo" "$WWW/filedeps"
    cp "$FX"/filedeps/*.rpm "$WWW/filedeps/"
    make_repo "$WWW/filedeps"
    sign_repo "$FX/gpg" "$WWW/filedeps"
    # swapped: primary.xml replaced without updating repomd.xml
    cp -r "$WWW/good" "$WWW/swapped"
    gzip -9n <"$FX/bad-primary.xml" >"$WWW/swapped/repodata/primary.xml.gz"

    stop_gpg "$FX/gpg"
    stop_gpg "$FX/gpg2"
    serve_dir "$WWW" "$FX/http.log"
    export SERVER_PID SERVER_URL
}

teardown_file() {
    stop_server
}

setup() {
    repo_test_dirs
}

# lock_of REPO EXTRA: write $W/m.yaml for repository REPO and lock it.
lock_of() {
    write_manifest "$W/m.yaml" "$SERVER_URL/$1" "$2"
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
}

# Field $2 of package $1 in $W/m.lock.json.
locked() {
    /usr/bin/python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["packages"]:
    if p["name"] == sys.argv[2]:
        v = p[sys.argv[3]]
        print(" ".join(v) if isinstance(v, list) else v)' "$W/m.lock.json" "$1" "$2"
}

locked_names() {
    /usr/bin/python3 -c 'import json, sys; print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))["packages"]))' \
        "$W/m.lock.json"
}

@test "lock resolves dependencies and a virtual provide, newest version, no weak deps" {
    lock_of good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-base gi-impl gi-tool"
    assert_equal "$(locked gi-impl version)" "1.0"
    assert_equal "$(locked gi-tool epoch)" "1"
    assert_equal "$(locked gi-tool depends)" "gi-base gi-impl"
    assert_equal "$(locked gi-tool url)" "$SERVER_URL/good/gi-tool-2.1-3.x86_64.rpm"
    assert_equal "$(locked gi-tool repo)" "test"
}

@test "locked sha256, size and EVR agree with the package files (sha256sum, stat, rpm -qp)" {
    lock_of good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    for f in gi-base-1.0-1.noarch.rpm gi-impl-1.0-1.noarch.rpm gi-tool-2.1-3.x86_64.rpm; do
        local file=$WWW/good/$f
        local name; name=$(rpm -qp --qf '%{NAME}' "$file" 2>/dev/null)
        assert_equal "$(locked "$name" sha256)" "$(sha256sum "$file" | cut -c1-64)"
        assert_equal "$(locked "$name" size)" "$(stat -c %s "$file")"
        assert_equal "$(locked "$name" version)-$(locked "$name" release).$(locked "$name" arch)" \
            "$(rpm -qp --qf '%{VERSION}-%{RELEASE}.%{ARCH}' "$file" 2>/dev/null)"
    done
}

@test "weak dependencies only with weak-deps: true" {
    lock_of good $'packages: [gi-tool]\nweak-deps: true'
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-base gi-extra gi-impl gi-tool"
}

@test "as tdnf: the newest of a name, or of a provide; an obsoleting package replaces a renamed one" {
    lock_of good 'packages: [gi-impl, gi-virtual, gi-old]'
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-impl gi-new"
    assert_equal "$(locked gi-impl version)" "1.0"
    assert_equal "$(locked gi-new version)" "2.0"
}

@test "as tdnf: the newest version is installed or nothing is, never a silently older one" {
    # gi-broken 1.0 needs what nobody provides; 0.5 would install
    lock_of good 'packages: [gi-broken]'
    assert_error 1 "^guestimg: cannot resolve the packages: nothing provides gi-nonexistent needed by gi-broken-1.0-1.noarch$"
}

@test "architectures: x86_64 before a newer i686, never aarch64; arch: aarch64 picks it" {
    lock_of good 'packages: [gi-arch]'
    [ "$status" -eq 0 ]
    assert_equal "$(locked gi-arch version) $(locked gi-arch arch)" "1.0 x86_64"
    lock_of good $'packages: [gi-arch]\narch: aarch64'
    [ "$status" -eq 0 ]
    assert_equal "$(locked gi-arch version) $(locked gi-arch arch)" "9.0 aarch64"
    assert_equal "$(locked gi-arch url)" "$SERVER_URL/good/gi-arch-9.0-1.aarch64.rpm"
    # noarch fits every architecture
    lock_of good $'packages: [gi-base]\narch: aarch64'
    [ "$status" -eq 0 ]
    assert_equal "$(locked gi-base arch)" "noarch"
}

@test "file dependencies: filelists.xml is read when primary.xml does not list the file, and only then" {
    local before
    before=$(wc -l <"$FX/http.log")
    lock_of good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    run bash -c "tail -n +$((before + 1)) '$FX/http.log' | grep -c filelists"
    assert_equal "$output" "0"
    lock_of filedeps 'packages: [gi-filedep]'
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-filedep gi-impl"
    assert_equal "$(locked gi-impl version)" "1.0"
    assert_equal "$(locked gi-filedep depends)" "gi-impl"
    tail -n +$((before + 1)) "$FX/http.log" | grep -q 'GET /filedeps/repodata/filelists.xml'
}

@test "a file dependency nobody provides: the error says so and what to do" {
    lock_of filedeps 'packages: [gi-nofile]'
    assert_error 1 "^guestimg: cannot resolve the packages: nothing provides /opt/gi/nowhere needed by gi-nofile-1.0-1.noarch \(no package of the repositories has that file, filelists.xml included: add a repository or a local package that ships it\)$"
    [ ! -e "$W/m.lock.json" ]
}

@test "local packages: an rpm joins the resolution, debs keep their own metadata and depends" {
    cp "$FX"/local/*.rpm "$FX"/local/*.deb "$W/"
    lock_of good $'local-packages: [gi-local-1.0-1.noarch.rpm, gi-deb.deb, gi-deb-base.deb]'
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-base gi-deb gi-deb-base gi-local"
    assert_equal "$(locked gi-local path)" "gi-local-1.0-1.noarch.rpm"
    assert_equal "$(locked gi-local sha256)" "$(sha256sum "$W/gi-local-1.0-1.noarch.rpm" | cut -c1-64)"
    assert_equal "$(locked gi-local depends)" "gi-base"
    assert_equal "$(locked gi-deb format)" "deb"
    assert_equal "$(locked gi-deb epoch) $(locked gi-deb version) $(locked gi-deb arch)" "1 2.0-1 all"
    assert_equal "$(locked gi-deb depends)" "gi-deb-base"
    assert_equal "$(locked gi-deb size)" "$(stat -c %s "$W/gi-deb.deb")"
}

@test "the lock file is deterministic: same bytes whatever the directory, TZ, locale and umask" {
    lock_of good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    cp "$W/m.lock.json" "$BATS_TEST_TMPDIR/first.json"
    rm -rf "$CACHE"
    (cd / && umask 077 && TZ=Asia/Tokyo LC_ALL=C.UTF-8 "$GUESTIMG" lock -q --cache "$CACHE" "$W/m.yaml")
    cmp "$BATS_TEST_TMPDIR/first.json" "$W/m.lock.json"
    /usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
names = [p["name"] for p in d["packages"]]
assert names == sorted(names), names
assert d["lock-version"] == 1' "$W/m.lock.json"
}

@test "a file:// repository works like an HTTP one" {
    write_manifest "$W/m.yaml" "file://$WWW/good" 'packages: [gi-tool]'
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    [ "$status" -eq 0 ]
    assert_equal "$(locked gi-tool url)" "file://$WWW/good/gi-tool-2.1-3.x86_64.rpm"
}

@test "lock --fetch stores every package in the cache under its sha256" {
    lock_of good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    run "$GUESTIMG" lock --fetch --cache "$CACHE" "$W/m.yaml"
    [ "$status" -eq 0 ]
    for name in gi-base gi-impl gi-tool; do
        local sha; sha=$(locked $name sha256)
        local f=$CACHE/sha256/${sha:0:2}/$sha
        [ -f "$f" ]
        assert_equal "$(sha256sum "$f" | cut -c1-64)" "$sha"
    done
}

@test "transient HTTP errors (503, 500) are retried, saying so" {
    local code SERVER_PID= SERVER_URL=
    for code in 503 500; do
        serve_dir "$WWW" "$BATS_TEST_TMPDIR/flaky-$code.log" flaky "$code"
        write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
        rm -rf "$CACHE"
        run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
        stop_server
        [ "$status" -eq 0 ]
        [[ $output == *"/good/repodata/repomd.xml: HTTP $code; retrying in 500 ms"* ]]
        assert_equal "$(locked gi-tool sha256)" "$(sha256sum "$WWW/good/gi-tool-2.1-3.x86_64.rpm" | cut -c1-64)"
    done
}

@test "a server that keeps failing: retried, then one error naming the URL and the status" {
    local SERVER_PID= SERVER_URL=
    serve_dir "$WWW" "$BATS_TEST_TMPDIR/down.log" flaky 500 1000
    write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    stop_server
    [ "$status" -eq 1 ]
    assert_equal "${#lines[@]}" 4
    assert_equal "$(grep -c 'repomd.xml: HTTP 500; retrying in' <<<"$output")" 3
    [[ ${lines[3]} =~ ^guestimg:\ repository\ test:\ http://127.0.0.1:[0-9]+/good/repodata/repomd.xml:\ HTTP\ 500\ \(after\ 4\ attempts\)$ ]]
    assert_equal "$(grep -c 'GET /good/repodata/repomd.xml' "$BATS_TEST_TMPDIR/down.log")" 4
    [ ! -e "$W/m.lock.json" ]
}

# ------------------------------------------------------------ bad cases ---

@test "missing signature: refused" {
    lock_of unsigned 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: repomd.xml is not signed, but gpgkey is set: .*/unsigned/repodata/repomd.xml.asc: HTTP 404$"
    [ ! -e "$W/m.lock.json" ]
}

@test "repomd.xml altered after signing: BAD signature" {
    lock_of altered 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: .*/altered/repodata/repomd.xml: BAD signature \(key [0-9A-F]+\)"
    [ ! -e "$W/m.lock.json" ]
}

@test "signed by a key the manifest does not name: refused" {
    lock_of otherkey 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: .*/otherkey/repodata/repomd.xml: signed by key [0-9A-F]+, which is not in .*/key.asc$"
    [ ! -e "$W/m.lock.json" ]
}

@test "gpgcheck: false accepts an unsigned repository, and only with it; a binary key works too" {
    write_manifest "$W/m.yaml" "$SERVER_URL/unsigned" 'packages: [gi-tool]'
    sed -i 's|    gpgkey: key.asc|    gpgcheck: false|' "$W/m.yaml"
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    [ "$status" -eq 0 ]
    assert_equal "$(locked_names)" "gi-base gi-impl gi-tool"
    # no gpgkey and no gpgcheck: false is a manifest error
    sed -i '/gpgcheck: false/d' "$W/m.yaml"
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    assert_error 1 "^guestimg: .*/m.yaml:[0-9]+: repositories: repository 'test' has no gpgkey \(set gpgcheck: false to accept unsigned metadata\)$"
    # the key as a binary keyring (gpg --dearmor)
    gpg --dearmor <"$W/key.asc" >"$W/key.gpg"
    lock_of good 'packages: [gi-tool]'
    sed -i 's|gpgkey: key.asc|gpgkey: key.gpg|' "$W/m.yaml"
    rm "$W/key.asc" "$W/m.lock.json"
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    [ "$status" -eq 0 ]
    [ -f "$W/m.lock.json" ]
}

@test "a key file that is no key: refused" {
    echo 'not a key' >"$W/key.asc"
    lock_of good 'packages: [gi-tool]'
    assert_error 1 "^guestimg: .*/key.asc: no OpenPGP public key block in it$"
}

@test "unresolvable dependency: names what is missing and who needs it" {
    lock_of good 'packages: [gi-broken]'
    assert_error 1 "^guestimg: cannot resolve the packages: nothing provides gi-nonexistent needed by gi-broken-1.0-1.noarch$"
    [ ! -e "$W/m.lock.json" ]
}

@test "a package no repository has" {
    lock_of good 'packages: [gi-nope]'
    assert_error 1 "^guestimg: package 'gi-nope' is in none of the repositories$"
    [ ! -e "$W/m.lock.json" ]
}

@test "404 on the repository" {
    lock_of nothing-here 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: http://127.0.0.1:[0-9]+/nothing-here/repodata/repomd.xml: HTTP 404$"
    [ ! -e "$W/m.lock.json" ]
}

@test "nothing listening: one error, no retries" {
    write_manifest "$W/m.yaml" "http://127.0.0.1:$(free_port)" 'packages: [gi-tool]'
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    assert_error 1 "^guestimg: repository test: http://127.0.0.1:[0-9]+/repodata/repomd.xml: .*Couldn't connect to server$"
}

@test "corrupt primary.xml (with matching checksums): refused" {
    lock_of corrupt 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: .*/corrupt/repodata/primary.xml.gz: corrupt primary metadata: "
    [ ! -e "$W/m.lock.json" ]
}

@test "primary.xml that does not match repomd.xml's checksum: refused" {
    lock_of swapped 'packages: [gi-tool]'
    assert_error 1 "^guestimg: repository test: .*/swapped/repodata/primary.xml.gz: sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$"
    [ ! -e "$W/m.lock.json" ]
}

@test "tampered package: lock --fetch refuses it and stores nothing" {
    lock_of tampered 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    rm "$W/m.lock.json"
    run "$GUESTIMG" lock --fetch --cache "$CACHE" "$W/m.yaml"
    assert_error 1 "^guestimg: .*/tampered/gi-tool-2.1-3.x86_64.rpm: sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$"
    [ ! -e "$W/m.lock.json" ]
    run find "$CACHE" -name '.download-*'
    assert_equal "$output" ""
}

@test "malformed manifest: file, line and key" {
    write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: gi-tool'
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    assert_error 1 "^guestimg: .*/m.yaml:12: packages: expected a sequence, got a scalar$"
    printf 'name: x\nversion: [\n' >"$W/m.yaml"
    run "$GUESTIMG" lock --cache "$CACHE" "$W/m.yaml"
    assert_error 1 "^guestimg: .*/m.yaml:3: invalid YAML: "
    [ ! -e "$W/m.lock.json" ]
}

@test "lock usage errors" {
    run "$GUESTIMG" lock
    assert_error 2 "^guestimg lock: expected one MANIFEST"
    run "$GUESTIMG" lock --frobnicate x.yaml
    assert_error 2 "^guestimg lock: unknown option '--frobnicate'"
    run "$GUESTIMG" lock --help
    [ "$status" -eq 0 ]
    [[ $output == *"usage: guestimg lock"* ]]
}

# ------------------------------------------------------- images (rootfs) ---

# build_image REPO EXTRA [ARGS...]: write $W/m.yaml and build $W/img.ext4 from it.
build_image() {
    local repo=$1 extra=$2
    shift 2
    write_manifest "$W/m.yaml" "$SERVER_URL/$repo" "$extra"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" "$@"
}

# debugfs_out CMD: debugfs's answer for one command on $W/img.ext4.
debugfs_out() {
    debugfs -R "$1" "$W/img.ext4" 2>/dev/null
}

@test "image from the repository: every file as the RPM headers say (rpm -qp, debugfs), e2fsck clean" {
    build_image good $'packages: [gi-tool]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    [ -f "$W/m.lock.json" ]
    e2fsck -fn "$W/img.ext4" >/dev/null
    /usr/bin/python3 "$ROOT/tests/lib/rpmimage.py" "$W/img.ext4" "$WWW"/good/gi-base-1.0-1.noarch.rpm \
        "$WWW"/good/gi-impl-1.0-1.noarch.rpm "$WWW"/good/gi-tool-2.1-3.x86_64.rpm
    # what was not asked for is not there: the old provider, the weak dependency
    run debugfs -R "stat /usr/share/gi/extra" "$W/img.ext4"
    [[ $output == *"File not found"* ]]
    assert_equal "$(debugfs_out 'cat /usr/share/gi/impl')" "impl-1.0"
}

@test "image: capability, hard link, symlink, non-root owner, %config file, accounts" {
    build_image good $'packages: [gi-tool]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    # cap_net_admin (12) + cap_net_raw (13), effective: vfs_cap_data revision 2
    [[ $(debugfs_out "ea_get -x /usr/bin/gi-ping security.capability") == *"01 00 00 02 00 30 00 00 00 00 00 00 00 00 00 00 00 00 00 00"* ]]
    assert_equal "$(debugfs_out 'stat /usr/bin/gi-ping' | sed -n 's/.*Links: \([0-9]*\).*/\1/p')" "2"
    local ino1 ino2
    ino1=$(debugfs_out 'ls -l /usr/bin' | awk '$NF == "gi-ping" {print $1}')
    ino2=$(debugfs_out 'ls -l /usr/bin' | awk '$NF == "gi-ping2" {print $1}')
    assert_equal "$ino1" "$ino2"
    [[ $(debugfs_out 'stat /usr/bin/gi-p') == *'Fast link dest: "gi-ping"'* ]]
    [[ $(debugfs_out 'stat /var/lib/gi-tool/state') == *"User:  1000   Group:  1000"* ]]
    assert_equal "$(debugfs_out 'cat /etc/gi-base.conf')" "setting=1"
    assert_equal "$(debugfs_out 'cat /etc/passwd')" "root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
kata:x:1000:1000::/var/lib/gi-tool:/sbin/nologin"
    assert_equal "$(debugfs_out 'cat /etc/group')" "root:x:0:
bin:x:1:
daemon:x:2:
kata:x:1000:"
    # the package's own shadow line stays; new users get a locked password
    assert_equal "$(debugfs_out 'cat /etc/shadow')" "root:*:19000:0:99999:7:::
bin:!*:19675::::::
daemon:!*:19675::::::
kata:!*:19675::::::"
    [[ $(debugfs_out 'stat /etc/shadow') == *"Mode:  0000"* ]]
}

@test "image: kata layout, manifest remove / directories / files / symlinks" {
    printf '#!/bin/sh\necho hello\n' >"$W/init"
    build_image good $'packages: [gi-tool]
remove: [/usr/share/gi]
directories: [{path: /run/kata, mode: "0700", owner: "kata:kata"}]
files: [{src: init, dst: /init, mode: "0755"}, {src: init, dst: /bin/hello, owner: kata}]
symlinks: [{path: /sbin/init, target: /init}]'
    [ "$status" -eq 0 ]
    sfdisk -d "$W/img.ext4" | grep -q 'type=83'
    local start; start=$(sfdisk -d "$W/img.ext4" | sed -n 's/.*img.ext4p1 : start= *\([0-9]*\),.*/\1/p')
    dd if="$W/img.ext4" of="$W/p1" bs=512 skip="$start" count=$((2 * 1024 * 1024 / 512)) 2>/dev/null
    run debugfs -R "stat /usr/share/gi" "$W/p1"
    [[ $output == *"File not found"* ]]
    run debugfs -R "cat /init" "$W/p1"
    [[ $output == *"echo hello"* ]]
    [[ $(debugfs -R "stat /init" "$W/p1" 2>/dev/null) == *"Mode:  0755"* ]]
    [[ $(debugfs -R "stat /run/kata" "$W/p1" 2>/dev/null) == *"User:  1000   Group:  1000"* ]]
    # /bin is the package's symlink to usr/bin: the file lands there, as rpm would put it
    [[ $(debugfs -R "stat /usr/bin/hello" "$W/p1" 2>/dev/null) == *"User:  1000   Group:     0"* ]]
    [[ $(debugfs -R "stat /sbin/init" "$W/p1" 2>/dev/null) == *'Fast link dest: "/init"'* ]]
}

@test "image: remove follows the image's directory symlinks and takes shell patterns" {
    build_image good $'packages: [gi-tool]\nimage: {layout: raw}\nremove: [/bin/gi-p, "/bin/gi-ping[0-9]", "/var/lib/*/state", "/opt/*"]'
    [ "$status" -eq 0 ]
    local gone
    for gone in /usr/bin/gi-p /usr/bin/gi-ping2 /var/lib/gi-tool/state; do
        [[ $(debugfs_out "stat $gone" 2>&1) != *"Inode:"* ]] || { echo "$gone is still there"; return 1; }
    done
    [[ $(debugfs_out 'stat /usr/bin/gi-ping') == *"Links: 1"* ]]
    [[ $(debugfs_out 'stat /var/lib/gi-tool') == *"Type: directory"* ]]
    [[ $(debugfs_out 'stat /bin') == *'Fast link dest: "usr/bin"'* ]]
}

@test "image: local rpm, deb and tarball" {
    cp "$FX"/local/gi-local-1.0-1.noarch.rpm "$FX"/local/*.deb "$W/"
    mkdir -p "$W/t/opt/tools" && echo tool >"$W/t/opt/tools/t" && tar -C "$W/t" -cJf "$W/tools.tar.xz" opt
    build_image good $'image: {layout: raw}
local-packages: [gi-local-1.0-1.noarch.rpm, gi-deb-base.deb, gi-deb.deb, {path: tools.tar.xz, name: tools, version: "2"}]'
    [ "$status" -eq 0 ]
    assert_equal "$(debugfs_out 'cat /opt/gi/local')" "local"
    assert_equal "$(debugfs_out 'cat /usr/share/gi-deb/file')" "gi-deb"
    assert_equal "$(debugfs_out 'cat /usr/share/gi-deb-base/file')" "gi-deb-base"
    assert_equal "$(debugfs_out 'cat /opt/tools/t')" "tool"
    [[ $(debugfs_out 'stat /usr/share/gi-deb/file') == *"User:     0   Group:     0"* ]]
    # gi-local requires gi-base: resolved from the repository
    assert_equal "$(debugfs_out 'cat /etc/gi-base.conf')" "setting=1"
}

@test "image: .deb with data.tar.gz, .zst, .xz or uncompressed; modes and symlinks from the tar headers" {
    local z
    for z in gzip zstd xz none; do
        local root=$BATS_TEST_TMPDIR/deb-$z
        mkdir -p "$root/DEBIAN" "$root/usr/lib/gi-$z"
        printf 'Package: gi-z-%s\nVersion: 1.0-1\nArchitecture: all\nMaintainer: T <t@guestimg.test>\nDescription: %s\n' \
            "$z" "$z" >"$root/DEBIAN/control"
        echo "$z payload" >"$root/usr/lib/gi-$z/data"
        chmod 0750 "$root/usr/lib/gi-$z/data"
        ln -s data "$root/usr/lib/gi-$z/link"
        SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Z"$z" --build "$root" "$W/gi-z-$z.deb" >/dev/null
    done
    [ "$(ar t "$W/gi-z-zstd.deb" | tail -1)" = data.tar.zst ] && [ "$(ar t "$W/gi-z-none.deb" | tail -1)" = data.tar ]
    build_image good $'image: {layout: raw}\nlocal-packages: [gi-z-gzip.deb, gi-z-zstd.deb, gi-z-xz.deb, gi-z-none.deb]'
    [ "$status" -eq 0 ]
    for z in gzip zstd xz none; do
        assert_equal "$(debugfs_out "cat /usr/lib/gi-$z/data")" "$z payload"
        [[ $(debugfs_out "stat /usr/lib/gi-$z/data") == *"Mode:  0750"* ]]
        [[ $(debugfs_out "stat /usr/lib/gi-$z/link") == *'Fast link dest: "data"'* ]]
        assert_equal "$(locked "gi-z-$z" format) $(locked "gi-z-$z" version)" "deb 1.0-1"
    done
}

@test "image and lock are the same bytes from another directory, TZ, locale and umask" {
    build_image good $'packages: [gi-tool]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    local W2=$BATS_TEST_TMPDIR/w2
    mkdir -p "$W2"
    cp "$W/m.yaml" "$W/key.asc" "$W2/"
    (cd / && umask 027 && TZ=America/New_York LC_ALL=C "$GUESTIMG" rootfs -q --cache "$BATS_TEST_TMPDIR/cache2" \
        -o "$W2/img.ext4" --manifest "$W2/m.yaml" >/dev/null)
    cmp "$W/img.ext4" "$W2/img.ext4"
    cmp "$W/img.ext4.verity" "$W2/img.ext4.verity"
    cmp "$W/m.lock.json" "$W2/m.lock.json"
}

@test "--locked: nothing is resolved, only the lock's packages are fetched" {
    cp -r "$WWW/good" "$WWW/locked-$BATS_TEST_NUMBER"
    build_image "locked-$BATS_TEST_NUMBER" $'packages: [gi-tool]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    mv "$W/img.ext4" "$W/first.ext4"
    cp "$W/m.lock.json" "$W/first.lock.json"
    # no metadata any more: a resolving build fails, a locked one does not
    rm -r "$WWW/locked-$BATS_TEST_NUMBER/repodata"
    rm -rf "$CACHE"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" --locked
    [ "$status" -eq 0 ]
    cmp "$W/first.ext4" "$W/img.ext4"
    cmp "$W/first.lock.json" "$W/m.lock.json"
}

@test "--locked: a package whose bytes differ from the lock is refused, no image" {
    cp -r "$WWW/good" "$WWW/locked-$BATS_TEST_NUMBER"
    write_manifest "$W/m.yaml" "$SERVER_URL/locked-$BATS_TEST_NUMBER" 'packages: [gi-tool]'
    "$GUESTIMG" lock -q --cache "$CACHE" "$W/m.yaml"
    cp "$WWW/tampered/gi-tool-2.1-3.x86_64.rpm" "$WWW/locked-$BATS_TEST_NUMBER/"
    rm -rf "$CACHE"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" --locked
    assert_error 1 "^guestimg: .*/locked-$BATS_TEST_NUMBER/gi-tool-2.1-3.x86_64.rpm: sha256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}$"
    [ ! -e "$W/img.ext4" ]
}

@test "--locked: a lock entry that names another release or arch than the package is refused" {
    write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
    "$GUESTIMG" lock -q --cache "$CACHE" "$W/m.yaml"
    local field value
    for field in release:4 arch:i686 epoch:0; do
        cp "$W/m.lock.json" "$W/saved.json"
        /usr/bin/python3 - "$W/m.lock.json" "${field%%:*}" "${field#*:}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["packages"]:
    if p["name"] == "gi-tool":
        p[sys.argv[2]] = int(sys.argv[3]) if sys.argv[2] == "epoch" else sys.argv[3]
json.dump(d, open(sys.argv[1], "w"))
PY
        run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" --locked
        assert_error 1 "^guestimg: .*/good/gi-tool-2.1-3.x86_64.rpm: the lock says gi-tool .* but the package is gi-tool 1:2.1-3.x86_64$"
        [ ! -e "$W/img.ext4" ]
        mv "$W/saved.json" "$W/m.lock.json"
    done
}

@test "--locked: a lock made for other packages, or no lock, is refused" {
    build_image good 'packages: [gi-tool]'
    [ "$status" -eq 0 ]
    rm "$W/img.ext4"
    sed -i 's/packages: \[gi-tool\]/packages: [gi-tool, gi-extra]/' "$W/m.yaml"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" --locked
    assert_error 1 "^guestimg: .*/m.lock.json: made for other repositories, packages or options than .*/m.yaml has now; run 'guestimg lock .*/m.yaml'$"
    rm "$W/m.lock.json"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml" --locked
    assert_error 1 "^guestimg: .*/m.lock.json: no lock file for --locked; run 'guestimg lock .*/m.yaml' first$"
    [ ! -e "$W/img.ext4" ]
}

@test "file conflict between packages: an error naming both; allow-overwrite lets the later one win" {
    build_image good 'packages: [gi-base, gi-clash]'
    assert_error 1 "^guestimg: /etc/gi-base.conf: file from gi-clash-1.0-1.noarch conflicts with the file from gi-base-1.0-1.noarch$"
    [ ! -e "$W/img.ext4" ]
    [ ! -e "$W/m.lock.json" ]
    build_image good $'packages: [gi-base, gi-clash]\nallow-overwrite: [gi-clash]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    assert_equal "$(debugfs_out 'cat /etc/gi-base.conf')" "setting=2"
}

@test "dependencies are unpacked first: gi-aa needs gi-zz, so gi-aa's file is the later one" {
    build_image good 'packages: [gi-aa]'
    assert_error 1 "^guestimg: /usr/share/gi/order: file from gi-aa-1.0-1.noarch conflicts with the file from gi-zz-1.0-1.noarch$"
    build_image good $'packages: [gi-aa]\nallow-overwrite: [gi-aa]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    assert_equal "$(debugfs_out 'cat /usr/share/gi/order')" "aa"
}

@test "the same file in two packages is not a conflict" {
    build_image good $'packages: [gi-base, gi-same]\nimage: {layout: raw}'
    [ "$status" -eq 0 ]
    assert_equal "$(debugfs_out 'cat /usr/share/gi/same')" "same bytes"
}

@test "a file owner no account defines: refused, no image, no lock" {
    write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
    sed -i '/^accounts:/,$d' "$W/m.yaml"
    echo 'packages: [gi-tool]' >>"$W/m.yaml"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml"
    assert_error 1 "^guestimg: gi-tool-1:2.1-3.x86_64: /var/lib/gi-tool belongs to user 'kata', which neither the packages' /etc/passwd nor the manifest's accounts define$"
    [ ! -e "$W/img.ext4" ]
    [ ! -e "$W/m.lock.json" ]
}

@test "every bad repository or package: one error, no image, no lock" {
    local repo pattern
    while IFS='|' read -r repo extra pattern; do
        rm -rf "$CACHE"
        build_image "$repo" "$extra"
        assert_error 1 "$pattern"
        [ ! -e "$W/img.ext4" ] && [ ! -e "$W/img.ext4.verity" ] && [ ! -e "$W/m.lock.json" ]
        run find "$W" -name '.*tmp*'
        assert_equal "$output" ""
    done <<'CASES'
tampered|packages: [gi-tool]|^guestimg: .*/tampered/gi-tool-2.1-3.x86_64.rpm: sha256 mismatch: expected
unsigned|packages: [gi-tool]|^guestimg: repository test: repomd.xml is not signed, but gpgkey is set
altered|packages: [gi-tool]|^guestimg: repository test: .*: BAD signature
otherkey|packages: [gi-tool]|^guestimg: repository test: .*: signed by key [0-9A-F]+, which is not in
good|packages: [gi-broken]|^guestimg: cannot resolve the packages: nothing provides gi-nonexistent needed by gi-broken
nothing-here|packages: [gi-tool]|^guestimg: repository test: .*/nothing-here/repodata/repomd.xml: HTTP 404$
corrupt|packages: [gi-tool]|^guestimg: repository test: .*/corrupt/repodata/primary.xml.gz: corrupt primary metadata
missingpkg|packages: [gi-tool]|^guestimg: http://127.0.0.1:[0-9]+/missingpkg/gi-base-1.0-1.noarch.rpm: HTTP 404$
good|packages: gi-tool|^guestimg: .*/m.yaml:12: packages: expected a sequence, got a scalar$
CASES
}

@test "rootfs --manifest usage errors" {
    write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
    run "$GUESTIMG" rootfs -o "$W/img.ext4" --manifest "$W/m.yaml" "$W"
    assert_error 2 "^guestimg rootfs: INPUTs and --manifest exclude each other"
    run "$GUESTIMG" rootfs -o "$W/img.ext4" --manifest "$W/m.yaml" --epoch 5
    assert_error 2 "^guestimg rootfs: --epoch comes from the manifest with --manifest"
    run "$GUESTIMG" rootfs -o "$W/img.ext4" --manifest "$W/m.yaml" --layout raw
    assert_error 2 "^guestimg rootfs: --layout comes from the manifest with --manifest"
    run "$GUESTIMG" rootfs -o "$W/img.ext4" --locked "$W"
    assert_error 2 "^guestimg rootfs: --locked and --cache go with --manifest"
}

@test "manifests/demo.yaml builds the same image bytes as tools/demo-guest/mkroot.sh + rootfs" {
    local deb=$ROOT/output/debs/busybox-static.deb
    [ -s "$deb" ] || skip "output/debs/busybox-static.deb is absent (make deps runs tools/fetch-debs.sh)"
    [ -x /bin/busybox ] || skip "no host busybox-static to compare with"
    [ "$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./bin/busybox | sha256sum)" = "$(sha256sum </bin/busybox)" ] ||
        skip "the host's busybox is another version than output/debs'"
    # the manifest's relative paths (../output, ../tools) resolve as in the tree
    mkdir -p "$W/manifests"
    cp "$ROOT/manifests/demo.yaml" "$W/manifests/"
    ln -s "$ROOT/output" "$W/output"
    ln -s "$ROOT/tools" "$W/tools"
    run "$GUESTIMG" rootfs -q --cache "$CACHE" --manifest "$W/manifests/demo.yaml" -o "$W/a.img"
    [ "$status" -eq 0 ]
    "$ROOT/tools/demo-guest/mkroot.sh" "$W/root"
    local seed
    seed=$(sed -n 's/^seed: *//p' "$ROOT/manifests/demo.yaml")
    "$GUESTIMG" rootfs -q --layout kata --epoch 0 --seed "$seed" -o "$W/b.img" "$W/root" >/dev/null
    cmp "$W/a.img" "$W/b.img"
    assert_equal "$(/usr/bin/python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["packages"][0]; print(p["name"], p["format"])' "$W/manifests/demo.lock.json")" "busybox-static deb"
}

# Issue 17: a manifest account that would add fields or lines to /etc/passwd
# (a passwordless root), or a second uid 0, is refused when the manifest is
# read: one line naming the key, no image, no lock, nothing to debugfs.
@test "accounts that would inject /etc/passwd lines or a second root: refused naming the key, no image" {
    local bad
    for bad in 'users: [{name: kata, uid: 1000, gid: 1000, shell: "/sbin/nologin\nevil::0:0::/root:/bin/sh"}]|accounts.users\[0\].shell: contains '"':'"', a newline or another control character' \
               "users: [{name: kata, uid: 1000, gid: 1000, home: '/x:0:0:'}]|accounts.users\[0\].home: contains ':', a newline or another control character" \
               "users: [{name: kata, uid: 1000, gid: 1000}, {name: toor, uid: 0, gid: 0}]|accounts.users\[1\].uid: 0 is root's uid: user 'toor' would be a second root account"; do
        write_manifest "$W/m.yaml" "$SERVER_URL/good" 'packages: [gi-tool]'
        BAD=${bad%%|*} /usr/bin/python3 -c 'import os, re, sys; p = sys.argv[1]; t = open(p).read()
open(p, "w").write(re.sub(r"(?m)^  users: .*$", lambda _: "  " + os.environ["BAD"], t))' "$W/m.yaml"
        grep -qF "${bad%%|*}" "$W/m.yaml"
        run "$GUESTIMG" rootfs -q --cache "$CACHE" -o "$W/img.ext4" --manifest "$W/m.yaml"
        assert_error 1 "^guestimg: $W/m.yaml:[0-9]+: ${bad#*|}$"
        [ ! -e "$W/img.ext4" ]
        [ ! -e "$W/m.lock.json" ]
    done
}
