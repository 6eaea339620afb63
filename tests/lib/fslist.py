#!/usr/bin/python3
"""List a filesystem tree in one canonical text form, so that tests can
compare what went into `guestimg rootfs` with what debugfs finds in the
image, independently of guestimg's own code.

  fslist.py input [--keep-owner] INPUT...   directories / tar archives, merged in order
  fslist.py image [--epoch N] IMAGE          an ext4 image, read with debugfs

One line per entry, sorted by path:
  path  type  mode  uid:gid  size  content  xattrs  link
content: sha256 (files), target (symlinks), major:minor (devices), '-';
xattrs: name=hex,... ('-' when none); link: the first path (sorted) of the
same inode when this is another name for it, else '-'.
With --epoch, every inode time in the image must equal N (else exit 1).
"""
import hashlib
import os
import re
import stat
import subprocess
import sys
import tarfile
import tempfile

TYPES = {stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink', stat.S_IFCHR: 'chr',
         stat.S_IFBLK: 'blk', stat.S_IFIFO: 'fifo', stat.S_IFSOCK: 'sock'}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def entry(kind, mode, uid, gid, size='-', content='-', xattrs=None, inode=None):
    return {'type': kind, 'mode': '%04o' % (mode & 0o7777), 'owner': '%d:%d' % (uid, gid), 'size': str(size),
            'content': content, 'xattrs': dict(xattrs or {}), 'inode': inode}


def render(tree):
    first = {}
    for path in sorted(tree):
        ino = tree[path]['inode']
        if ino is not None:
            first.setdefault(ino, path)
    out = []
    for path in sorted(tree, key=lambda p: p.encode('utf-8', 'surrogateescape')):
        e = tree[path]
        ino = e['inode']
        link = first[ino] if ino is not None and first[ino] != path else '-'
        xa = ','.join('%s=%s' % (k, v.hex()) for k, v in sorted(e['xattrs'].items())) or '-'
        out.append('\t'.join([path, e['type'], e['mode'], e['owner'], e['size'], e['content'], xa, link]))
    return '\n'.join(out) + '\n'


def remove_under(tree, path):
    for p in [p for p in tree if p == path or p.startswith(path.rstrip('/') + '/')]:
        del tree[p]


def add_parents(tree, path):
    parts = path.strip('/').split('/')[:-1]
    for i in range(len(parts)):
        p = '/' + '/'.join(parts[:i + 1])
        if p not in tree:
            tree[p] = entry('dir', 0o755, 0, 0)


def put(tree, path, e):
    add_parents(tree, path)
    old = tree.get(path)
    if old and old['type'] == 'dir' and e['type'] == 'dir':
        e = dict(e)
    elif old:
        remove_under(tree, path)
    tree[path] = e


def list_dir(tree, root, keep_owner):
    inodes = {}

    def host_xattrs(p):
        try:
            names = os.listxattr(p, follow_symlinks=False)
        except OSError:
            return {}
        return {n: os.getxattr(p, n, follow_symlinks=False) for n in names if n != 'security.selinux'}

    def add(p, rel):
        st = os.lstat(p)
        kind = TYPES[stat.S_IFMT(st.st_mode)]
        uid, gid = (st.st_uid, st.st_gid) if keep_owner else (0, 0)
        size, content, ino = '-', '-', None
        if kind == 'file':
            size, content = st.st_size, sha256_file(p)
            if st.st_nlink > 1:
                ino = ('dir', root, st.st_dev, st.st_ino)
        elif kind == 'symlink':
            content = os.readlink(p)
        elif kind in ('chr', 'blk'):
            content = '%d:%d' % (os.major(st.st_rdev), os.minor(st.st_rdev))
        put(tree, rel, entry(kind, st.st_mode, uid, gid, size, content, host_xattrs(p), ino))
        if kind == 'dir':
            for name in sorted(os.listdir(p)):
                add(os.path.join(p, name), (rel.rstrip('/') + '/' + name))
    add(root, '/')
    return inodes


def norm(name):
    parts = [c for c in name.split('/') if c not in ('', '.')]
    return '/' + '/'.join(parts)


def list_tar(tree, path):
    with tarfile.open(path) as t:
        for m in t.getmembers():
            p = norm(m.name)
            xattrs = {k[len('SCHILY.xattr.'):]: v.encode('utf-8', 'surrogateescape')
                      for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')}
            if m.islnk():
                target = norm(m.linkname)
                e = dict(tree[target])
                if e['inode'] is None:
                    e['inode'] = ('tar', path, target)
                    tree[target]['inode'] = e['inode']
                put(tree, p, e)
                continue
            size, content = '-', '-'
            if m.isreg():
                size, content = m.size, hashlib.sha256(t.extractfile(m).read()).hexdigest()
                kind = 'file'
            elif m.isdir():
                kind = 'dir'
            elif m.issym():
                kind, content = 'symlink', m.linkname
            elif m.ischr() or m.isblk():
                kind, content = ('chr' if m.ischr() else 'blk'), '%d:%d' % (m.devmajor, m.devminor)
            elif m.isfifo():
                kind = 'fifo'
            else:
                raise SystemExit('%s: %s: unsupported member' % (path, m.name))
            put(tree, p, entry(kind, m.mode, m.uid, m.gid, size, content, xattrs))


def list_input(args):
    keep_owner = '--keep-owner' in args
    tree = {'/': entry('dir', 0o755, 0, 0)}
    for a in args:
        if a == '--keep-owner':
            continue
        if os.path.isdir(a):
            list_dir(tree, a, keep_owner)
        else:
            list_tar(tree, a)
    if '/lost+found' not in tree:
        tree['/lost+found'] = entry('dir', 0o700, 0, 0)
    return tree


# ----------------------------------------------------------------- image ---

def debugfs(image, commands):
    """Run commands in one debugfs; return {command: output}."""
    with tempfile.NamedTemporaryFile('wb', suffix='.cmds', delete=False) as f:
        f.write(''.join(c + '\n' for c in commands).encode('utf-8', 'surrogateescape'))
        name = f.name
    try:
        out = subprocess.run(['debugfs', '-f', name, image], capture_output=True, check=True).stdout
    finally:
        os.unlink(name)
    result, cur = {}, None
    for line in out.split(b'\n'):
        if line.startswith(b'debugfs: '):
            cur = line[len(b'debugfs: '):].decode('utf-8', 'surrogateescape')
            result[cur] = []
        elif cur is not None:
            result[cur].append(line)
    return result


def q(path):
    return '"' + path.replace('\\', '\\\\').replace('"', '\\"') + '"'


def list_image(image, epoch):
    tree, raw, queue = {}, {}, ['/']
    st = debugfs(image, ['stat /'])['stat /']
    raw['/'] = None
    while queue:
        cmds = ['ls -p ' + q(d) for d in queue]
        res = debugfs(image, cmds)
        nxt = []
        for d, c in zip(queue, cmds):
            for line in res[c]:
                if not line.strip():
                    continue
                # debugfs prints owners with %d: 4294967294 reads -2
                m = re.match(rb'^/(\d+)/(\d+)/(-?\d+)/(-?\d+)/(.*)/(\d*)/$', line)
                if not m:
                    raise SystemExit('%s: unexpected debugfs ls -p line %r' % (image, line))
                name = m.group(5).decode('utf-8', 'surrogateescape')
                if name in ('.', '..'):
                    if d == '/' and name == '.':
                        raw['/'] = m
                    continue
                p = d.rstrip('/') + '/' + name
                raw[p] = m
                if stat.S_ISDIR(int(m.group(2), 8)):
                    nxt.append(p)
        queue = nxt
    paths = sorted(raw)
    stats = debugfs(image, ['stat ' + q(p) for p in paths] + ['ea_list ' + q(p) for p in paths])
    tmp = tempfile.mkdtemp()
    try:
        dumps = {}
        for p in paths:
            mode = int(raw[p].group(2), 8)
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                dumps[p] = os.path.join(tmp, raw[p].group(1).decode())
        debugfs(image, ['dump %s %s' % (q(p), q(f)) for p, f in dumps.items()])
        xa_cmds = []
        for p in paths:
            for line in stats['ea_list ' + q(p)]:
                m = re.match(rb'^  (\S+) \((\d+)\)', line)
                if m:
                    xa_cmds.append((p, m.group(1).decode(), os.path.join(tmp, 'xa%d' % len(xa_cmds))))
        debugfs(image, ['ea_get -f %s %s %s' % (q(f), q(p), n) for p, n, f in xa_cmds])
        xattrs = {}
        for p, n, f in xa_cmds:
            with open(f, 'rb') as fh:
                xattrs.setdefault(p, {})[n] = fh.read()
        bad_time = False
        for p in paths:
            m = raw[p]
            mode, ino = int(m.group(2), 8), int(m.group(1))
            kind = TYPES[stat.S_IFMT(mode)]
            text = b'\n'.join(stats['stat ' + q(p)]).decode('utf-8', 'surrogateescape')
            times = re.findall(r'^\s*[acm]?(?:cr)?time: 0x([0-9a-f]+):([0-9a-f]+)', text, re.M)
            if epoch is not None and (len(times) != 4 or any(int(s, 16) != epoch % (1 << 32) or int(x, 16) != 0
                                                             for s, x in times)):
                sys.stderr.write('%s: times %s are not the epoch %d\n' % (p, times, epoch))
                bad_time = True
            size, content = '-', '-'
            fsize = int(re.search(r'Size: (\d+)', text).group(1))
            if kind == 'file':
                size, content = fsize, sha256_file(dumps[p])
            elif kind == 'symlink':
                fast = re.search(r'Fast link dest: "(.*)"', text)
                if fast:
                    content = fast.group(1)
                else:
                    with open(dumps[p], 'rb') as fh:
                        content = fh.read()[:fsize].decode('utf-8', 'surrogateescape')
            elif kind in ('chr', 'blk'):
                dev = re.search(r'Device major/minor number: (\d+):(\d+)', text)
                content = '%d:%d' % (int(dev.group(1)), int(dev.group(2)))
            uid, gid = int(m.group(3)) % (1 << 32), int(m.group(4)) % (1 << 32)
            links = int(re.search(r'Links: (\d+)', text).group(1))
            tree[p] = entry(kind, mode, uid, gid, size, content, xattrs.get(p),
                            ino if kind != 'dir' and links > 1 else None)
    finally:
        subprocess.run(['rm', '-rf', tmp])
    return tree, bad_time


def main():
    # names are bytes: whatever is not UTF-8 passes through as it is
    sys.stdout = open(sys.stdout.fileno(), 'w', encoding='utf-8', errors='surrogateescape', closefd=False)
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    if sys.argv[1] == 'input':
        sys.stdout.write(render(list_input(sys.argv[2:])))
    elif sys.argv[1] == 'image':
        args = sys.argv[2:]
        epoch = None
        if args[0] == '--epoch':
            epoch, args = int(args[1]), args[2:]
        tree, bad = list_image(args[0], epoch)
        sys.stdout.write(render(tree))
        sys.exit(1 if bad else 0)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main()
