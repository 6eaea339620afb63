#!/bin/bash
# Start-up of every subcommand (`guestimg SUB --help`: argument parsing
# only, so the time is the process's start: the loader, its libraries, our
# constructors) against `openssl version`, whole processes, interleaved
# medians. measure, id-block, igvm, report and verify load libcrypto and
# jansson only [target ≤ 1.3]; the build commands load the build stages'
# object with libcurl, libsolv, libext2fs … (docs/startup.md), shown for
# what they cost.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-31}
echo "whole processes, median of $runs interleaved runs"

base() { openssl version; }
light=(version measure id-block igvm report verify report-html publish install)
heavy=(rootfs lock kernel boot build reproduce)
fns=(base)
for c in "${light[@]}" "${heavy[@]}"; do
    f=run_${c//-/_}
    if [ "$c" = version ]; then
        eval "$f() { \"\$GUESTIMG\" --version; }"
    else
        eval "$f() { \"\$GUESTIMG\" $c --help; }"
    fi
    fns+=("$f")
done
mapfile -t t < <(interleaved_medians "$runs" "${fns[@]}")
i=1
for c in "${light[@]}" "${heavy[@]}"; do
    what="guestimg $c --help"
    [ "$c" = version ] && what="guestimg --version"
    target="[target ≤ 1.3]"
    [[ " ${heavy[*]} " == *" $c "* ]] && target="(loads libguestimg-build.so)"
    echo "start-up $what: ${t[$i]}s vs ${t[0]}s (openssl version) = $(ratio "${t[$i]}" "${t[0]}")x $target"
    i=$((i + 1))
done
