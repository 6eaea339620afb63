#!/usr/bin/env bats
# make check-repro inside the slow tier: reprotest's variations on the demo
# release (kernel from the cache) and on the demo kernel build (two builds
# from source: the slow part, ~15-25 min on 2 cores). The table goes to
# the TAP output.
load ../lib/common

@test "check-repro: the demo release and the demo kernel rebuild to the same bytes under reprotest's variations" {
    [ -s "$ROOT/output/debs/busybox-static.deb" ] || skip "output/debs/busybox-static.deb is absent (make deps)"
    run "$ROOT/tests/repro/run"
    sed 's/^/# /' <<<"$output" >&3
    [ "$status" -eq 0 ]
    # every variation is in the table, run or with its reason
    for v in environment build_path user_group fileordering home kernel locales exec_path time timezone umask num_cpus aslr domain_host; do
        row=$(grep "^| $v | " <<<"$output")
        # one the machine offers: the builds saw it change (build.sh's probe)
        if [[ $row != *"| not here | not here |"* ]]; then
            [[ $row == *"| varied |"*"; seen: "*" → "* ]]
            [[ $row != *"NOT IN EFFECT"* ]]
        fi
    done
    ! grep -q 'NOT reproduced\|FAILED' <<<"$output" || false
}
