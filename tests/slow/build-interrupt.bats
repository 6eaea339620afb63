#!/usr/bin/env bats
# guestimg build interrupted while it compiles the kernel (a fresh kernel
# cache: the source is extracted and configured first, a minute or two):
# SIGTERM stops make and every compiler it started, the kernel cache keeps
# no half-built entry, and nothing is published.
load ../lib/common
load ../lib/guest

# a build the test did not get to stop (an assertion failed first) must not
# run on: it would hold the runner and compete with the next tests
teardown() {
    [ -z "${pid:-}" ] || ! kill -0 "$pid" 2>/dev/null || { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; }
}

@test "build: SIGTERM during the kernel build stops make and its compilers; nothing published" {
    require_kernel_source
    [ -s "$ROOT/output/debs/busybox-static.deb" ] || skip "output/debs/busybox-static.deb is absent (make deps)"
    [ -f /usr/share/ovmf/OVMF.fd ] || skip "/usr/share/ovmf/OVMF.fd is absent (package ovmf)"
    command -v pgrep >/dev/null || skip "pgrep not installed (package procps)"
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/ws/manifests" "$T/cache"
    cp "$ROOT/manifests/demo.yaml" "$T/ws/manifests/"
    ln -s "$ROOT/output" "$T/ws/output"
    ln -s "$ROOT/acpi-tables" "$T/ws/acpi-tables"
    ln -s "$ROOT/tools" "$T/ws/tools"
    XDG_CACHE_HOME=$T/cache "$GUESTIMG" build -q "$T/ws/manifests/demo.yaml" -o "$T/out" \
        --kernel-source "$KERNEL_SOURCE" --jobs 2 >"$T/stdout" 2>"$T/stderr" 3>&- &
    pid=$!
    # wait for compilers working on this cache's kernel build (their
    # command lines carry its path in the prefix maps); extracting and
    # configuring takes a minute or two, far longer on a loaded machine.
    # A compiler lives for a fraction of a second and the first few are
    # followed by other steps: what was seen is remembered, not looked
    # for again (a second look can fall between two compiles).
    seen=
    for _ in $(seq 2400); do
        if [ "$(pgrep -fc -- "-fmacro-prefix-map=$T/cache" || true)" -ge 1 ]; then seen=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    [ -n "$seen" ] || { echo "# no compiler of this build seen; its stderr:"; sed 's/^/# /' "$T/stderr"; false; }
    pgrep -f "O=$T/cache" >/dev/null
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -eq 143 ]
    assert_equal "$(cat "$T/stderr")" "guestimg: interrupted by SIGTERM: nothing was published, $T/out is as it was"
    # nothing of the build runs on
    for _ in $(seq 50); do
        pgrep -f "$T/cache" >/dev/null || break
        sleep 0.1
    done
    run pgrep -fa "$T/cache"
    [ "$status" -eq 1 ]
    # no half-built kernel in the cache, nothing published
    [ -z "$(find "$T/cache/guestimg/kernel" -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]
    [ ! -e "$T/out" ]
    [ -z "$(find "$T" -maxdepth 1 -name '.out.tmp-*')" ]
}
