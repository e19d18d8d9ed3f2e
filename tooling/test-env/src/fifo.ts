/**
 * A FIFO for tests of readers that must refuse one (packs, segments,
 * manifests), with a process holding it open for writing: a reader that
 * (wrongly) blocks on it is released, and the test fails instead of hanging
 * the run.
 */
import { execFileSync, spawn } from 'node:child_process';

/** Makes a FIFO at `path`, held open for writing for `holdSeconds`; stop() ends the holder. */
export function makeFifo(path: string, holdSeconds = 30): { stop(): void } {
  execFileSync('mkfifo', [path]);
  const holder = spawn('sh', ['-c', 'exec 3>"$1"; exec sleep "$2"', 'sh', path, String(holdSeconds)], { stdio: 'ignore' });
  return { stop: () => void holder.kill() };
}
