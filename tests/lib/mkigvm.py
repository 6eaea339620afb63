#!/usr/bin/python3
"""Small IGVM files for the tests, and an SEV-SNP launch digest of any IGVM
file computed here, independently of guestimg's C code.

  mkigvm.py build OUT [--format-version N] [--magic X] [--checksum X]
                      [--total-size N] [--architecture N] [--page-size N]
                      [--vh-offset N] [--vh-extra N] < SPEC

--vh-offset writes that offset in the fixed header (the layout stays);
--vh-extra appends N zero bytes to the variable header section.
  mkigvm.py measure FILE [--native-zero]

SPEC has one header per line, "kind key=value ...", in file order; numbers
may be hex (0x...). Kinds and their keys (defaults in brackets):
  platform mask[1] type[2 = SEV_SNP] vtl[0] version[1]
  policy   mask[1] policy[0x30000]
  page     gpa mask[1] flags[0: 2mb|unmeasured|shared, or a number]
           data_type[0] reserved[0] data[none: no file data; zero: a page of zero
           bytes; one character: the page filled with it] file_offset[where the data lands, or a forced offset]
  area     index[0] size[0x1000]
  param    type[0x307] index[0] offset[0]
  insert   gpa mask[1] index[0]
  vp       gpa[0xfffffffff000] mask[1] data[V] vp_index[0]
  memory   gpa mask[1] size[0x1000]
  idblock  mask[1] ld[auto: this file's own digest, or 96 hex digits]
           key[none: a zero key and signature; or an EC P-384 PEM file that
           signs the ID block with the GUEST_POLICY of its mask, or with
           policy= if given]
  raw      type len[0] body[len] optional[0]   (a header of body zero bytes
           that says it has len)
"""
import hashlib
import struct
import sys
import zlib

PAGE = 0x1000
TYPES = {'platform': 0x001, 'policy': 0x101, 'area': 0x301, 'page': 0x302, 'insert': 0x303,
         'vp': 0x304, 'memory': 0x305, 'idblock': 0x30B}
FLAGS = {'2mb': 1, 'unmeasured': 2, 'shared': 4}
DEFAULTS = {
    'platform': dict(mask=1, type=2, vtl=0, version=1),
    'policy': dict(mask=1, policy=0x30000),
    'page': dict(gpa=0, mask=1, flags=0, data_type=0, data=None, file_offset=None, reserved=0),
    'area': dict(index=0, size=PAGE),
    'param': dict(type=0x307, index=0, offset=0),
    'insert': dict(gpa=0, mask=1, index=0),
    'vp': dict(gpa=0xFFFFFFFFF000, mask=1, data='V', vp_index=0, file_offset=None),
    'memory': dict(gpa=0, mask=1, size=PAGE),
    'idblock': dict(mask=1, ld='auto', key=None, policy=None),
    'raw': dict(type=0, len=0, body=None, optional=0),
}


def number(s):
    return int(s, 0)


def parse_spec(text):
    headers = []
    for line in text.splitlines():
        words = line.split('#')[0].split()
        if not words:
            continue
        kind = words[0]
        h = dict(DEFAULTS[kind], kind=kind)
        for w in words[1:]:
            k, v = w.split('=', 1)
            if k == 'flags' and not v[:1].isdigit() or '|' in v or v == '2mb':
                h[k] = sum(FLAGS[f] for f in v.split('|'))
            elif k in ('data', 'ld', 'key'):
                h[k] = v
            else:
                h[k] = number(v)
        headers.append(h)
    return headers


def page_len(h):
    return 0x200000 if h['flags'] & 1 else PAGE


def body(h, data_offset):
    """The header's body, given the file offset of its data (0: none)."""
    k = h['kind']
    if k == 'platform':
        return struct.pack('<IBBHQ', h['mask'], h['vtl'], h['type'], h['version'], 0)
    if k == 'policy':
        return struct.pack('<QII', h['policy'], h['mask'], 0)
    if k == 'page':
        return struct.pack('<QIIIHH', h['gpa'], h['mask'], data_offset, h['flags'], h['data_type'],
                           h['reserved'])
    if k == 'area':
        return struct.pack('<QII', h['size'], h['index'], 0)
    if k == 'param':
        return struct.pack('<II', h['index'], h['offset'])
    if k == 'insert':
        return struct.pack('<QII', h['gpa'], h['mask'], h['index'])
    if k == 'vp':
        return struct.pack('<QIIHH', h['gpa'], h['mask'], data_offset, h['vp_index'], 0)
    if k == 'memory':
        return struct.pack('<QIIII', h['gpa'], h['mask'], h['size'], 0, 0)
    if k == 'idblock':
        b = bytearray(696)
        struct.pack_into('<I', b, 0, h['mask'])
        b[8:56] = bytes.fromhex(h['ld'])
        struct.pack_into('<4I', b, 88, 1, 0, 1, 0)  # version, svn, ECDSA P-384 ID key
        if h['key']:
            sign_id_block(b, h)
        return bytes(b)
    raise ValueError(k)


def le72(n):
    return n.to_bytes(72, 'little')


def sign_id_block(b, h):
    """The SNP ID block the firmware checks (launch digest, family and image
    IDs, version, SVN, policy), signed by the key: r, s, Qx, Qy stored
    little-endian in 72-byte fields."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    with open(h['key'], 'rb') as f:
        key = serialization.load_pem_private_key(f.read(), None)
    block = bytes(b[8:56]) + bytes(32) + struct.pack('<IIQ', 1, 0, h['policy'])
    r, s = decode_dss_signature(key.sign(block, ec.ECDSA(hashes.SHA384())))
    pub = key.public_key().public_numbers()
    b[104:248] = le72(r) + le72(s)
    b[248:400] = struct.pack('<II', 2, 0) + le72(pub.x) + le72(pub.y)


def tlv(h, data_offset):
    if h['kind'] == 'raw':
        t = h['type'] | (0x80000000 if h['optional'] else 0)
        n = h['len'] if h['body'] is None else h['body']
        return struct.pack('<II', t, h['len']) + bytes((n + 7) & ~7)
    if h['kind'] == 'param':
        t, b = h['type'], body(h, 0)
    else:
        t, b = TYPES[h['kind']], body(h, data_offset)
    return struct.pack('<II', t, len(b)) + b + bytes(-len(b) % 8)


def page_data(h):
    if h.get('data') in (None, 'none'):
        return b''
    n = PAGE if h['kind'] == 'vp' else page_len(h)
    return bytes(n) if h['data'] == 'zero' else h['data'].encode() * n


def assemble(headers, fmt=1, magic=0x4D564749, checksum=None, total=None, arch=0, page_size=PAGE,
             vh_offset=None, vh_extra=0):
    fixed_len = 24 if fmt != 2 else 32
    vh_len = sum(len(tlv(h, 0)) for h in headers) + vh_extra
    data = bytearray()
    vh = bytearray()
    for h in headers:
        d = page_data(h)
        off = 0
        if d:
            off = fixed_len + vh_len + len(data)
            data += d
        if h.get('file_offset') is not None:
            off = h['file_offset']
        vh += tlv(h, off)
    vh += bytes(vh_extra)
    size = fixed_len + len(vh) + len(data) if total is None else total
    offset = fixed_len if vh_offset is None else vh_offset
    fixed = struct.pack('<6I', magic, fmt, offset, len(vh), size, 0)
    if fmt == 2:
        fixed += struct.pack('<II', arch, page_size)
    crc = zlib.crc32(fixed + vh) if checksum is None else checksum
    fixed = fixed[:20] + struct.pack('<I', crc) + fixed[24:]
    return fixed + vh + data


def build(argv):
    out, opts = argv[0], dict(zip(argv[1::2], argv[2::2]))
    headers = parse_spec(sys.stdin.read())
    kw = dict(fmt=number(opts.get('--format-version', '1')), magic=number(opts.get('--magic', '0x4D564749')))
    for h in headers:
        if h['kind'] == 'idblock' and h['policy'] is None:
            h['policy'] = next((p['policy'] for p in headers
                                if p['kind'] == 'policy' and p['mask'] & h['mask']), 0)
        if h['kind'] == 'idblock' and h['ld'] == 'auto':
            h['ld'] = '00' * 48
            h['ld'] = snp_digest(assemble(headers, **kw), False).hex()
    for opt, key in (('--architecture', 'arch'), ('--page-size', 'page_size'),
                     ('--vh-offset', 'vh_offset'), ('--vh-extra', 'vh_extra')):
        if opt in opts:
            kw[key] = number(opts[opt])
    if '--checksum' in opts:
        kw['checksum'] = number(opts['--checksum'])
    if '--total-size' in opts:
        kw['total'] = number(opts['--total-size'])
    with open(out, 'wb') as f:
        f.write(assemble(headers, **kw))


def snp_digest(f, native_zero):
    """The launch digest: PAGE_INFO updates (SNP firmware ABI) over the
    directives for the SEV-SNP platform, in file order."""
    ld = bytes(48)
    zero = hashlib.sha384(bytes(PAGE)).digest()

    def update(kind, gpa, contents=bytes(48)):
        nonlocal ld
        info = ld + contents + struct.pack('<HBBIQ', 0x70, kind, 0, 0, gpa)
        ld = hashlib.sha384(info).digest()

    NORMAL, VMSA, ZERO, UNMEASURED, SECRETS, CPUID = 1, 2, 3, 4, 5, 6
    vho, vhs = struct.unpack_from('<II', f, 8)
    pos, end, snp, areas = vho, vho + vhs, None, {}
    while pos < end:
        t, n = struct.unpack_from('<II', f, pos)
        b = f[pos + 8:pos + 8 + n]
        pos += 8 + ((n + 7) & ~7)
        t &= 0x7FFFFFFF
        if t == 0x001 and b[5] == 2:
            snp = struct.unpack_from('<I', b)[0]
        elif t == 0x301:
            size, index, _ = struct.unpack('<QII', b)
            areas[index] = size
        elif t == 0x302:
            gpa, mask, off, flags, dtype, _ = struct.unpack('<QIIIHH', b)
            if not mask & snp or flags & 4:
                continue
            n = 512 if flags & 1 else 1
            for i in range(n):
                g = gpa + i * PAGE
                if dtype == 1:
                    update(SECRETS, g)
                elif dtype in (2, 3):
                    update(CPUID, g)
                elif flags & 2:
                    update(UNMEASURED, g)
                elif off:
                    update(NORMAL, g, hashlib.sha384(f[off + i * PAGE:off + (i + 1) * PAGE]).digest())
                elif native_zero:
                    update(ZERO, g)
                else:
                    update(NORMAL, g, zero)
        elif t == 0x303:
            gpa, mask, index = struct.unpack('<QII', b)
            if mask & snp:
                for i in range(areas[index] // PAGE):
                    update(UNMEASURED, gpa + i * PAGE)
        elif t == 0x304:
            gpa, mask, off, _, _ = struct.unpack('<QIIHH', b)
            if mask & snp:
                update(VMSA, gpa, hashlib.sha384(f[off:off + PAGE]).digest())
    return ld


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'build':
        build(args)
    elif cmd == 'measure':
        with open(args[0], 'rb') as f:
            print(snp_digest(f.read(), '--native-zero' in args).hex())
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
