#!/usr/bin/python3
"""Write a synthetic SEV-SNP attestation report, signed by a (lab) VCEK key.

The layout is the SEV-SNP ABI specification's (AMD 56860, table "ATTESTATION_REPORT
structure"); the signature is ECDSA P-384 over bytes 0x000-0x29F with SHA-384,
made by the openssl CLI, its R and S stored little-endian in 72-byte fields at
0x2A0 and 0x2E8. Independent of guestimg: Python and openssl only.

usage: snp_report.py KEY.pem OUT [field=value]...
fields: version guest_svn policy vmpl (integers, 0x allowed); measurement
host_data id_key_digest author_key_digest report_data chip_id reported_tcb (hex)
"""
import subprocess
import sys
import tempfile

INTS = {"version": (0x00, 4), "guest_svn": (0x04, 4), "policy": (0x08, 8), "vmpl": (0x30, 4),
        "sig_algo": (0x34, 4), "key_info": (0x48, 4)}
BYTES = {"report_data": (0x50, 64), "measurement": (0x90, 48), "host_data": (0xC0, 32),
         "id_key_digest": (0xE0, 48), "author_key_digest": (0x110, 48), "reported_tcb": (0x180, 8),
         "current_tcb": (0x38, 8), "committed_tcb": (0x1F0 - 0x10, 8), "launch_tcb": (0x1F0, 8),
         "chip_id": (0x1A0, 64)}


def der_ints(der):
    """(r, s) of a DER ECDSA-Sig-Value."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        out.append(int.from_bytes(der[i + 2:i + 2 + n], "big"))
        i += 2 + n
    return out


def main():
    key, out = sys.argv[1], sys.argv[2]
    b = bytearray(1184)
    fields = {"version": "2", "policy": "0x30000", "sig_algo": "1"}
    for arg in sys.argv[3:]:
        k, v = arg.split("=", 1)
        fields[k] = v
    for k, v in fields.items():
        if k in INTS:
            off, n = INTS[k]
            b[off:off + n] = int(v, 0).to_bytes(n, "little")
        elif k in BYTES:
            off, n = BYTES[k]
            raw = bytes.fromhex(v)
            assert len(raw) == n, f"{k}: {len(raw)} bytes, not {n}"
            b[off:off + n] = raw
        else:
            sys.exit(f"unknown field {k}")
    with tempfile.NamedTemporaryFile() as body:
        body.write(b[:0x2A0])
        body.flush()
        der = subprocess.run(["openssl", "dgst", "-sha384", "-sign", key, body.name],
                             check=True, capture_output=True).stdout
    r, s = der_ints(der)
    b[0x2A0:0x2A0 + 72] = r.to_bytes(72, "little")
    b[0x2E8:0x2E8 + 72] = s.to_bytes(72, "little")
    open(out, "wb").write(b)


main()
