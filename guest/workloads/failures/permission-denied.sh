# Failure catalogue: a script run without its execute permission.
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=failed-syscalls comm=sh syscall=execve errno=EACCES
# Why: the shell's child cannot execve /tmp/tool (no x bit, even for root) and exits 126.
printf 'echo tool ran\n' > /tmp/tool
/tmp/tool
