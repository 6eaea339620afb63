#!/usr/bin/python3
"""Check an ext4 image against RPM headers, as rpm itself reads them:
every file the packages list (%ghost files aside) must be in the image
with the header's type, permissions, owner and group (names looked up in
the image's own /etc/passwd and /etc/group), sha256 and symlink target.
The account files (/etc/passwd, group, shadow, gshadow) are regenerated
from the packages' and the manifest's accounts: their content is not
compared.

  rpmimage.py IMAGE RPM...

The image is listed with fslist.py (debugfs), the headers with
`rpm -qp --qf`; guestimg's own code is not involved. Prints one line per
mismatch and exits 1 if there is any."""
import os
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {stat.S_IFREG: 'file', stat.S_IFDIR: 'dir', stat.S_IFLNK: 'symlink', stat.S_IFCHR: 'chr',
         stat.S_IFBLK: 'blk', stat.S_IFIFO: 'fifo', stat.S_IFSOCK: 'sock'}
GHOST = 1 << 6
ACCOUNT_FILES = {'/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'}
QF = '[%{FILENAMES}\t%{FILEMODES:octal}\t%{FILEUSERNAME}\t%{FILEGROUPNAME}\t%{FILEDIGESTS}\t' \
     '%{FILELINKTOS}\t%{FILEFLAGS}\n]'


def image_listing(image):
    out = subprocess.run([sys.executable, os.path.join(HERE, 'fslist.py'), 'image', image],
                         capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in out.splitlines():
        path, kind, mode, owner, size, content, xattrs, link = line.split('\t')
        entries[path] = dict(type=kind, mode=mode, owner=owner, content=content)
    return entries


def ids(image, path):
    text = subprocess.run(['debugfs', '-R', 'cat ' + path, image], capture_output=True, text=True,
                          check=True).stdout
    return {f[0]: f[2] for f in (l.split(':') for l in text.splitlines()) if len(f) >= 3}


def main():
    image, rpms = sys.argv[1], sys.argv[2:]
    listing = image_listing(image)
    users, groups = ids(image, '/etc/passwd'), ids(image, '/etc/group')
    users.setdefault('root', '0')
    groups.setdefault('root', '0')
    bad = 0
    for rpm in rpms:
        out = subprocess.run(['rpm', '-qp', '--qf', QF, rpm], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            path, mode, user, group, digest, linkto, flags = line.split('\t')
            mode = int(mode, 8)
            got = listing.get(path)
            if int(flags) & GHOST:
                if got:
                    print('%s: %%ghost %s is in the image' % (rpm, path))
                    bad += 1
                continue
            want = dict(type=TYPES[stat.S_IFMT(mode)], mode='%04o' % (mode & 0o7777),
                        owner='%s:%s' % (users.get(user, '?' + user), groups.get(group, '?' + group)))
            if want['type'] == 'file' and path not in ACCOUNT_FILES:
                want['content'] = digest
            elif want['type'] == 'symlink':
                want['content'] = linkto
            if not got:
                print('%s: %s is not in the image' % (rpm, path))
                bad += 1
                continue
            for k, v in want.items():
                if got[k] != v:
                    print('%s: %s: %s is %s in the image, %s in the header' % (rpm, path, k, got[k], v))
                    bad += 1
    sys.exit(1 if bad else 0)


main()
