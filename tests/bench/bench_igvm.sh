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

# igvm build on a 16 MiB kernel (igvm-tooling's test bzImage header with
# 16 MiB of AES-CTR bytes as its protected-mode part: the same on every
# machine) with the Cloud Hypervisor ACPI tables, against the floor
# (openssl dgst -sha384 over the file it makes) and, when a checkout is
# named by IGVM_TOOLING (its cstruct by CSTRUCT), against igvmgen itself.
k=$d/16m.bzImage
if [ ! -f "$k" ]; then
    { cat "$GUESTIMG_ROOT/tests/fixtures/igvm-build/test_bzImage"
      head -c $((16 << 20)) /dev/zero |
          openssl enc -aes-128-ctr -nosalt -K 00000000000000000000000000000000 -iv 00000000000000000000000000000000; } >"$k.tmp"
    mv "$k.tmp" "$k"
fi
out=$d/build.igvm
acpi=$GUESTIMG_ROOT/acpi-tables/clh
bargs=(igvm build -o "$out" --kernel "$k" --boot-mode x64 --vtl 0 --acpi-dir "$acpi" --append "console=hvc0 quiet")
build() { "$GUESTIMG" "${bargs[@]}"; }
build >/dev/null
floor_built() { openssl dgst -sha384 "$out"; }
# the same plus writing a file of that size, as a writer must
floor_io() { openssl dgst -sha384 "$out" && cp "$out" "$d/copy.igvm"; }
floor_built >/dev/null
echo "igvm build input: 16 MiB kernel; output $(($(stat -c %s "$out") >> 20)) MiB"
{ read -r t_build; read -r t_fb; read -r t_io; } < <(interleaved_medians "$runs" build floor_built floor_io)
echo "igvm build: ${t_build}s vs ${t_fb}s (openssl dgst -sha384 of its output) = $(ratio "$t_build" "$t_fb")x [target ≤ 1.5]"
echo "igvm build: ${t_build}s vs ${t_io}s (that digest + cp of the output: the write a writer must do) = $(ratio "$t_build" "$t_io")x"
echo "igvm build peak RSS: $(peak_rss_mib "$GUESTIMG" "${bargs[@]}") MiB"
if [ -n "${IGVM_TOOLING:-}" ] && [ -d "$IGVM_TOOLING/src/igvm" ]; then
    rm -rf "$d/clh" && cp -r "$IGVM_TOOLING/src/igvm/acpi/acpi-clh" "$d/clh"
    igvmgen() {
        (cd "$IGVM_TOOLING/src" && PYTHONPATH=${CSTRUCT:-}:. /usr/bin/python3 -m igvm.igvmgen -kernel "$k" \
            -boot_mode x64 -vtl 0 -acpi_dir "$d/clh" -append "console=hvc0 quiet" -o "$d/ref.igvm" \
            -sign_key "$GUESTIMG_ROOT/keys/igvm-snakeoil-id-key.pem" -sign_deterministic 1 >/dev/null 2>&1)
    }
    igvmgen
    cmp -s "$out" "$d/ref.igvm" && same="the same bytes" || same="DIFFERENT bytes"
    t_ref=$(interleaved_medians 3 igvmgen | head -1)
    echo "igvmgen (igvm-tooling): ${t_ref}s = $(ratio "$t_ref" "$t_build")x guestimg's time; files: $same"
else
    echo "igvmgen (igvm-tooling): not run (set IGVM_TOOLING=checkout and CSTRUCT=its cstruct module)"
fi
