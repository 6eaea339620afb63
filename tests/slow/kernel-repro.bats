#!/usr/bin/env bats
# Reproducibility of the kernel build: a build in a fresh cache (its own
# source extraction and build directories, another umask, time zone and
# locale) gives the same bzImage and vmlinux bytes as the shared cache's.
# Builds the demo kernel from scratch: minutes.
load ../lib/common
load ../lib/guest

@test "kernel build: two builds in different directories are byte-identical" {
    require_kernel_source
    T=$BATS_TEST_TMPDIR
    "$GUESTIMG" kernel build -q --source "$KERNEL_SOURCE" --profile demo -o "$T/a" >/dev/null
    (
        umask 077
        export XDG_CACHE_HOME=$T/other-cache TZ=Pacific/Chatham LC_ALL=C.UTF-8
        cd "$T"
        "$GUESTIMG" kernel build -q --source "$KERNEL_SOURCE" --profile demo -o "$T/b" >/dev/null
    )
    # the second build really happened in another tree
    [ -d "$T/other-cache/guestimg/kernel" ]
    [ -s "$(echo "$T"/other-cache/guestimg/kernel/*/build.log)" ]
    cmp "$T/a/kernel.config" "$T/b/kernel.config"
    cmp "$T/a/vmlinux" "$T/b/vmlinux"
    cmp "$T/a/bzImage" "$T/b/bzImage"
    # and nothing of either build directory's path is in them
    ! grep -qa "other-cache" "$T/b/vmlinux" || false
    ! grep -qa "$HOME/.cache" "$T/a/vmlinux" || false
}
