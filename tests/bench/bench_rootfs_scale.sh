#!/bin/bash
# The growth curve of guestimg rootfs (issue 17, "Scale"): trees of many
# small files and trees of much data, each step timed and its peak RSS
# read, against mke2fs -d + veritysetup format on the same tree (the
# rootless alternative, given the size guestimg chose, no journal, as
# guestimg). Cost should grow linearly with the step (the "per unit" column
# stays flat) and memory stay under 256 MiB at a million files.
#
#   BENCH_SCALE_FILES  file counts   (default "10000 100000 1000000")
#   BENCH_SCALE_GIB    data in GiB   (default "1 4 8")
#   BENCH_SCALE=0      skip it (it writes a few times the largest step to disk)
#
# Trees are made once under $BENCH_DIR/scale (deterministic: files of
# 0-256 bytes named by their index, 100 to a directory; data as 64 MiB
# files of AES-CTR bytes from a fixed key, with one page of zeros per MiB).
set -eu
. "$(dirname "$0")/lib.sh"
if [ "${BENCH_SCALE:-1}" = 0 ]; then
    echo "rootfs growth curve: skipped (BENCH_SCALE=0)"
    exit 0
fi
files_steps=${BENCH_SCALE_FILES:-10000 100000 1000000}
gib_steps=${BENCH_SCALE_GIB:-1 4 8}
SEED=6a0b5b3c-1e2f-4d5e-8f90-123456789abc
d=$BENCH_DIR/scale
work=$d/work
mkdir -p "$d"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

make_files() { # DIR N
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(root, "d%05d" % (i // 100))
    if i % 100 == 0:
        os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%07d" % i), "wb") as f:
        f.write(b"%d\n" % i * (i % 43))
EOF
}

make_data() { # DIR GIB
    local i n=$(($2 * 16))
    mkdir -p "$1"
    for ((i = 0; i < n; i++)); do
        head -c $((64 << 20)) /dev/zero |
            openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$i")" -iv 00000000000000000000000000000000 |
            /usr/bin/python3 -c '
import sys
b = bytearray(sys.stdin.buffer.read())
for m in range(0, len(b), 1 << 20):
    b[m:m + 4096] = bytes(4096)
sys.stdout.buffer.write(b)' >"$1/data$i"
    done
}

tree_for() { # KIND STEP -> path, made once
    local t=$d/$1-$2
    if [ ! -e "$t/.complete" ]; then
        rm -rf "$t" && mkdir -p "$t"
        if [ "$1" = files ]; then make_files "$t" "$2"; else make_data "$t" "$2"; fi
        touch "$t/.complete"
    fi
    echo "$t"
}

# one step: time (median of 1: each is seconds to minutes) and peak RSS
step() { # LABEL UNITS UNIT-NAME TREE
    local label=$1 units=$2 uname=$3 tree=$4 t_ours t_base rss size
    rm -f "$work"/*
    find "$tree" -type f -print0 | xargs -0 cat >/dev/null   # warm the page cache alike
    ours() { "$GUESTIMG" rootfs -q -o "$work/ours.img" --seed $SEED "$tree" >/dev/null; }
    ours
    size=$(stat -c %s "$work/ours.img")
    base() {
        rm -f "$work/base.img" "$work/base.verity"
        mke2fs -q -F -t ext4 -O ^has_journal -b 4096 -N "$(($(find "$tree" | wc -l) + 1024))" -d "$tree" \
            "$work/base.img" "$((size / 1024))k" &&
            veritysetup format "$work/base.img" "$work/base.verity" >/dev/null
    }
    { read -r t_ours; read -r t_base; } < <(interleaved_medians 1 ours base)
    rss=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" --seed $SEED "$tree")
    printf '| %s | %s s | %s s | %sx | %s ms | %s MiB |\n' "$label" "$t_ours" "$t_base" "$(ratio "$t_ours" "$t_base")" \
        "$(echo "scale=3; $t_ours * 1000 / $units" | bc -l | sed 's/^\./0./')" "$rss"
    rm -f "$work"/*
}

echo "rootfs growth curve (guestimg rootfs --seed vs mke2fs -d + veritysetup format; one run per step)"
echo "| step | guestimg | mke2fs + veritysetup | ratio | guestimg per unit | guestimg peak RSS |"
echo "|---|---|---|---|---|---|"
for n in $files_steps; do
    step "$n files" "$((n / 1000))" "1000 files" "$(tree_for files "$n")"
done
for g in $gib_steps; do
    step "$g GiB" "$g" GiB "$(tree_for data "$g")"
done
echo "(per unit: per 1000 files, per GiB; flat = linear growth) [memory target < 256 MiB at 1,000,000 files]"
