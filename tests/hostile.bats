#!/usr/bin/env bats
# The hostile-input suite through the command line (issue 17): release.json
# for verify and reproduce, manifests, archives and host trees for rootfs,
# and a few hundred mutants of the reference firmware, IGVM file, report and
# certificate. Every bad input must end with exit 1, exactly one stderr line
# 'guestimg: …' naming the input, nothing on stdout, no output file and
# nothing new anywhere under the test's directory, within a timeout that
# only catches hangs. tests/unit/test_hostile.c runs thousands more of the
# mutations in process (under SANITIZE=1 with ASan and UBSan).
# Rerun alone: TEST_FILTER=hostile tests/run fast
load lib/common
load lib/release_dir
bats_require_minimum_version 1.5.0

PY=/usr/bin/python3
HOSTILE="$PY $ROOT/tests/lib/hostile.py"
# A hang guard, not a time limit: a case that blocks (a FIFO read, a loop)
# is killed and fails; ordinary cases take well under a second.
HANG=20

setup() {
    T=$BATS_TEST_TMPDIR
    OUT=$T/out CWD=$T/cwd VICTIM=$T/victim
    mkdir -p "$OUT" "$CWD" "$VICTIM" "$T/tmp" "$T/in"
    export TMPDIR=$T/tmp
}

# Everything under $T but the inputs directory $T/in, as a sorted listing.
snapshot() {
    # (bats keeps run --separate-stderr's stderr in separate-stderr-*)
    (cd "$T" && find . -path ./in -prune -o ! -name "separate-stderr-*" -print | LC_ALL=C sort)
}

# refused PATTERN CMD...: CMD (run in the empty $CWD) exits 1 with one
# stderr line 'guestimg: …' matching PATTERN, prints nothing on stdout, and
# leaves $T as it was (no output file, nothing in $CWD, $VICTIM or $TMPDIR).
refused() {
    local pattern=$1; shift
    snapshot >"$T/in/before.lst"
    cd "$CWD"
    run --separate-stderr timeout "$HANG" "$@"
    cd - >/dev/null
    if [ "$status" -eq 124 ]; then
        echo "still running after ${HANG}s: $*" >&2
        return 1
    fi
    if [ "$status" -ne 1 ]; then
        printf 'expected exit 1, got %s\nstdout: %s\nstderr: %s\n' "$status" "$output" "$stderr" >&2
        return 1
    fi
    local n
    n=$(printf '%s' "$stderr" | grep -c '')
    if [ "$n" -ne 1 ] || ! [[ $stderr == "guestimg: "* ]]; then
        printf 'expected one stderr line "guestimg: …", got %s:\n%s\n' "$n" "$stderr" >&2
        return 1
    fi
    if ! [[ $stderr =~ $pattern ]]; then
        printf "error line '%s' does not match '%s'\n" "$stderr" "$pattern" >&2
        return 1
    fi
    if [ -n "$output" ]; then
        printf 'expected nothing on stdout, got: %s\n' "$output" >&2
        return 1
    fi
    snapshot | diff -u "$T/in/before.lst" - >&2 || { echo "the run left files behind" >&2; return 1; }
}

# ------------------------------------------------------ release.json ---

# A release directory as tests/release.bats makes it (lib/release_dir.bash),
# and a manifest for reproduce (release.json is refused before it is read).
make_release() {
    D=$T/in/rel
    make_release_dir "$D" "$T/in"
    echo 'name: x' >"$T/in/m.yaml"
}

# One hostile.py release CASE of the good release.json, in its own copy of
# the release directory; verify and reproduce both refuse it with PATTERN.
release_case() {
    local case=$1 pattern=$2 d=$T/in/c-$1
    mkdir -p "$d"
    cp "$D"/* "$d/"
    $HOSTILE release "$d/release.json" "$case" <"$D/release.json"
    refused "^guestimg: $d/release.json(:1)?: $pattern" "$GUESTIMG" verify "$d/release.json"
    refused "^guestimg: $d/release.json(:1)?: $pattern" "$GUESTIMG" reproduce "$d/release.json" --manifest "$T/in/m.yaml"
}

@test "hostile release.json: artifact names with '/', '..', absolute, empty; image and kernel outside" {
    make_release
    run "$GUESTIMG" verify "$D/release.json"
    [ "$status" -eq 0 ]   # the unchanged release passes
    release_case name-slash "artifacts\[0\]\.name 'sub/cmdline.txt' is not a plain file name$"
    release_case name-dotdot "artifacts\[0\]\.name '\.\.' is not a plain file name$"
    release_case name-dotdot-path "artifacts\[0\]\.name '\.\./\.\./etc/passwd' is not a plain file name$"
    release_case name-absolute "artifacts\[0\]\.name '/etc/shadow' is not a plain file name$"
    release_case name-empty "artifacts\[0\]\.name '' is not a plain file name$"
    release_case image-absolute "image '/etc/shadow' is not a plain file name$"
    release_case kernel-dotdot "kernel '\.\./vmlinuz' is not a plain file name$"
    release_case duplicate-artifact "artifacts\[3\]\.name: cmdline\.txt is listed twice$"
}

@test "hostile release.json: an artifact name with a newline is refused in one line" {
    make_release
    release_case name-newline "artifacts\[0\]\.name 'cmdline\\\\n\.txt' is not a plain file name$"
}

@test "hostile release.json: numbers as strings, fractions, negative, past 2^63; wrong types" {
    make_release
    release_case size-string "artifacts\[0\]\.size must be an integer, not a string$"
    release_case epoch-string "epoch must be an integer, not a string$"
    release_case svn-string "svn must be an integer, not a string$"
    release_case blocks-string "verity\.data_blocks must be an integer, not a string$"
    release_case size-float "artifacts\[0\]\.size must be an integer, not a number with a fraction$"
    release_case size-negative "artifacts\[0\]\.size -1 is outside 0\.\.9223372036854775807$"
    release_case size-huge "invalid JSON: too big integer near '18446744073709551616'$"
    release_case blocks-huge "invalid JSON: too big integer near '9223372036854775808'$"
    release_case artifacts-object "artifacts must be an array, not an object$"
    release_case artifact-null "artifacts\[0\] must be an object, not null$"
}

@test "hostile release.json: 100,000-deep nesting is refused at jansson's depth limit, not by a crash" {
    make_release
    for depth in 3000 100000; do
        $HOSTILE json-deep "$T/in/deep$depth.json" $depth <"$D/release.json"
        refused "^guestimg: $T/in/deep$depth.json:1: invalid JSON: maximum parsing depth reached near '\['$" \
            "$GUESTIMG" verify "$T/in/deep$depth.json"
    done
    # nesting in an object too
    $PY -c 'import sys; print("{\"a\":" * 50000 + "1" + "}" * 50000)' >"$T/in/deepobj.json"
    refused "^guestimg: $T/in/deepobj.json:1: invalid JSON: maximum parsing depth reached" \
        "$GUESTIMG" verify "$T/in/deepobj.json"
}

# The artifact is not a regular file: verify must say so without following
# the link, reading a device or blocking on a FIFO (a verdict on stdout,
# exit 1), and must never print the digest of what the link points at.
artifact_not_regular() {
    local what=$1
    cd "$CWD"
    run --separate-stderr timeout "$HANG" "$GUESTIMG" verify "$D/release.json"
    cd - >/dev/null
    [ "$status" -ne 124 ] || { echo "verify still running after ${HANG}s" >&2; return 1; }
    [ "$status" -eq 1 ]
    grep -q "^MISMATCH artifact vmlinuz: .*$D/vmlinuz: is $what, not a regular file$" <<<"$output"
    [ -z "$(find "$CWD" "$VICTIM" "$TMPDIR" -mindepth 1)" ]
}

@test "hostile release.json: artifacts that are symlinks to /etc/shadow or /dev/zero, a FIFO, a device" {
    make_release
    [ -r /etc/shadow ] || skip "/etc/shadow is not readable here"
    shadow_sha=$(sha256sum /etc/shadow | cut -d' ' -f1)
    rm "$D/vmlinuz"
    ln -s /etc/shadow "$D/vmlinuz"
    artifact_not_regular "a symbolic link"
    [[ $output != *"$shadow_sha"* ]]
    ln -sf /dev/zero "$D/vmlinuz"
    artifact_not_regular "a symbolic link"
    rm "$D/vmlinuz"
    mkfifo "$D/vmlinuz"
    artifact_not_regular "a FIFO"
    rm "$D/vmlinuz"
    mknod "$D/vmlinuz" c 1 5
    artifact_not_regular "a character device"
}

# ---------------------------------------------------------- manifests ---

# A manifest whose packages would come from a repository that is not
# there: whatever parses reaches the repository and fails there, so each
# case below is refused by the parser or not at all.
manifest_head() {
    mkdir -p "$T/in"
    cat <<EOF
name: hostile
version: "1.0"
epoch: 1700000000
seed: 5b9e1f3c-7f52-4c1e-9a57-2f0c1b7d8e61
repositories:
  - {name: r, baseurl: "file://$T/in/no-repo", gpgcheck: false}
EOF
}

# manifest_refused PATTERN TEXT: a manifest of the head and TEXT; lock
# refuses it naming the file, line and key; no lock file is written.
manifest_refused() {
    local m=$T/in/m$((++MN)).yaml
    { manifest_head; printf '%s\n' "$2"; } >"$m"
    refused "^guestimg: $m(:[0-9]+)?: $1" "$GUESTIMG" lock --cache "$T/in/cache" "$m"
    [ ! -e "${m%.yaml}.lock.json" ]
}

@test "hostile manifests: YAML alias bomb, duplicate keys, wrong types" {
    MN=0
    manifest_head >"$T/in/bomb.yaml"
    $HOSTILE yaml-bomb "$T/in/bomb.yaml"
    refused "^guestimg: $T/in/bomb.yaml:8: packages\[0\]: expected a name, got a sequence$" \
        "$GUESTIMG" lock --cache "$T/in/cache" "$T/in/bomb.yaml"
    # an alias is refused where a name belongs (no alias is expanded)
    manifest_refused "packages\[2\]: expected a name, got an alias$" 'packages: [y, &a z, *a]'
    manifest_refused "invalid YAML: duplicate key$" $'packages: [a]\npackages: [b]'
    manifest_refused "invalid YAML: duplicate key$" 'epoch: 1'
    manifest_refused "packages: expected a sequence, got a mapping$" 'packages: {a: 1}'
    manifest_refused "packages: expected a sequence, got a scalar$" 'packages: a'
    manifest_refused "packages\[0\]: expected a name, got a mapping$" 'packages: [{a: 1}]'
    manifest_refused "image: expected a mapping, got a sequence$" $'packages: [a]\nimage: [1]'
    manifest_refused "accounts.users\[0\].uid: expected a non-negative integer below 2\^32, got 'x'$" \
        $'packages: [a]\naccounts:\n  users: [{name: u, uid: x, gid: 0}]'
}

@test "hostile manifests: dst and symlink paths with '..', ids past 2^32" {
    MN=0
    manifest_refused "files\[0\]\.dst: '/a/\.\./\.\./x' is not an absolute, normalised image path$" \
        $'packages: [a]\nfiles: [{src: f, dst: /a/../../x}]'
    manifest_refused "symlinks\[0\]\.path: '/a/\.\./x' is not an absolute, normalised image path$" \
        $'packages: [a]\nsymlinks: [{path: /a/../x, target: /y}]'
    manifest_refused "directories\[0\]\.path: '\.\./x' is not an absolute, normalised image path$" \
        $'packages: [a]\ndirectories: [{path: ../x}]'
    manifest_refused "remove\[0\]: '/\.\./etc' is not an absolute, normalised image path$" \
        $'packages: [a]\nremove: [/../etc]'
    manifest_refused "accounts\.users\[0\]\.uid: expected a non-negative integer below 2\^32, got '4294967296'$" \
        $'packages: [a]\naccounts:\n  users: [{name: u, uid: 4294967296, gid: 0}]'
    manifest_refused "accounts\.groups\[0\]\.gid: expected a non-negative integer below 2\^32, got '18446744073709551617'$" \
        $'packages: [a]\naccounts:\n  groups: [{name: g, gid: 18446744073709551617}]'
    manifest_refused "accounts\.users\[0\]\.uid: expected a non-negative integer below 2\^32, got '-1'$" \
        $'packages: [a]\naccounts:\n  users: [{name: u, uid: -1, gid: 0}]'
}

@test "hostile manifests: 100,001 package names refused at once; a duplicate in 100,000 named" {
    MN=0
    names=$($PY -c "print(','.join('p%d' % i for i in range(99999)))")
    manifest_refused "packages: too many entries$" "packages: [$names,p99999,p100000]"
    manifest_refused "packages\[(5|99999)\]: 'p5' is listed twice$" "packages: [$names,p5]"
}

# ----------------------------------------------------- archives, trees ---

# rootfs_refused PATTERN INPUT: rootfs refuses INPUT naming it; nothing in
# $OUT, nothing through the archive's links into $VICTIM.
rootfs_refused() {
    refused "$1" "$GUESTIMG" rootfs -q -o "$OUT/x.img" "$2"
}

hostile_tar() {
    $HOSTILE tar "$1" "$T/in/$1.tar" "$VICTIM"
}

@test "hostile archives: symlink chains and loops, writes through symlinks to outside, the same path three times" {
    mkdir -p "$T/in"
    for c in loop-through chain-outside chain-up dir-through-symlink file-dir-symlink-write; do
        hostile_tar $c
    done
    rootfs_refused "^guestimg: $T/in/loop-through.tar: a/x: path passes through the symlink /a " "$T/in/loop-through.tar"
    rootfs_refused "^guestimg: $T/in/chain-outside.tar: l1/pwn: path passes through the symlink /l1 " "$T/in/chain-outside.tar"
    rootfs_refused "^guestimg: $T/in/chain-up.tar: l1/l1/pwn: path passes through the symlink /l1 " "$T/in/chain-up.tar"
    rootfs_refused "^guestimg: $T/in/dir-through-symlink.tar: etc/sub/: path passes through the symlink /etc " \
        "$T/in/dir-through-symlink.tar"
    rootfs_refused "^guestimg: $T/in/file-dir-symlink-write.tar: p/y: path passes through the symlink /p " \
        "$T/in/file-dir-symlink-write.tar"
}

@test "hostile archives: hard links to directories, symlinks, outside paths, through a symlink" {
    mkdir -p "$T/in"
    for c in hard-dir hard-outside hard-up hard-through-symlink; do hostile_tar $c; done
    rootfs_refused "^guestimg: $T/in/hard-dir.tar: link: hard link to the directory dir$" "$T/in/hard-dir.tar"
    rootfs_refused "^guestimg: $T/in/hard-outside.tar: $VICTIM/x: absolute hard link target$" "$T/in/hard-outside.tar"
    rootfs_refused "^guestimg: $T/in/hard-up.tar: \.\./\.\./\.\./etc/passwd: hard link target contains \"\.\.\"$" \
        "$T/in/hard-up.tar"
    rootfs_refused "^guestimg: $T/in/hard-through-symlink.tar: h: hard link to up/x, which is not in the tree$" \
        "$T/in/hard-through-symlink.tar"
}

@test "hostile archives: 10,000-deep names, truncated members and headers, an 8 GiB size with no data" {
    mkdir -p "$T/in"
    for c in deep-10000 truncated truncated-header size-overflow; do hostile_tar $c; done
    rootfs_refused "^guestimg: $T/in/deep-10000.tar: a/a/a/.*\.\.\.: path longer than 4095 bytes$" "$T/in/deep-10000.tar"
    rootfs_refused "^guestimg: $T/in/truncated.tar: big: cannot read the data: Truncated tar archive$" "$T/in/truncated.tar"
    rootfs_refused "^guestimg: $T/in/truncated-header.tar: corrupt archive after the entry ok: Truncated tar archive$" \
        "$T/in/truncated-header.tar"
    rootfs_refused "^guestimg: $T/in/size-overflow.tar: big: cannot read the data: Truncated tar archive$" \
        "$T/in/size-overflow.tar"
}

@test "hostile archives: a name with a newline and '..' is refused in one line" {
    mkdir -p "$T/in"
    hostile_tar name-newline-dotdot
    rootfs_refused "^guestimg: $T/in/name-newline-dotdot.tar: a\\\\nb/\.\./\.\./escape: path contains \"\.\.\"$" \
        "$T/in/name-newline-dotdot.tar"
}

# Legal but odd archives build; e2fsck passes and the image holds what
# Python's tarfile put in (debugfs lists it); nothing reaches $VICTIM.
@test "hostile archives: loops kept as links, hard link to a symlink, file then dir then symlink, odd names, 4,095-byte paths" {
    mkdir -p "$T/in"
    for c in loop hard-symlink file-dir-symlink name-newline name-invalid-utf8 path-4095; do
        hostile_tar $c
        cd "$CWD"
        run --separate-stderr timeout "$HANG" "$GUESTIMG" rootfs -q -o "$OUT/$c.img" "$T/in/$c.tar"
        cd - >/dev/null
        [ "$status" -eq 0 ] || { echo "$c: exit $status: $stderr" >&2; return 1; }
        e2fsck -fn "$OUT/$c.img" >/dev/null 2>&1 || { echo "$c: e2fsck" >&2; return 1; }
    done
    [ -z "$(find "$CWD" "$VICTIM" "$TMPDIR" -mindepth 1)" ]
    # the last of file, directory and symlink wins: p is the symlink to /etc
    [ "$(debugfs -R 'stat /p' "$OUT/file-dir-symlink.img" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')" = /etc ]
    # a loop stays a pair of links
    [ "$(debugfs -R 'stat /a' "$OUT/loop.img" 2>/dev/null | sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')" = b ]
    # names as bytes: a newline and invalid UTF-8 kept
    [ "$(debugfs -R 'ls -p /' "$OUT/name-invalid-utf8.img" 2>/dev/null | awk -F/ 'NF > 5 && $6 != "." && $6 != ".." && $6 != "lost+found"' | wc -l)" -eq 3 ]
}

# The limit is on the image path, "/" included: a relative archive name of
# 4,095 bytes is one byte past it (a host tree's paths count the same).
@test "hostile archives: a 4,095-byte name, a 4,096-byte image path, is refused at the path limit" {
    mkdir -p "$T/in"
    hostile_tar path-4096
    rootfs_refused "^guestimg: $T/in/path-4096.tar: d{64}\.\.\.: path longer than 4095 bytes$" "$T/in/path-4096.tar"
    [ ! -e "$OUT/x.img" ]
}

@test "hostile trees: a host directory 10,000 levels deep (past PATH_MAX) is refused at the path limit" {
    $HOSTILE deep-dir "$T/in/deep" 10000
    rootfs_refused "^guestimg: $T/in/deep: /d/d/d/.*\.\.\.: path longer than 4095 bytes$" "$T/in/deep"
    # 1,990 levels (past the ~1,900 where the scan overflowed its stack)
    # build, while the host path (input + image path) fits in PATH_MAX:
    # host file content is opened by path (see tests/README.md)
    $HOSTILE deep-dir "$T/in/deep1990" 1990
    run --separate-stderr timeout "$HANG" "$GUESTIMG" rootfs -q -o "$OUT/deep.img" "$T/in/deep1990"
    [ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
    e2fsck -fn "$OUT/deep.img" >/dev/null
    [ "$(debugfs -R "cat $(printf '/d%.0s' {1..1990})/f" "$OUT/deep.img" 2>/dev/null)" = bottom ]
}

# A legal image path under a long input path: the host path passes PATH_MAX
# (4,096), so the file is opened through its directories, not by path.
@test "hostile trees: a file whose host path is past PATH_MAX (a 4,002-byte image path under a long input) builds" {
    long="$T/in/$(printf 'L%.0s' {1..250})"
    $HOSTILE deep-dir "$long" 2000
    [ $(( ${#long} + 2000 * 2 + 2 )) -gt 4096 ]
    run --separate-stderr timeout "$HANG" "$GUESTIMG" rootfs -q -o "$OUT/long.img" "$long"
    [ "$status" -eq 0 ] || { echo "$stderr" >&2; return 1; }
    e2fsck -fn "$OUT/long.img" >/dev/null
    [ "$(debugfs -R "cat $(printf '/d%.0s' {1..2000})/f" "$OUT/long.img" 2>/dev/null)" = bottom ]
}

@test "hostile archives: 200,000 empty files build, e2fsck counts them" {
    $PY - "$T/in/many.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz", compresslevel=1, format=tarfile.GNU_FORMAT) as t:
    for i in range(200000):
        ti = tarfile.TarInfo("d%03d/f%06d" % (i // 1000, i))
        ti.mtime = 0
        t.addfile(ti, io.BytesIO(b""))
PY
    cd "$CWD"
    run --separate-stderr timeout 120 "$GUESTIMG" rootfs -q -o "$OUT/many.img" "$T/in/many.tar.gz"
    cd - >/dev/null
    [ "$status" -eq 0 ]
    # 200,000 files, 200 directories, the root and lost+found, and the
    # reserved inodes e2fsck counts (1-10 less the unused: its own figure)
    run e2fsck -fn "$OUT/many.img"
    [ "$status" -eq 0 ]
    used=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* files .*/\1/p' <<<"$output")
    [ "$used" -ge 200202 ] && [ "$used" -le 200212 ]
    [ "$(debugfs -R 'ls -p /d199' "$OUT/many.img" 2>/dev/null | grep -c '/f199[0-9]*/')" -eq 1000 ]
    [ -z "$(find "$CWD" "$TMPDIR" -mindepth 1)" ]
}

# ----------------------------------------- mutants through the CLI ---

# hostile.py mutate checks each run's outcome (exit 0, or exit 1 with one
# line naming the mutant, or a FAIL verdict) and that nothing else is left.
mutate() {
    run $HOSTILE mutate --timeout "$HANG" "$@"
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "hostile mutants: IGVM files, OVMF builds, the Milan report, the VCEK and the cert chain through the CLI" {
    require_reference
    xxd -r -p "$REF/attestation/report_milan.hex" >"$T/report.bin"
    mkdir -p "$T/m"
    mutate --count 80 igvm "$REF/igvm/out_x64.igvm" "$T/m" -- "$GUESTIMG" igvm measure {} --no-checksum
    mutate --count 40 igvm "$REF/igvm/out_x86_defacpi.igvm" "$T/m" -- "$GUESTIMG" igvm dump {} --json
    mutate --count 120 ovmf "$REF/snp/ovmf_AmdSev_suffix.bin" "$T/m" -- \
        "$GUESTIMG" measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --ovmf {}
    mutate --count 120 report "$T/report.bin" "$T/m" -- "$GUESTIMG" report show {} --json
    mutate --count 120 --verdict '^FAIL ' report "$T/report.bin" "$T/m" -- \
        "$GUESTIMG" report verify {} --cert-chain "$REF/attestation/cert_chain_milan" --vcek "$REF/attestation/vcek_milan.der"
    mutate --count 120 --verdict '^FAIL ' der "$REF/attestation/vcek_milan.der" "$T/m" -- \
        "$GUESTIMG" report verify "$T/report.bin" --cert-chain "$REF/attestation/cert_chain_milan" --vcek {}
    mutate --count 80 --verdict '^FAIL ' pem "$REF/attestation/cert_chain_milan" "$T/m" -- \
        "$GUESTIMG" report verify "$T/report.bin" --cert-chain {} --vcek "$REF/attestation/vcek_milan.der"
    [ -z "$(ls -A "$T/m")" ]
}
