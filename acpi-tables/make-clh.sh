#!/bin/bash
# Regenerate acpi-tables/clh/*.aml from the .dsl sources in clh/src, the way
# igvm-tooling's igvmgen does with -acpi_dir: compile each with iasl, fill
# in the FACP's DSDT/FACS addresses and the XSDT's entries for igvmgen's
# layout, compile again; then take each table out of the resulting pages.
# Needs igvm-tooling (IGVM_TOOLING, default /work/ref/igvm-tooling), its
# cstruct module (CSTRUCT, default /work/ref/cstruct) and iasl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ref=${IGVM_TOOLING:-/work/ref/igvm-tooling}
cs=${CSTRUCT:-/work/ref/cstruct}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here"/clh/src/*.dsl "$tmp"/
cd "$ref/src"
PYTHONPATH="$cs:." /usr/bin/python3 - "$tmp" "$here/clh" <<'PY'
import struct, sys
from igvm.acpi import ACPI
src, out = sys.argv[1], sys.argv[2]
mem = bytearray(0x200000)
for gpa, page in ACPI(src).acpi.items():
    mem[gpa:gpa + len(page)] = page
def table(addr):
    return bytes(mem[addr:addr + struct.unpack_from('<I', mem, addr + 4)[0]])
tables = {'RSDP': bytes(mem[0xe0000:0xe0000 + 36])}
xsdt = struct.unpack_from('<Q', mem, 0xe0000 + 24)[0]
tables['XSDT'] = table(xsdt)
for i in range(36, len(tables['XSDT']), 8):
    t = table(struct.unpack_from('<Q', tables['XSDT'], i)[0])
    tables[t[:4].decode()] = t
facp = tables['FACP']
tables['FACS'] = table(struct.unpack_from('<I', facp, 36)[0])
tables['DSDT'] = table(struct.unpack_from('<I', facp, 40)[0])
for name, data in sorted(tables.items()):
    with open('%s/%s.aml' % (out, name), 'wb') as f:
        f.write(data)
    print(name, len(data))
PY
