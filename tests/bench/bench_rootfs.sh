#!/bin/bash
# guestimg rootfs on a ~1 GiB tree of mixed files (made once under
# $BENCH_DIR/rootfs-tree, deterministic content), against:
#   - mke2fs -d followed by veritysetup format (the rootless alternative),
#     mke2fs given the size guestimg chose and no journal, as guestimg;
#   - for the verity step alone (builder/fs/verity.c's streaming pass), openssl
#     dgst -sha256 over the same image (the hashing floor), and
#     libcryptsetup's crypt_format on it (the reference implementation);
#   - the kata layout (filesystem and hash tree in partitions of one disk)
#     against the raw layout; no --seed (the seed from the content) against
#     a given seed.
# And peak memory, which must not grow with file sizes.
set -eu
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
SEED=6a0b5b3c-1e2f-4d5e-8f90-123456789abc
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

# as a release pipeline runs it: a given seed
ours() { "$GUESTIMG" rootfs -q -o "$work/ours.img" --seed $SEED "$tree" > /dev/null; }
ours
size=$(stat -c %s "$work/ours.img")
baseline() {
    rm -f "$work/base.img"
    mke2fs -q -F -t ext4 -O ^has_journal -b 4096 -d "$tree" "$work/base.img" "$((size / 1024))k" &&
        veritysetup format "$work/base.img" "$work/base.verity" > /dev/null
}
{ read -r t_ours; read -r t_base; } < <(interleaved_medians "$RUNS" ours baseline)
echo "rootfs ($(du -sh --apparent-size "$tree" | cut -f1) tree, $((size / 1048576)) MiB image): $t_ours s vs $t_base s (mke2fs -d + veritysetup format) = $(ratio "$t_ours" "$t_base")x [target ≤ 1.0]"

helper=$work/verity_step
cc -I"$GUESTIMG_ROOT" -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -o "$helper" \
    "$GUESTIMG_ROOT/tests/bench/verity_step.c" "$GUESTIMG_ROOT/build/libfs.a" \
    "$GUESTIMG_ROOT/build/libcommon.a" $(pkg-config --libs libcryptsetup libcrypto)
verity() { "$helper" stream "$work/ours.img" "$work/ours.verity"; }
floor() { openssl dgst -sha256 "$work/ours.img"; }
libcryptsetup() { "$helper" libcryptsetup "$work/ours.img" "$work/ours.verity"; }
{ read -r t_verity; read -r t_floor; read -r t_lib; } < <(interleaved_medians "$RUNS" verity floor libcryptsetup)
echo "verity step: $t_verity s vs $t_floor s (openssl dgst -sha256 over the image) = $(ratio "$t_verity" "$t_floor")x [target ≤ 1.3]"
echo "verity step: $t_verity s vs $t_lib s (libcryptsetup's crypt_format on the image) = $(ratio "$t_verity" "$t_lib")x"

kata() { "$GUESTIMG" rootfs -q --layout kata -o "$work/kata.img" --seed $SEED "$tree" > /dev/null; }
unseeded() { "$GUESTIMG" rootfs -q -o "$work/unseeded.img" "$tree" > /dev/null; }
{ read -r t_kata; read -r t_unseeded; read -r t_raw; } < <(interleaved_medians "$RUNS" kata unseeded ours)
echo "rootfs --layout kata: $t_kata s vs $t_raw s (the raw layout) = $(ratio "$t_kata" "$t_raw")x"
echo "rootfs without --seed: $t_unseeded s vs $t_raw s (with --seed) = $(ratio "$t_unseeded" "$t_raw")x"
rm -f "$work/kata.img" "$work/unseeded.img"

# Peak memory: the big tree, a tree of small files only, and the big tree
# as a tar archive (content streamed through the spool).
mkdir -p "$work/small" && cp -r "$tree/small/d000" "$work/small/"
rss_big=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$tree")
rss_small=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$work/small")
tar -C "$tree" -cf "$work/tree.tar" .
rss_tar=$(peak_rss_mib "$GUESTIMG" rootfs -q -o "$work/rss.img" "$work/tree.tar")
echo "peak RSS: $rss_big MiB (1 GiB tree), $rss_small MiB (small files only), $rss_tar MiB (the tree as a tar) [target < 256]"
