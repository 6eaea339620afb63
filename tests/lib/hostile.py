#!/usr/bin/python3
"""Hostile inputs for tests/hostile.bats, made here rather than committed.

  hostile.py tar CASE OUT [VICTIM] one archive of the named case (see TARS);
                                   @VICTIM@ in it becomes VICTIM
  hostile.py spec-tar OUT SPEC...  an archive of KIND:NAME[:ARG] entries: f (file,
                                   ARG its text), l (symlink to ARG), h (hard
                                   link to ARG), d (directory)
  hostile.py deep-dir DIR DEPTH    DIR/d/d/.../d/f, DEPTH directories deep
                                   (made with dir fds: deeper than PATH_MAX)
  hostile.py json-deep OUT DEPTH   release.json whose "artifacts" nests DEPTH arrays
  hostile.py release OUT CASE      a copy of release.json (stdin) changed as CASE says
  hostile.py packages OUT N        N package names, one YAML line each
  hostile.py yaml-bomb OUT         a billion-laughs manifest (anchors and aliases)
  hostile.py mutate [options] KIND SRC WORKDIR -- CMD... {} ...
      runs CMD on --count mutants of SRC (KIND: igvm, ovmf, report, der,
      pem, text), each written to WORKDIR/<SRC's basename> and substituted
      for {}; every run must end within --timeout seconds in one of:
        exit 0, stderr empty or only 'guestimg: warning: ' lines;
        exit 1, stderr exactly one line 'guestimg: ...' naming the mutant;
        exit 1, stderr empty (or warnings), stdout a verdict (--verdict REGEX);
      and leave WORKDIR holding the mutant alone (and --cwd empty). Prints
      one summary line; exit 1, with the first failures listed and their
      mutants kept as WORKDIR/failed-N, when any run does not.

Mutations are deterministic (--seed): the structure's offsets, counts and
lengths (every 4-byte word of the headers; DER tags and lengths) set to 0,
1, max, max-1, the file size and around it; truncations at every structure
boundary; then random byte flips.
"""
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import tarfile
import time


# ------------------------------------------------------------- archives ---

def _tar(out, items, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(out, 'w', format=fmt) as t:
        for item in items:
            kind, name = item[0], item[1]
            arg = item[2] if len(item) > 2 else ''
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            data = None
            if kind == 'f':
                data = arg if isinstance(arg, bytes) else arg.encode()
                ti.size = len(data)
            elif kind == 'l':
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == 'h':
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == 'd':
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            t.addfile(ti, io.BytesIO(data) if data is not None else None)


def _path_of_len(n):
    """A relative name whose image path ('/' + name) is n bytes long, in
    components of at most 250 bytes."""
    parts, left = [], n - 1
    while left > 251:
        parts.append('d' * 250)
        left -= 251
    parts.append('x' * left)
    name = '/'.join(parts)
    assert len(name) + 1 == n
    return name


def _bytes_name(b):
    return b.decode('utf-8', 'surrogateescape')


TARS = {
    # symlink loops and chains: stored as links; a path through them is refused
    'loop': [('l', 'a', 'b'), ('l', 'b', 'a'), ('l', 'self', 'self'), ('f', 'ok', '1')],
    'loop-through': [('l', 'a', 'b'), ('l', 'b', 'a'), ('f', 'a/x', 'owned')],
    'chain-outside': [('l', 'l1', 'l2'), ('l', 'l2', 'l3'), ('l', 'l3', '@VICTIM@'), ('f', 'l1/pwn', 'owned')],
    'chain-up': [('d', 'd'), ('l', 'd/up', '..'), ('l', 'l1', 'd/up'), ('f', 'l1/l1/pwn', 'owned')],
    'dir-through-symlink': [('l', 'etc', '@VICTIM@'), ('d', 'etc/sub')],
    # hard links
    'hard-dir': [('d', 'dir'), ('h', 'link', 'dir')],
    'hard-symlink': [('l', 's', '/etc/passwd'), ('h', 'h', 's'), ('f', 'ok', '1')],
    'hard-outside': [('h', 'h', '@VICTIM@/x')],
    'hard-up': [('h', 'h', '../../../etc/passwd')],
    'hard-through-symlink': [('l', 'up', '@VICTIM@'), ('h', 'h', 'up/x')],
    # the same path as a file, then a directory, then a symlink
    'file-dir-symlink': [('f', 'p', '1'), ('d', 'p'), ('l', 'p', '/etc')],
    'file-dir-symlink-write': [('f', 'p', '1'), ('d', 'p'), ('f', 'p/x', '2'), ('l', 'p', '@VICTIM@'),
                               ('f', 'p/y', 'owned')],
    # long names and paths
    'path-4095': [('f', _path_of_len(4095), '1')],
    'path-4096': [('f', _path_of_len(4096), '1')],
    'deep-10000': [('f', '/'.join(['a'] * 10000) + '/f', '1')],
    # names
    'name-newline': [('f', 'a\nb', '1'), ('d', 'dir\nx'), ('l', 'link\n', 'a\nb')],
    'name-invalid-utf8': [('f', _bytes_name(b'\xff\xfe'), '1'), ('f', _bytes_name(b'\xc3\x28'), '2'),
                          ('f', _bytes_name(b'\xed\xa0\x80'), '3')],
    'name-newline-dotdot': [('f', 'a\nb/../../escape', 'x')],
}


def cmd_tar(case, out, victim=''):
    if case == 'truncated':
        # a member whose data ends early: the header says 300000 bytes
        _tar(out, [('f', 'ok', '1'), ('f', 'big', os.urandom(300000))])
        with open(out, 'r+b') as f:
            f.truncate(512 * 3 + 100000)
        return
    if case == 'truncated-header':
        _tar(out, [('f', 'ok', '1'), ('f', 'second', '2')])
        with open(out, 'r+b') as f:
            f.truncate(512 * 2 + 200)
        return
    if case == 'size-overflow':
        # a ustar size field of 0o77777777777 (8 GiB - 1) with no data after it
        _tar(out, [('f', 'big', 'x')], fmt=tarfile.USTAR_FORMAT)
        with open(out, 'r+b') as f:
            h = bytearray(f.read(512))
            h[124:136] = b'77777777777\0'
            h[148:156] = b'        '
            h[148:156] = ('%06o\0 ' % sum(h)).encode()
            f.seek(0)
            f.write(h)
        return
    items = [tuple(x.replace('@VICTIM@', victim) if isinstance(x, str) else x for x in it) for it in TARS[case]]
    _tar(out, items)


def cmd_deep_dir(top, depth):
    os.makedirs(top, exist_ok=True)
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir('d', dir_fd=fd)
        nfd = os.open('d', os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    with open(os.open('f', os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), 'w') as f:
        f.write('bottom\n')
    os.close(fd)


# ----------------------------------------------------------- JSON, YAML ---

def cmd_json_deep(out, depth):
    r = json.load(sys.stdin)
    s = json.dumps(r, sort_keys=True, separators=(',', ':'))
    s = s.replace('"artifacts":[', '"artifacts":' + '[' * depth + ']' * (depth - 1) + ',', 1)
    open(out, 'w').write(s + '\n')


RELEASE_CASES = {
    'name-slash': lambda r: r['artifacts'][0].update(name='sub/cmdline.txt'),
    'name-dotdot': lambda r: r['artifacts'][0].update(name='..'),
    'name-dotdot-path': lambda r: r['artifacts'][0].update(name='../../etc/passwd'),
    'name-absolute': lambda r: r['artifacts'][0].update(name='/etc/shadow'),
    'name-empty': lambda r: r['artifacts'][0].update(name=''),
    'name-newline': lambda r: r['artifacts'][0].update(name='cmdline\n.txt'),
    'image-absolute': lambda r: r.update(image='/etc/shadow'),
    'kernel-dotdot': lambda r: r.update(kernel='../vmlinuz'),
    'size-string': lambda r: r['artifacts'][0].update(size=str(r['artifacts'][0]['size'])),
    'size-negative': lambda r: r['artifacts'][0].update(size=-1),
    'size-float': lambda r: r['artifacts'][0].update(size=1.5),
    'size-huge': lambda r: r['artifacts'][0].update(size=2 ** 64),
    'epoch-string': lambda r: r.update(epoch='0'),
    'svn-string': lambda r: r.update(svn='0'),
    'blocks-string': lambda r: r['verity'].update(data_blocks=str(r['verity']['data_blocks'])),
    'blocks-huge': lambda r: r['verity'].update(data_blocks=2 ** 63),
    'artifacts-object': lambda r: r.update(artifacts={'name': 'x'}),
    'artifact-null': lambda r: r['artifacts'].__setitem__(0, None),
    'duplicate-artifact': lambda r: r['artifacts'].append(dict(r['artifacts'][0])),
}


def cmd_release(out, case):
    r = json.load(sys.stdin)
    RELEASE_CASES[case](r)
    if case == 'size-huge':
        s = json.dumps(r, sort_keys=True, separators=(',', ':'))
    else:
        s = json.dumps(r, sort_keys=True, separators=(',', ':'))
    open(out, 'w').write(s + '\n')


def cmd_packages(out, n):
    with open(out, 'w') as f:
        f.write('packages:\n')
        for i in range(n):
            f.write('  - pkg%06d\n' % i)


def cmd_yaml_bomb(out):
    lines = ['packages:', '  - &a0 [x, x, x, x, x, x, x, x, x, x]']
    for i in range(1, 10):
        lines.append('  - &a%d [%s]' % (i, ', '.join(['*a%d' % (i - 1)] * 10)))
    open(out, 'a').write('\n'.join(lines) + '\n')


# ------------------------------------------------------------ mutations ---

VALUES32 = [0, 1, 2, 0xffffffff, 0xfffffffe, 0x7fffffff, 0x80000000, 0x1000, 0xfff, 0x200000]


def _igvm_regions(b):
    """[lo, hi) of the fixed and variable headers."""
    if len(b) < 24:
        return [(0, len(b))], [0, len(b)]
    vh_off, vh_size = struct.unpack_from('<II', b, 8)
    hi = min(len(b), vh_off + vh_size)
    cuts = [0, 8, 24, 32, vh_off]
    o = vh_off
    while o + 8 <= hi:
        t, ln = struct.unpack_from('<II', b, o)
        cuts.append(o)
        o += 8 + ((ln + 7) & ~7)
    return [(0, hi)], cuts


def _ovmf_regions(b):
    # the footer table and the SEV metadata live in the last 4 KiB
    lo = max(0, len(b) - 4096)
    return [(lo, len(b))], [len(b) - 32, len(b) - 50, len(b) - 32 - 18, lo]


def _der_walk(b, off, end, depth, fields, cuts):
    while off + 2 <= end and depth < 16:
        start = off
        tag = b[off]
        fields.append((off, 1, 'big'))
        off += 1
        ln = b[off]
        fields.append((off, 1, 'big'))
        if ln & 0x80:
            nb = ln & 0x7f
            if nb == 0 or nb > 4 or off + 1 + nb > end:
                return
            fields.append((off + 1, nb, 'big'))
            ln = int.from_bytes(b[off + 1:off + 1 + nb], 'big')
            off += 1 + nb
        else:
            off += 1
        if ln > end - off:
            return
        cuts += [start, off, off + ln]
        if tag & 0x20 or (tag == 0x04 and ln >= 2):
            _der_walk(b, off, off + ln, depth + 1, fields, cuts)
        off += ln


def mutants(kind, b, count, seed):
    """Yield (description, bytes) for count mutants of b."""
    rnd = random.Random(seed)
    fields, cuts = [], []
    if kind == 'der':
        _der_walk(b, 0, len(b), 0, fields, cuts)
        flip_lo, flip_hi = 0, len(b)
    else:
        if kind == 'igvm':
            regions, cuts = _igvm_regions(b)
        elif kind == 'ovmf':
            regions, cuts = _ovmf_regions(b)
        else:  # report, pem, text: every word / line
            regions = [(0, len(b))]
            cuts = list(range(0, len(b), 8)) if kind == 'report' else \
                [i + 1 for i, c in enumerate(b) if c in b'\n-']
        for lo, hi in regions:
            for o in range(lo - lo % 4, hi - 3, 4):
                if kind not in ('pem', 'text'):
                    fields.append((o, 4, 'little'))
        flip_lo, flip_hi = regions[0]
    # (description, how to make it): the bytes are made only for the
    # mutants chosen (an IGVM file has ~100,000 candidate field values)
    structured = []
    for off, w, order in fields:
        if off + w > len(b):
            continue
        mx = (1 << (8 * w)) - 1
        was = int.from_bytes(b[off:off + w], order)
        vals = {v & mx for v in VALUES32 + [len(b), len(b) - 1, len(b) + 1, was + 1, was - 1, was << 1, mx]}
        vals.discard(was)
        for v in sorted(vals):
            structured.append(('%d bytes at 0x%x set to 0x%x' % (w, off, v), (off, w, order, v)))
    for c in sorted(set(cuts)):
        for n in (c - 1, c, c + 1):
            if 0 <= n < len(b):
                structured.append(('truncated to %d bytes' % n, n))
    rnd.shuffle(structured)
    n_struct = min(len(structured), count * 3 // 4)
    for desc, how in structured[:n_struct]:
        if isinstance(how, int):
            yield desc, b[:how]
        else:
            off, w, order, v = how
            yield desc, b[:off] + v.to_bytes(w, order) + b[off + w:]
    for i in range(count - n_struct):
        m = bytearray(b)
        first = rnd.randrange(flip_lo, max(flip_lo + 1, flip_hi))
        nb = rnd.randint(1, 4)
        for k in range(nb):
            if first + k < len(m):
                m[first + k] ^= rnd.randint(1, 255)
        yield ('%d bytes flipped at 0x%x (flip %d)' % (nb, first, i), bytes(m))


def _run_one(cmd, path, workdir, cwd, timeout, verdict):
    """'' when the run's outcome is one the suite accepts, else why not; and
    the outcome's kind."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 'still running after %ds' % timeout, 'timeout'
    err = p.stderr.decode('utf-8', 'replace')
    out = p.stdout.decode('utf-8', 'replace')
    lines = err.splitlines()
    warnings = [l for l in lines if l.startswith('guestimg: warning: ')]
    errors = [l for l in lines if not l.startswith('guestimg: warning: ')]
    left = sorted(set(os.listdir(workdir)) - {os.path.basename(path), os.path.basename(cwd)})
    if left:
        return 'left %s in %s' % (left, workdir), 'bad'
    if os.listdir(cwd):
        return 'left %s in the working directory' % os.listdir(cwd), 'bad'
    if p.returncode == 0 and not errors:
        return '', 'accepted'
    if p.returncode == 1 and len(errors) == 1 and errors[0].startswith('guestimg: ') and path in errors[0] \
            and not out:
        return '', 'refused'
    if p.returncode == 1 and not errors and verdict and re.search(verdict, out, re.M):
        return '', 'verdict'
    return 'exit %d, stderr %r, stdout %r' % (p.returncode, err[:600], out[:300]), 'bad'


def cmd_mutate(argv):
    import argparse
    ap = argparse.ArgumentParser(prog='hostile.py mutate')
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=17)
    ap.add_argument('--timeout', type=int, default=10)
    ap.add_argument('--verdict', default='')
    ap.add_argument('--min-refused', type=int, default=1)
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('kind')
    ap.add_argument('src')
    ap.add_argument('workdir')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == '--' else a.cmd
    b = open(a.src, 'rb').read()
    if a.kind == 'report' and re.fullmatch(rb'[0-9a-fA-F\s]+', b):
        b = bytes.fromhex(b.decode())
    if a.kind == 'der' and b.startswith(b'-----'):
        import base64
        b = base64.b64decode(b''.join(l for l in b.splitlines() if not l.startswith(b'-----')))
    from concurrent.futures import ThreadPoolExecutor
    base = os.path.basename(a.src)

    def job(k, desc, data):
        d = os.path.join(a.workdir, 'm%d' % k)
        cwd = os.path.join(d, 'cwd')
        os.makedirs(cwd, exist_ok=True)
        path = os.path.join(d, base)
        with open(path, 'wb') as f:
            if a.kind == 'der' and base.endswith('.pem'):
                import base64
                t = base64.encodebytes(data).decode().replace('\n', '')
                f.write(('-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n' %
                         '\n'.join(t[i:i + 64] for i in range(0, len(t), 64))).encode())
            else:
                f.write(data)
        t0 = time.monotonic()
        why, kind = _run_one([path if x == '{}' else x for x in cmd], path, d, cwd, a.timeout, a.verdict)
        secs = time.monotonic() - t0
        if why:
            os.rename(path, os.path.join(a.workdir, 'failed-%d' % k))
        for e in os.listdir(d):
            q = os.path.join(d, e)
            if os.path.isdir(q) and not os.path.islink(q):
                subprocess.run(['rm', '-rf', q])
            else:
                os.unlink(q)
        os.rmdir(d)
        return desc, why, kind, secs

    tally, failures, slowest = {}, [], (0.0, '')
    with ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = [ex.submit(job, k, desc, data) for k, (desc, data) in enumerate(mutants(a.kind, b, a.count, a.seed))]
        for k, f in enumerate(futs):
            desc, why, kind, secs = f.result()
            slowest = max(slowest, (secs, desc))
            tally[kind] = tally.get(kind, 0) + 1
            if why:
                failures.append('%s (kept as failed-%d): %s' % (desc, k, why))
    runs = sum(tally.values())
    print('# %s: %d mutants: %s; slowest %.2fs (%s)' % (base, runs, ', '.join('%d %s' % (v, k) for k, v in sorted(tally.items())),
                                                       slowest[0], slowest[1]))
    for f in failures[:5]:
        print('# FAILED %s' % f)
    if failures or runs < a.count or tally.get('refused', 0) + tally.get('verdict', 0) < a.min_refused:
        if not failures:
            print('# too few runs or refusals')
        return 1
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'tar':
        cmd_tar(args[0], args[1], args[2] if len(args) > 2 else '')
    elif cmd == 'spec-tar':
        _tar(args[0], [tuple((s.split(':', 2) + [''])[:3]) for s in args[1:]])
    elif cmd == 'deep-dir':
        cmd_deep_dir(args[0], int(args[1]))
    elif cmd == 'json-deep':
        cmd_json_deep(args[0], int(args[1]))
    elif cmd == 'release':
        cmd_release(args[0], args[1])
    elif cmd == 'packages':
        cmd_packages(args[0], int(args[1]))
    elif cmd == 'yaml-bomb':
        cmd_yaml_bomb(args[0])
    elif cmd == 'mutate':
        sys.exit(cmd_mutate(args))
    else:
        sys.exit('hostile.py: unknown command %s' % cmd)


if __name__ == '__main__':
    main()
