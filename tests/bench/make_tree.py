#!/usr/bin/python3
"""Write the benchmark tree: about 1 GiB of mixed files with deterministic
content (an AES-CTR keystream from openssl, cut into files of seeded
random sizes; some files partly zero). Usage: make_tree.py DIR [--small]
--small: the same kinds of file, about 1/50 of them (22 MiB): the tree
whose image tests/golden/rootfs-bench.sha256 pins."""
import os
import random
import subprocess
import sys

root = sys.argv[1]
small = sys.argv[2:] == ['--small']
rng = random.Random(20240601)
stream = subprocess.Popen(['openssl', 'enc', '-aes-128-ctr', '-nosalt', '-K', '00' * 16, '-iv', '00' * 16,
                           '-in', '/dev/zero'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def content(n):
    return stream.stdout.read(n)


n_small, n_medium, n_large, n_zeros, large = (800, 12, 1, 1, 4 << 20) if small else (40000, 600, 4, 2, 64 << 20)
plan = ([('small', rng.randint(0, 16384)) for _ in range(n_small)] +
        [('medium', rng.randint(16384, 2 << 20)) for _ in range(n_medium)] +
        [('large', large) for _ in range(n_large)] +
        [('zeros', 8 << 20) for _ in range(n_zeros)])
total = 0
for i, (kind, size) in enumerate(plan):
    d = os.path.join(root, kind, 'd%03d' % (i % 200))
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, 'f%06d' % i)
    with open(path, 'wb') as f:
        if kind == 'zeros':   # half data, half zero blocks
            f.write(content(size // 2) + bytes(size // 2))
        else:
            f.write(content(size))
    total += size
    if i % 97 == 0:
        os.symlink('f%06d' % i, path + '.link')
stream.kill()
print('%d files, %.0f MiB' % (len(plan), total / 1048576))
