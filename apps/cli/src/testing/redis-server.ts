/** A redis-server of a test's own on loopback, and free ports: what the CLI's tests that use Redis share. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server on loopback at `port` (nothing saved to disk), ready to accept connections; kill it
 * when done. `spawned` gets the process at once, so that a caller's clean-up kills one that never got ready.
 */
export async function startRedis(port: number, spawned?: (redis: ChildProcess) => void): Promise<ChildProcess> {
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  spawned?.(redis);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    redis.stdout!.on('data', (d) => { out += d; if (out.includes('Ready to accept connections')) resolve(); });
    redis.on('exit', (c) => reject(new Error(`redis-server exited (${c}): ${out}`)));
  });
  return redis;
}
