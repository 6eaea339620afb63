#!/usr/bin/python3
"""Write a small file that passes for an x86 bzImage where guestimg checks a
kernel (boot flag 0xAA55, "HdrS", boot protocol 2.15, a version string):
for tests and benchmarks that need a kernel file but never boot it.

usage: fake_bzimage.py FILE [VERSION]"""
import struct
import sys


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    img = bytearray(16384)
    img[0x1fe:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    img[0x206:0x208] = struct.pack("<H", 0x020f)
    if len(argv) == 3:
        img[0x20e:0x210] = struct.pack("<H", 0x1000)
        version = argv[2].encode() + b" "
        img[0x1200:0x1200 + len(version)] = version
    for i in range(0x2000, len(img)):   # some bytes that are not zero
        img[i] = (i * 7) & 0xff
    with open(argv[1], "wb") as f:
        f.write(img)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
