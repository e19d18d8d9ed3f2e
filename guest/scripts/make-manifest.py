#!/usr/bin/env python3
"""Write manifest.json and SHA256SUMS of an image set (guest/images/ or
guest/images-alt/). Called by guest/build.sh after the images are compressed."""
import argparse, hashlib, json, os

ap = argparse.ArgumentParser()
ap.add_argument('--out', required=True, help='dir with the uncompressed images')
ap.add_argument('--images', required=True, help='guest/images or guest/images-alt')
ap.add_argument('--name', default='prnr-default-guest')
ap.add_argument('--btf', action='store_true', help='the set has vmlinux.btf (--alt)')
ap.add_argument('--cmdline', required=True)
ap.add_argument('--release', required=True)
ap.add_argument('--package', action='append', default=[], help='name=version')
a = ap.parse_args()

def sha(p):
    h = hashlib.sha256()
    with open(p, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()

# (image name, stored file, compression, role, what it is)
FILES = [
    ('fw_jump.bin', 'fw_jump.bin.zst', 'zstd', 'firmware',
     'OpenSBI fw_jump (M-mode firmware); load at 0x80000000, jumps to 0x80200000'),
    ('Image', 'Image.zst', 'zstd', 'kernel',
     'Linux riscv64 flat Image; load at 0x80200000 (a0 = hart id, a1 = DTB)'),
    ('initramfs.cpio.gz', 'initramfs.cpio.gz', 'none', 'initrd',
     'initramfs (cpio newc, gzip): busybox + /init; the kernel unpacks it'),
    ('disk.ext4', 'disk.ext4.zst', 'zstd', 'disk',
     'ext4 data disk for virtio-blk (/dev/vda); static strace at /bin/strace'),
    ('System.map', 'System.map.zst', 'zstd', 'symbols', 'kernel symbol table'),
    ('profile.json', 'profile.json', 'none', 'profile',
     'guest profile: kernel version, symbol addresses, task_struct offsets'),
]
if a.btf:
    FILES.append(('vmlinux.btf', 'vmlinux.btf.zst', 'zstd', 'btf',
                  "the kernel's BTF type information (vmlinux's .BTF section, also "
                  'in the Image: /sys/kernel/btf/vmlinux)'))

entries = []
sums_raw, sums_stored = [], []
for name, stored, comp, role, desc in FILES:
    raw = os.path.join(a.out, name)
    st = os.path.join(a.images, stored)
    e = {
        'name': name, 'role': role, 'description': desc,
        'size': os.path.getsize(raw), 'sha256': sha(raw),
        'stored': stored, 'compression': comp,
        'stored_size': os.path.getsize(st), 'stored_sha256': sha(st),
    }
    entries.append(e)
    sums_raw.append('%s  %s' % (e['sha256'], name))
    if stored != name:
        sums_stored.append('%s  %s' % (e['stored_sha256'], stored))

manifest = {
    'schema': 'prnr.guest-manifest/1',
    'name': a.name,
    'arch': 'riscv64',
    'machine': 'virt',
    'isa': 'rv64imafdc_zicsr_zifencei, sv39, 1 hart',
    'kernel_release': a.release,
    'cmdline': a.cmdline,
    'memory_min_mib': 96,  # 64 MiB panics early under QEMU 7.2 (DTB at the end of RAM)
    'memory_default_mib': 256,
    'devices': ['ns16550a uart', 'sifive plic', 'sifive test (poweroff)',
                'goldfish rtc', 'virtio-mmio blk', 'virtio-mmio net', 'virtio-mmio rng'],
    'packages': dict(p.split('=', 1) for p in a.package),
    'files': entries,
}
with open(os.path.join(a.images, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=2)
    f.write('\n')
with open(os.path.join(a.images, 'SHA256SUMS'), 'w') as f:
    f.write('# sha256 of the uncompressed images (as booted)\n')
    f.write('\n'.join(sums_raw) + '\n')
    f.write('# sha256 of the files stored in guest/%s/ (compressed with zstd -19)\n'
            % os.path.basename(os.path.abspath(a.images)))
    f.write('\n'.join(sums_stored) + '\n')
