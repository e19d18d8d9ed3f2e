# prnr smoke workload: typed line by line into the guest console by
# guest/run-qemu.sh --feed (or run as a script: prnr.run=/workloads/smoke.sh).
# One command per line; blank lines and comment lines are not typed.
# Keep lines under 70 characters, so that with the prompt they fit the shell's
# 80-column line editor (a wrapped line is echoed with extra control bytes).
uname -a
cat /proc/cmdline
cat /proc/cpuinfo
mount -t ext4 /dev/vda /mnt
cat /mnt/README.txt
echo "written by the smoke workload" > /mnt/smoke.txt
sync
umount /mnt
mount -t ext4 /dev/vda /mnt
cat /mnt/smoke.txt
grep -q "smoke workload" /mnt/smoke.txt && echo "smoke: disk ok"
wc -l /mnt/data/numbers.txt
umount /mnt
hexdump -C -n 16 /dev/hwrng
date
hwclock -r
awk 'BEGIN { for (i = 0; i < 200000; i++) s += i * i % 7; print s }'
i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo "loop $i"
echo "smoke: done"
poweroff -f
