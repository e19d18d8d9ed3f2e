# Failure catalogue: a pipeline that feeds itself through a FIFO, so each cat
# waits to read what the other has not written: a deadlock. Nothing fails; the
# run hangs (here: a 2 s sleep stands for the user giving up).
# Typed line by line into the guest console (as ../smoke.sh), without poweroff.
# expect-top: kind=blocked-at-end comm=cat count=2
mkfifo /tmp/fifo
(cat /tmp/fifo | cat > /tmp/fifo &)
sleep 2
