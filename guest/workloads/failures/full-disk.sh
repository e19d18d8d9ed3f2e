# Failure catalogue: a write to a full filesystem (a 64 KiB tmpfs).
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=failed-syscalls comm=dd syscall=write errno=ENOSPC
# Why: dd's write fails with ENOSPC once the tmpfs is full, then dd exits 1.
mkdir -p /tmp/small
mount -t tmpfs -o size=64k tmpfs /tmp/small
dd if=/dev/zero of=/tmp/small/fill bs=4096 count=64
umount /tmp/small
