#!/usr/bin/env bats
# Golden hashes (tests/golden/*.sha256): the demo release and the small
# bench tree's image, rebuilt here, have the sha256 the tree records —
# what another machine built. Bad golden files: one line naming the artifact.
load ../lib/common

# The demo's .deb (make deps): without it a developer's run skips, CI's
# fails (CI is where the golden hashes are checked on another machine).
require_golden_inputs() {
    [ -s "$ROOT/output/debs/busybox-static.deb" ] && return 0
    [ -z "${CI:-}" ] || { echo "output/debs/busybox-static.deb is absent under CI: make deps did not fetch it" >&2; return 1; }
    skip "output/debs/busybox-static.deb is absent (make deps)"
}

@test "golden: the demo release and the bench tree image have their golden sha256" {
    require_golden_inputs
    run "$ROOT/tests/golden/run" check
    echo "$output"
    [ "$status" -eq 0 ]
    # every artifact of both, each checked
    [ "$(grep -c '^golden: same ' <<<"$output")" -eq $(($(wc -l <"$ROOT/tests/golden/demo.sha256") + $(wc -l <"$ROOT/tests/golden/rootfs-bench.sha256"))) ]
}

# copy_tree: the files tests/golden/run reads, in $T/tree (its golden files may be changed)
copy_tree() {
    mkdir -p "$T/tree/tests"
    cp -r "$ROOT/tests/golden" "$ROOT/tests/bench" "$T/tree/tests/"
    cp -r "$ROOT/manifests" "$ROOT/kernel-configs" "$ROOT/tools" "$ROOT/acpi-tables" "$T/tree/"
    ln -s "$ROOT/output" "$T/tree/output"
}

@test "golden: a golden file that is not what the build writes names the artifact" {
    require_golden_inputs
    T=$BATS_TEST_TMPDIR
    copy_tree
    g=$T/tree/tests/golden/demo.sha256
    # an artifact the build does not write, and one with another sha256
    echo "$(printf '0%.0s' {1..64})  vmlinuz.old" >>"$g"
    sed -i "s/^[0-9a-f]\{64\}  cmdline.txt$/$(printf '1%.0s' {1..64})  cmdline.txt/" "$g"
    run "$T/tree/tests/golden/run" check
    [ "$status" -eq 1 ]
    grep -qx "golden: tests/golden/demo.sha256 names vmlinuz.old, which the build did not write" <<<"$output"
    grep -qx "golden: DIFFERS cmdline.txt: golden $(printf '1%.0s' {1..64}) built $(grep '  cmdline.txt$' "$ROOT/tests/golden/demo.sha256" | cut -c1-64)" <<<"$output"
    [ "$(grep -c '^golden: DIFFERS\|did not write\|does not name' <<<"$output")" -eq 2 ]
}

@test "golden: make golden (update) rewrites both files to what the build writes and says which artifacts change" {
    require_golden_inputs
    T=$BATS_TEST_TMPDIR
    copy_tree
    g=$T/tree/tests/golden/demo.sha256
    # as before a change: one artifact gone (IGVM files being added, say),
    # one with another hash, one no longer written
    sed -i '/  lock.json$/d' "$g"
    sed -i "s/^[0-9a-f]\{64\}  cmdline.txt$/$(printf '1%.0s' {1..64})  cmdline.txt/" "$g"
    echo "$(printf '0%.0s' {1..64})  vmlinuz.old" >>"$g"
    : >"$T/tree/tests/golden/rootfs-bench.sha256"
    run "$T/tree/tests/golden/run" update
    [ "$status" -eq 0 ]
    assert_equal "$(grep '^golden: demo: ' <<<"$output")" "golden: demo: changed cmdline.txt
golden: demo: new lock.json
golden: demo: gone vmlinuz.old"
    [ "$(grep -c '^golden: rootfs-bench: new ' <<<"$output")" -eq 3 ]
    # what another machine built (the files in the tree), checked by sha256sum itself
    cmp "$g" "$ROOT/tests/golden/demo.sha256"
    cmp "$T/tree/tests/golden/rootfs-bench.sha256" "$ROOT/tests/golden/rootfs-bench.sha256"
    run "$T/tree/tests/golden/run" check
    [ "$status" -eq 0 ]
}
