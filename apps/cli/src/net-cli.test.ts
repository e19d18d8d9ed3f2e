/**
 * `--net user` end to end, as a user runs it (the built CLI, the default guest):
 * the guest leases its address by DHCP, resolves `localhost`, downloads 1 MiB
 * from a host HTTP server and serves 1 MiB to the host through a hostfwd
 * (guest/workloads/net.sh). Both transfers are checked by md5 against data
 * this test computes itself. The recording of that run then verifies with 2
 * workers, and a sequential replay, in a process where opening any socket
 * throws, prints the same transfers.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const NET_SH = fileURLToPath(new URL('../../../guest/workloads/net.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-net-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }), 60_000);

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** 1 MiB the guest downloads: sha256 blocks of a counter, so nothing in it repeats. */
const BLOB = Buffer.concat(Array.from({ length: 32768 }, (_, i) => createHash('sha256').update(`block ${i}`).digest()));
/** What the guest serves: `seq 1 200000 | head -c 1048576`, computed here independently. */
const OUT = Buffer.from(Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('')).subarray(0, 1 << 20);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function fetchBytes(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode} for ${url}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('prnr record --net user', () => {
  const rec = join(tmp, 'net.rec');
  let recorded = '';
  let hostGot = '';

  it('leases, resolves, and moves 1 MiB each way intact', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
    const http = createHttpServer((req, res) => {
      if (req.url === '/blob.bin') res.end(BLOB);
      else if (req.url === '/got' && hostGot) res.end(`host got ${hostGot}\n`);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const hostPort = (http.address() as AddressInfo).port;
    const fwdHttp = await freePort();
    const script = join(tmp, 'net.sh');
    writeFileSync(script, `HOSTPORT=${hostPort}\n${readFileSync(NET_SH, 'utf8')}`);
    try {
      const child = spawn(process.execPath, [MAIN, 'record', '-o', rec, '--slice-insns', '150000000', '--net', `user,hostfwd=tcp::${fwdHttp}-:8080`, '--script', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let fetched: Promise<void> | null = null;
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!fetched && /\nnet: serving/.test(stdout)) {
          // The guest serves out.bin through the forward: fetch it; the guest then asks /got what arrived.
          fetched = fetchBytes(`http://127.0.0.1:${fwdHttp}/out.bin`).then(
            (body) => {
              hostGot = md5(body);
            },
            (e: Error) => {
              stderr += `\ntest: fetching out.bin failed: ${e.message}`;
              child.kill();
            },
          );
        }
      });
      // A guest stuck waiting on the network must not hold the suite: give up after 8 minutes.
      const guard = setTimeout(() => child.kill(), 480_000);
      const code = await new Promise<number | null>((r) => child.on('close', r));
      clearTimeout(guard);
      recorded = stdout;
      expect(code, stderr.slice(-2000)).toBe(0);
      expect(stderr).toContain(`hostfwd tcp 127.0.0.1:${fwdHttp} -> guest 10.0.2.15:8080`);
      await fetched;
    } finally {
      http.close();
    }
    expect(recorded).toContain('lease of 10.0.2.15 obtained from 10.0.2.2');
    expect(recorded).toMatch(/1 packets received/);
    expect(recorded).toMatch(/Name:\s+localhost\s+Address:\s+127\.0\.0\.1/);
    expect(recorded).toContain(`${md5(BLOB)}  /tmp/blob.bin`); // host -> guest
    expect(recorded).toContain(`${md5(OUT)}  /tmp/www/out.bin`);
    expect(hostGot).toBe(md5(OUT)); // guest -> host
    expect(recorded).toContain(`host got ${md5(OUT)}`);
  }, 600_000);

  it('verifies with 2 workers, and a replay with no network prints the same transfers', () => {
    expect(recorded, 'the recording test ran first').not.toBe('');
    const v = spawnSync(process.execPath, [MAIN, 'verify', rec, '--parallel', '2', '--json'], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { verified: boolean }).verified).toBe(true);
    // A replay must not touch the network: in this process any socket throws.
    const guard = join(tmp, 'no-sockets.mjs');
    writeFileSync(
      guard,
      `import net from 'node:net'; import dgram from 'node:dgram';
const no = (what) => function () { throw new Error('replay opened a socket: ' + what); };
net.Socket.prototype.connect = no('connect'); net.Server.prototype.listen = no('listen');
dgram.Socket.prototype.bind = no('bind'); dgram.Socket.prototype.send = no('send');\n`,
    );
    const r = spawnSync(process.execPath, ['--import', guard, MAIN, 'replay', rec, '--parallel', '1'], { encoding: 'utf8' });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).not.toContain('replay opened a socket');
    for (const line of [`${md5(BLOB)}  /tmp/blob.bin`, `${md5(OUT)}  /tmp/www/out.bin`, `host got ${md5(OUT)}`, 'lease of 10.0.2.15 obtained']) expect(r.stdout).toContain(line);
  }, 600_000);

  it('rejects a bad --net in one line', () => {
    const r = spawnSync(process.execPath, [MAIN, 'run', '--net', 'user,hostfwd=tcp::99999-:80'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("prnr: --net: hostfwd 'tcp::99999-:80': host port 99999 is out of range");
    const m = spawnSync(process.execPath, [MAIN, 'record', '-o', join(tmp, 'x.rec'), '--net', 'tap'], { encoding: 'utf8' });
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/^prnr: --net 'tap': the only network mode is 'user'/);
    expect(existsSync(join(tmp, 'x.rec'))).toBe(false);
  });
});
