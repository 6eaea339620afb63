# A lab SEV-SNP chain and reports signed by it, made with the openssl CLI and
# Python only (independent of guestimg). Load with: load lib/labsnp
#
# lab_chain DIR [PRODUCT]: DIR/ark.pem (self-signed), DIR/ask.pem, DIR/vcek.pem
# and their keys, in AMD's certificate profile: RSA keys, RSASSA-PSS with
# SHA-384 (salt 48) for every signature, AMD's names for the roles, and a
# VCEK with an EC P-384 key carrying AMD's extensions (1.3.6.1.4.1.3704.1.*:
# productName, the TCB's SPLs blSPL 3, teeSPL 0, snpSPL 8, ucodeSPL 115, and
# a 64-byte hwID) as AMD's KDS issues for Milan. LAB_TCB and LAB_CHIP_ID are
# what a report must then carry.
LAB_TCB=0300000000000873
LAB_CHIP_ID=$(printf '%02x' $(seq 1 64))

_lab_pss=(-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48)

lab_chain() {
    local d=$1 product=${2:-Milan-B0} name=${3:-Milan}
    mkdir -p "$d"
    local subj="/OU=Engineering/C=US/L=Lab/ST=CA/O=guestimg lab"
    printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$d/ca.ext"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ark.key" -out "$d/ark.pem" -days 2 \
        -subj "$subj/CN=ARK-$name" "${_lab_pss[@]}" -addext basicConstraints=critical,CA:true \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -keyout "$d/ask.key" -out "$d/ask.csr" -subj "$subj/CN=SEV-$name" 2>/dev/null
    openssl x509 -req -in "$d/ask.csr" -CA "$d/ark.pem" -CAkey "$d/ark.key" -set_serial 2 -days 2 \
        -out "$d/ask.pem" -extfile "$d/ca.ext" "${_lab_pss[@]}" 2>/dev/null
    local hex_product
    hex_product=$(printf '%s' "$product" | xxd -p | sed 's/../:&/g')
    cat >"$d/vcek.ext" <<EXT
1.3.6.1.4.1.3704.1.2=DER:16:$(printf '%02x' ${#product})$hex_product
1.3.6.1.4.1.3704.1.3.1=DER:02:01:03
1.3.6.1.4.1.3704.1.3.2=DER:02:01:00
1.3.6.1.4.1.3704.1.3.3=DER:02:01:08
1.3.6.1.4.1.3704.1.3.4=DER:02:01:00
1.3.6.1.4.1.3704.1.3.5=DER:02:01:00
1.3.6.1.4.1.3704.1.3.6=DER:02:01:00
1.3.6.1.4.1.3704.1.3.7=DER:02:01:00
1.3.6.1.4.1.3704.1.3.8=DER:02:01:73
1.3.6.1.4.1.3704.1.4=DER:$(sed 's/../&:/g; s/:$//' <<<"$LAB_CHIP_ID")
EXT
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$d/vcek.key" \
        -out "$d/vcek.csr" -subj "$subj/CN=SEV-VCEK" 2>/dev/null
    openssl x509 -req -in "$d/vcek.csr" -CA "$d/ask.pem" -CAkey "$d/ask.key" -set_serial 3 -days 2 \
        -out "$d/vcek.pem" -extfile "$d/vcek.ext" "${_lab_pss[@]}" 2>/dev/null
    # openssl's own verdict on the chain it made
    openssl verify -CAfile "$d/ark.pem" -untrusted "$d/ask.pem" "$d/vcek.pem" >/dev/null
}

# lab_report DIR OUT [field=value]...: a report signed by DIR's VCEK, with the
# chain's TCB and chip ID unless a field says otherwise (tests/lib/snp_report.py).
lab_report() {
    local d=$1 out=$2
    shift 2
    /usr/bin/python3 "$ROOT/tests/lib/snp_report.py" "$d/vcek.key" "$out" \
        reported_tcb=$LAB_TCB current_tcb=$LAB_TCB chip_id="$LAB_CHIP_ID" "$@"
}
