#!/usr/bin/env bats
# Golden hashes (tests/golden/*.sha256): the demo release and the small
# bench tree's image, rebuilt here, have the sha256 the tree records —
# what another machine built. Bad golden files: one line naming the artifact.
load ../lib/common

@test "golden: the demo release and the bench tree image have their golden sha256" {
    [ -s "$ROOT/output/debs/busybox-static.deb" ] || skip "output/debs/busybox-static.deb is absent (make deps)"
    run "$ROOT/tests/golden/run" check
    echo "$output"
    [ "$status" -eq 0 ]
    # every artifact of both, each checked
    [ "$(grep -c '^golden: same ' <<<"$output")" -eq $(($(wc -l <"$ROOT/tests/golden/demo.sha256") + $(wc -l <"$ROOT/tests/golden/rootfs-bench.sha256"))) ]
}

@test "golden: a golden file that is not what the build writes names the artifact" {
    [ -s "$ROOT/output/debs/busybox-static.deb" ] || skip "output/debs/busybox-static.deb is absent (make deps)"
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/tree/tests"
    cp -r "$ROOT/tests/golden" "$ROOT/tests/bench" "$T/tree/tests/"
    cp -r "$ROOT/manifests" "$ROOT/kernel-configs" "$ROOT/tools" "$T/tree/"
    ln -s "$ROOT/output" "$T/tree/output"
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
