#!/bin/bash
# guestimg rootfs on a ~1 GiB tree of mixed files (made once under
# $BENCH_DIR/rootfs-tree, deterministic content), against:
#   - mke2fs -d followed by veritysetup format (the rootless alternative),
#     mke2fs given the size guestimg chose and no journal, as guestimg;
#   - for the verity step alone (builder/verity.c), openssl dgst -sha256
#     over the same image (the hashing floor).
# And peak memory, which must not grow with file sizes.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
tree=$BENCH_DIR/rootfs-tree
work=$BENCH_DIR/rootfs-work
if [ ! -e "$tree/.complete" ]; then
    rm -rf "$tree"
    echo "making the benchmark tree (once) in $tree"
    /usr/bin/python3 "$GUESTIMG_ROOT/tests/bench/make_tree.py" "$tree"
    touch "$tree/.complete"
fi
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# warm the page cache alike for everyone
find "$tree" -type f -print0 | xargs -0 cat > /dev/null

ours() { "$GUESTIMG" rootfs -q -o "$work/ours.img" "$tree" > /dev/null; }
ours
size=$(stat -c %s "$work/ours.img")
baseline() {
    rm -f "$work/base.img"
    mke2fs -q -F -t ext4 -O ^has_journal -b 4096 -d "$tree" "$work/base.img" "$((size / 1024))k" &&
        veritysetup format "$work/base.img" "$work/base.verity" > /dev/null
}
# interleaved, so that both see the same load on a shared machine
declare -a ta tb
for ((i = 0; i < RUNS; i++)); do
    ta+=("$(median_seconds 1 ours)")
    tb+=("$(median_seconds 1 baseline)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t_ours=$(median "${ta[@]}")
t_base=$(median "${tb[@]}")
echo "rootfs ($(du -sh --apparent-size "$tree" | cut -f1) tree, $((size / 1048576)) MiB image): $t_ours s vs $t_base s (mke2fs -d + veritysetup format) = $(ratio "$t_ours" "$t_base")x [target ≤ 1.0]"

helper=$work/verity_step
cc -I"$GUESTIMG_ROOT" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -o "$helper" \
    "$GUESTIMG_ROOT/tests/bench/verity_step.c" "$GUESTIMG_ROOT/build/libbuilder.a" \
    "$GUESTIMG_ROOT/build/libcommon.a" $(pkg-config --libs libcryptsetup libcrypto)
verity() { "$helper" stream "$work/ours.img" "$work/ours.verity"; }
floor() { openssl dgst -sha256 "$work/ours.img"; }
libcryptsetup() { "$helper" libcryptsetup "$work/ours.img" "$work/ours.verity"; }
declare -a tv tf tl
for ((i = 0; i < RUNS; i++)); do
    tv+=("$(median_seconds 1 verity)")
    tf+=("$(median_seconds 1 floor)")
    tl+=("$(median_seconds 1 libcryptsetup)")
done
t_verity=$(median "${tv[@]}")
t_floor=$(median "${tf[@]}")
t_lib=$(median "${tl[@]}")
echo "verity step: $t_verity s vs $t_floor s (openssl dgst -sha256 over the image) = $(ratio "$t_verity" "$t_floor")x [target ≤ 1.3]"
echo "verity step: $t_verity s vs $t_lib s (libcryptsetup's crypt_format on the image) = $(ratio "$t_verity" "$t_lib")x"

kata() { "$GUESTIMG" rootfs -q --layout kata -o "$work/kata.img" "$tree" > /dev/null; }
declare -a tk tr
for ((i = 0; i < RUNS; i++)); do
    tk+=("$(median_seconds 1 kata)")
    tr+=("$(median_seconds 1 ours)")
done
t_kata=$(median "${tk[@]}")
t_raw=$(median "${tr[@]}")
echo "rootfs --layout kata: $t_kata s vs $t_raw s (the raw layout) = $(ratio "$t_kata" "$t_raw")x"
rm -f "$work/kata.img"

# Peak memory: the big tree, a tree of small files only, and the big tree
# as a tar archive (content streamed through the spool).
mkdir -p "$work/small" && cp -r "$tree/small/d000" "$work/small/"
rss_big=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$tree")
rss_small=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$work/small")
tar -C "$tree" -cf "$work/tree.tar" .
rss_tar=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$work/tree.tar")
echo "peak RSS: $rss_big MiB (1 GiB tree), $rss_small MiB (small files only), $rss_tar MiB (the tree as a tar) [target < 256]"
