#!/usr/bin/env python3
"""Run a VM command whose console is on stdin/stdout and type a script into it.

  console-feed.py [--timeout S] [--log FILE] SCRIPT -- COMMAND...

Waits for the guest's "prnr-guest: ready" marker and then for the shell
prompt ("prnr:<dir># ") before each line. Lines are sent in chunks of at most
8 bytes, each after the guest has echoed the previous one, so the input never
overruns the 16550's 16-byte receive FIFO. Blank lines and lines starting with
'#' are skipped. The guest's output is copied to stdout (and --log). At the end
prints timings: start -> ready marker, ready -> exit.
Exit status: the command's, 124 on timeout, 125 when the console stalls (no
output for --stall seconds while waiting: see guest/README.md, an intermittent
lost-TX-interrupt stall seen under QEMU 7.2), 1 on a guest kernel panic."""
import argparse, os, re, subprocess, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument('--timeout', type=float, default=300)
ap.add_argument('--log')
ap.add_argument('--stall', type=float, default=5,
                help='give up (exit 125) after this many seconds without any console output')
ap.add_argument('script')
ap.add_argument('command', nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.command[1:] if a.command[:1] == ['--'] else a.command
lines = [l.rstrip('\n') for l in open(a.script)]
lines = [l for l in lines if l.strip() and not l.lstrip().startswith('#')]

CHUNK = int(os.environ.get('PRNR_FEED_CHUNK', '8'))
READY = b'prnr-guest: ready'
PANIC = b'Kernel panic - not syncing'
PROMPT = re.compile(rb'prnr:[^\r\n]*# $')
buf = bytearray()
cond = threading.Condition()
done = False
log = open(a.log, 'wb') if a.log else None

t0 = time.monotonic()
last_out = [t0]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

def reader():
    global done
    while True:
        b = p.stdout.read1(4096) if hasattr(p.stdout, 'read1') else os.read(p.stdout.fileno(), 4096)
        if not b:
            break
        sys.stdout.buffer.write(b)
        sys.stdout.buffer.flush()
        if log:
            log.write(b)
        with cond:
            last_out[0] = time.monotonic()
            buf.extend(b)
            cond.notify_all()
    with cond:
        done = True
        cond.notify_all()

threading.Thread(target=reader, daemon=True).start()
deadline = t0 + a.timeout

def wait_for(pred, what):
    with cond:
        while not pred():
            if done:
                raise SystemExit('console-feed: VM exited while waiting for %s' % what)
            if PANIC in buf:
                time.sleep(0.5)
                p.kill()
                sys.stderr.write('\nconsole-feed: guest kernel panic\n')
                sys.exit(1)
            left = deadline - time.monotonic()
            if left <= 0:
                p.kill()
                sys.stderr.write('\nconsole-feed: timeout waiting for %s\n' % what)
                sys.exit(124)
            if time.monotonic() - last_out[0] > a.stall:
                p.kill()
                sys.stderr.write('\nconsole-feed: console stalled (no output for %.0f s) '
                                 'waiting for %s\n' % (a.stall, what))
                sys.exit(125)
            cond.wait(min(left, 0.5))

wait_for(lambda: READY in buf, 'the ready marker')
t_ready = time.monotonic()
for line in lines:
    mark = len(buf)
    wait_for(lambda: PROMPT.search(bytes(buf[-200:])), 'the prompt')
    data = line.encode() + b'\n'
    for i in range(0, len(data), CHUNK):
        chunk = data[i:i + CHUNK]
        with cond:
            start = len(buf)
        p.stdin.write(chunk)
        p.stdin.flush()
        # The guest echoes what it reads; wait for as many bytes as we sent.
        wait_for(lambda: len(buf) - start >= len(chunk) or done, 'the echo')
        if done:
            break
    with cond:
        # Drop the prompt we just answered so the next wait needs a fresh one.
        del buf[:max(0, len(buf) - 1)]
rc = p.wait(timeout=max(1, deadline - time.monotonic()))
t_end = time.monotonic()
msg = ('\nconsole-feed: ready marker after %.2f s, workload %.2f s, total %.2f s, exit %d\n'
       % (t_ready - t0, t_end - t_ready, t_end - t0, rc))
sys.stderr.write(msg)
if log:
    log.write(msg.encode())
sys.exit(rc)
