# prnr demo workload: a small "service" that fails once, for `prnr demo` and
# `prnr diagnose`. Typed line by line into the guest console (as smoke.sh).
# What goes wrong, on purpose: the service's config file does not exist, so it
# retries opening it (a retry loop, ENOENT); then it crashes (SIGSEGV); a
# helper it runs exits with status 3. Diagnosis should find all three.
uname -r
mount -t ext4 /dev/vda /mnt
ls /mnt
echo "app: reading /etc/app.conf"
i=0; while [ $i -lt 6 ] && ! read -r cfg < /etc/app.conf; do i=$((i+1)); done
echo "app: gave up after $i tries"
sh -c 'echo "app: starting without config"; kill -SEGV $$'
echo "app: exit status $?"
sh -c 'cat /mnt/app/state.db; exit 3'
echo "helper: exit status $?"
umount /mnt
echo "buggy: done"
poweroff -f
