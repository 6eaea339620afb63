#!/usr/bin/python3
"""Print an IGVM file with what a random ID key changes zeroed: the header
checksum (fixed header bytes 20-23) and, in every SNP_ID_BLOCK header, the
ID key's signature and public key. Independent of guestimg's reader."""
import struct
import sys

d = bytearray(open(sys.argv[1], 'rb').read())
d[20:24] = b'\0' * 4
off, size = struct.unpack_from('<II', d, 8)
o = off
while o < off + size:
    t, n = struct.unpack_from('<II', d, o)
    if t & 0x7fffffff == 0x30B:
        body = o + 8
        d[body + 104:body + 400] = b'\0' * 296  # signature (144) and public key (152)
    o += 8 + (n + 7) // 8 * 8
sys.stdout.buffer.write(d)
