# Failure catalogue: a program reads a configuration file that does not exist.
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=failed-syscalls comm=cat syscall=openat errno=ENOENT
# Why: cat's openat fails with ENOENT, then cat exits 1; the failed call explains the exit.
cat /etc/app.conf
