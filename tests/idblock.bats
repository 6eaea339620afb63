#!/usr/bin/env bats
# guestimg id-block: the ID block and key digests against snp-create-id-block's
# (tests/fixtures/idblock-vectors.tsv), the ID auth signatures verified with
# OpenSSL's command line, the field options, and bad input.
load lib/common

FIX=$ROOT/tests/fixtures
ID_KEY=$FIX/keys/id-p384.pem
AUTHOR_KEY=$FIX/keys/author-p384.pem
M=B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t

idb() { "$GUESTIMG" id-block --idkey "$ID_KEY" --authorkey "$AUTHOR_KEY" "$@"; }

# Split an id-block output ($1) into block.bin and auth.bin under $2.
split_output() {
    sed -n '1s/^id-block=\([^,]*\),.*/\1/p' <<<"$1" | base64 -d >"$2/block.bin"
    sed -n '1s/^.*,id-auth=//p' <<<"$1" | base64 -d >"$2/auth.bin"
}

# Bytes [off, off+len) of a file as hex.
hex_at() { xxd -p -s "$2" -l "$3" "$1" | tr -d '\n'; }

# verify_snp_sig FILE OFFSET PEM DATA: the SNP signature (r, s little-endian,
# 72 bytes each) at OFFSET of FILE is PEM's ECDSA-SHA384 signature of DATA.
verify_snp_sig() {
    local file=$1 off=$2 key=$3 data=$4 d=$BATS_TEST_TMPDIR r s
    r=$(hex_at "$file" "$off" 72 | sed 's/../&\n/g' | tac | tr -d '\n')
    s=$(hex_at "$file" $((off + 72)) 72 | sed 's/../&\n/g' | tac | tr -d '\n')
    printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "$r" "$s" >"$d/sig.cnf"
    openssl asn1parse -genconf "$d/sig.cnf" -out "$d/sig.der" >/dev/null
    openssl ec -in "$key" -pubout -out "$d/pub.pem" 2>/dev/null
    openssl dgst -sha384 -verify "$d/pub.pem" -signature "$d/sig.der" "$data"
}

@test "ID block and key digests match snp-create-id-block's" {
    n=0
    while IFS=$'\t' read -r m block idh authh; do
        [[ $m == '#'* ]] && continue
        run idb --measurement "$m"
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 3 ]
        [[ ${lines[0]} == "id-block=$block,id-auth="* ]]
        assert_equal "${lines[1]}" "id_key_hash: $idh"
        assert_equal "${lines[2]}" "author_key: $authh"
        n=$((n + 1))
    done <"$FIX/idblock-vectors.tsv"
    [ "$n" -eq 3 ]
}

@test "ID auth: both signatures verify with openssl, and fail on other data" {
    run idb --measurement "$M"
    [ "$status" -eq 0 ]
    d=$BATS_TEST_TMPDIR
    split_output "$output" "$d"
    [ "$(stat -c %s "$d/block.bin")" -eq 96 ]
    [ "$(stat -c %s "$d/auth.bin")" -eq 4096 ]
    # The ID key signs the ID block; the author key signs the ID key (0x240, 1028 bytes).
    verify_snp_sig "$d/auth.bin" $((0x40)) "$ID_KEY" "$d/block.bin"
    dd if="$d/auth.bin" of="$d/idkey.bin" bs=1 skip=$((0x240)) count=1028 status=none
    verify_snp_sig "$d/auth.bin" $((0x680)) "$AUTHOR_KEY" "$d/idkey.bin"
    # A changed block, or the wrong key, does not verify.
    printf '\x01' | dd of="$d/block.bin" bs=1 seek=95 conv=notrunc status=none
    ! verify_snp_sig "$d/auth.bin" $((0x40)) "$ID_KEY" "$d/block.bin"
    ! verify_snp_sig "$d/auth.bin" $((0x680)) "$ID_KEY" "$d/idkey.bin"
}

@test "ID auth layout: algorithms, and public keys whose SHA-384 are the printed digests" {
    run idb --measurement "$M"
    d=$BATS_TEST_TMPDIR
    split_output "$output" "$d"
    assert_equal "$(hex_at "$d/auth.bin" 0 8)" 0100000001000000
    idh=$(xxd -p -s $((0x240)) -l 1028 "$d/auth.bin" | xxd -r -p | openssl dgst -sha384 -binary | base64 -w0)
    authh=$(xxd -p -s $((0x880)) -l 1028 "$d/auth.bin" | xxd -r -p | openssl dgst -sha384 -binary | base64 -w0)
    assert_equal "id_key_hash: $idh" "${lines[1]}"
    assert_equal "author_key: $authh" "${lines[2]}"
    # Curve P-384 (2), then Qx little-endian: compare with openssl's view of the key.
    assert_equal "$(hex_at "$d/auth.bin" $((0x240)) 4)" 02000000
    qx=$(openssl ec -in "$ID_KEY" -pubout -outform DER 2>/dev/null | tail -c 96 | head -c 48 | xxd -p | tr -d '\n')
    assert_equal "$(hex_at "$d/auth.bin" $((0x244)) 48 | sed 's/../&\n/g' | tac | tr -d '\n')" "$qx"
}

@test "field options set the ID block fields (defaults as snp-create-id-block)" {
    d=$BATS_TEST_TMPDIR
    run idb --measurement "$M"
    split_output "$output" "$d"
    assert_equal "$(hex_at "$d/block.bin" 80 16)" 01000000000000000000030000000000
    run idb --measurement "$M" --policy 0x30001 --guest-svn 7 --block-version 2 \
        --family-id 00112233445566778899aabbccddeeff --image-id ffeeddccbbaa99887766554433221100
    [ "$status" -eq 0 ]
    split_output "$output" "$d"
    assert_equal "$(hex_at "$d/block.bin" 48 16)" 00112233445566778899aabbccddeeff
    assert_equal "$(hex_at "$d/block.bin" 64 16)" ffeeddccbbaa99887766554433221100
    assert_equal "$(hex_at "$d/block.bin" 80 16)" 02000000070000000100030000000000
    verify_snp_sig "$d/auth.bin" $((0x40)) "$ID_KEY" "$d/block.bin"
}

@test "missing options and malformed values are usage errors" {
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$ID_KEY"
    assert_error 2 "^guestimg id-block: missing key files for id block"
    run idb
    assert_error 2 "^guestimg id-block: --measurement is required"
    run idb --measurement 'not base64!'
    assert_error 2 "--measurement: 'not base64!' is not the base64 of a 48-byte digest"
    run idb --measurement AAAA
    assert_error 2 "--measurement: 'AAAA' is not the base64 of a 48-byte digest"
    run idb --measurement "$M" --family-id 0011
    assert_error 2 "--family-id: '0011' is not 32 hex digits"
    run idb --measurement "$M" --guest-svn 0x100000000
    assert_error 2 "--guest-svn: '0x100000000' is not a number"
    run idb --measurement "$M" --bogus
    assert_error 2 "unrecognized option '--bogus'"
}

@test "unreadable keys and keys of the wrong kind" {
    d=$BATS_TEST_TMPDIR
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$d/absent.pem" --authorkey "$AUTHOR_KEY"
    assert_error 1 "^guestimg: $d/absent.pem: cannot open: No such file or directory$"
    openssl ecparam -name prime256v1 -genkey -noout -out "$d/p256.pem"
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$ID_KEY" --authorkey "$d/p256.pem"
    assert_error 1 "^guestimg: $d/p256.pem: not a PEM EC P-384 private key"
    openssl genpkey -algorithm ed25519 -out "$d/ed.pem" 2>/dev/null
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$d/ed.pem" --authorkey "$AUTHOR_KEY"
    assert_error 1 "ed.pem: not a PEM EC P-384 private key"
    echo garbage >"$d/garbage.pem"
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$d/garbage.pem" --authorkey "$AUTHOR_KEY"
    assert_error 1 "garbage.pem: not a PEM EC P-384 private key"
    openssl ec -in "$ID_KEY" -pubout -out "$d/pub.pem" 2>/dev/null
    run "$GUESTIMG" id-block --measurement "$M" --idkey "$d/pub.pem" --authorkey "$AUTHOR_KEY"
    assert_error 1 "pub.pem: not a PEM EC P-384 private key"
}
