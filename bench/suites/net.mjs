// Suite "net": TCP throughput of the user-mode network (`prnr run --net user`),
// host to guest and guest to host, measured on the host's wall clock with the
// default guest (so it includes the emulated guest's own work: its TCP stack,
// wget, busybox httpd).
//   host -> guest: the guest wgets N MiB from a host HTTP server (time from the
//                  request for the data to the guest's next request);
//   guest -> host: the host fetches N MiB from the guest's busybox httpd
//                  through a hostfwd (time from the request to the last byte).
//
// Options:
//   --net-mib N   MiB each way (default 4)

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const name = 'net';
export const order = 60;
export const description = 'user-mode network: TCP throughput host->guest and guest->host (MB/s)';

const MAIN = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function run(ctx) {
  const mib = Number(ctx.args['net-mib'] ?? 4);
  const bytes = mib * 1024 * 1024;
  const blob = Buffer.alloc(bytes, 0x5a);
  const times = {};
  let done = false;
  let h2gStart = 0;
  const http = createHttpServer((req, res) => {
    if (req.url === '/big') {
      h2gStart = performance.now();
      res.end(blob);
    } else if (req.url === '/mark') {
      times.h2g = (performance.now() - h2gStart) / 1000;
      res.end('ok\n');
    } else if (req.url === '/done' && done) res.end('ok\n');
    else res.writeHead(404).end();
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const fwd = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'prnr-bench-net-'));
  const script = join(dir, 'net-bench.sh');
  writeFileSync(script, [
    `U=http://10.0.2.2:${http.address().port}`,
    'udhcpc -i eth0 -n -q',
    'mkdir -p /tmp/www',
    `dd if=/dev/zero bs=65536 count=${mib * 16} | tr "\\000" Z > /tmp/www/big`,
    'httpd -p 8080 -h /tmp/www',
    'wget -q -O /dev/null $U/big',
    'wget -q -O /dev/null $U/mark',
    'echo "bench: serving"',
    'until wget -q -O /dev/null $U/done 2>/dev/null; do sleep 1; done',
    'poweroff -f',
    '',
  ].join('\n'));
  let md5 = '';
  try {
    const child = spawn(process.execPath, [MAIN, 'run', '--net', `user,hostfwd=tcp::${fwd}-:8080`, '--script', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let started = false;
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (!started && /\nbench: serving/.test(out)) {
        started = true;
        const t = performance.now();
        get(`http://127.0.0.1:${fwd}/big`, (res) => {
          const h = createHash('md5');
          let n = 0;
          res.on('data', (c) => { h.update(c); n += c.length; });
          res.on('end', () => {
            times.g2h = (performance.now() - t) / 1000;
            times.g2hBytes = n;
            md5 = h.digest('hex');
            done = true;
          });
        }).on('error', (e) => { ctx.log(`fetch from the guest failed: ${e.message}`); child.kill(); });
      }
    });
    const guard = setTimeout(() => child.kill(), 600_000);
    const code = await new Promise((r) => child.on('close', r));
    clearTimeout(guard);
    if (code !== 0) ctx.log(`prnr run exited with ${code}:\n${out.slice(-1500)}`);
  } finally {
    http.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const expected = createHash('md5').update(blob).digest('hex');
  const ok = times.h2g > 0 && times.g2h > 0 && times.g2hBytes === bytes && md5 === expected;
  const mbps = (s) => (s > 0 ? (bytes / 1e6 / s).toFixed(2) : '-');
  return {
    title: `User-mode network TCP throughput, ${mib} MiB each way (default guest, prnr run --net user)`,
    columns: ['direction', 'MiB', 'wall s', 'MB/s'],
    rows: [
      ['host -> guest (guest wget)', String(mib), times.h2g?.toFixed(2) ?? '-', mbps(times.h2g)],
      ['guest -> host (hostfwd, guest httpd)', String(mib), times.g2h?.toFixed(2) ?? '-', mbps(times.g2h)],
    ],
    records: [{ direction: 'host-to-guest', bytes, seconds: times.h2g ?? null }, { direction: 'guest-to-host', bytes, seconds: times.g2h ?? null, md5ok: md5 === expected }],
    notes: ['wall clock on the host; the guest is emulated, so its TCP stack and tools bound the rate; the ratio to QEMU is not measured here'],
    ok,
  };
}
