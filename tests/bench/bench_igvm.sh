#!/bin/bash
# guestimg igvm measure on a 64 MiB IGVM file (16384 measured 4 KiB pages
# carried in the file, a VMSA), against openssl dgst -sha384 over the same
# file: the hashing floor any implementation must pay. Peak RSS too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
runs=${BENCH_RUNS:-11}
d=$BENCH_DIR/igvm
mkdir -p "$d"
f=$d/64m.igvm
if [ ! -f "$f" ]; then
    {
        echo "platform mask=1 type=2"
        echo "policy mask=1"
        chars=(a b c d e f g h i j k l m n o p)
        for ((i = 0; i < 16384; i++)); do
            printf 'page gpa=0x%x data=%s\n' $((0x100000 + i * 4096)) "${chars[i % 16]}"
        done
        echo "vp data=V"
    } | /usr/bin/python3 "$GUESTIMG_ROOT/tests/lib/mkigvm.py" build "$f"
fi
echo "IGVM: $(($(stat -c %s "$f") >> 20)) MiB, 16384 data pages + a VMSA; median of $runs interleaved runs"

measure() { "$GUESTIMG" igvm measure "$f"; }
floor() { openssl dgst -sha384 "$f"; }
measure >/dev/null && floor >/dev/null # warm the page cache
{ read -r t_measure; read -r t_floor; } < <(interleaved_medians "$runs" measure floor)
echo "igvm measure: ${t_measure}s vs ${t_floor}s (openssl dgst -sha384) = $(ratio "$t_measure" "$t_floor")x [target ≤ 1.5]"
echo "igvm measure peak RSS: $(peak_rss_mib "$GUESTIMG" igvm measure "$f") MiB (file: 64 MiB)"

# igvm build: the AKS guest file from a kernel (the demo kernel when the
# cache has one, else igvm-tooling's test bzImage) with the Cloud Hypervisor
# ACPI tables, against igvm measure of the file it makes: building must
# compute that same digest, so measuring the result is its floor.
k=$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/guestimg/kernel/*/bzImage 2>/dev/null | head -1)
[ -n "$k" ] || k=$GUESTIMG_ROOT/tests/fixtures/igvm-build/test_bzImage
out=$d/build.igvm
build() { "$GUESTIMG" igvm build -o "$out" --kernel "$k" --boot-mode x64 --acpi-dir "$GUESTIMG_ROOT/acpi-tables/clh" --append "console=hvc0 quiet"; }
build >/dev/null
measure_built() { "$GUESTIMG" igvm measure "$out"; }
measure_built >/dev/null
echo "igvm build input: $(basename "$(dirname "$k")")/bzImage, $(($(stat -c %s "$k") >> 10)) KiB; output $(($(stat -c %s "$out") >> 10)) KiB"
{ read -r t_build; read -r t_mb; } < <(interleaved_medians "$runs" build measure_built)
echo "igvm build: ${t_build}s vs ${t_mb}s (igvm measure of its output) = $(ratio "$t_build" "$t_mb")x [target ≤ 2]"
echo "igvm build peak RSS: $(peak_rss_mib "$GUESTIMG" igvm build -o "$out" --kernel "$k" --boot-mode x64 --acpi-dir "$GUESTIMG_ROOT/acpi-tables/clh") MiB"
