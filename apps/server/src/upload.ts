/**
 * Receiving a recording: a tar stream (gzip-compressed or not) of the
 * recording directory, either its contents (recording.json, log/, objects/)
 * or one directory holding them. The stream is parsed as it arrives (node-tar's
 * parser: no extraction logic of its own is trusted), every entry checked
 * against the recording layout and written by us under a temporary directory,
 * with limits on bytes (both sides of decompression), entries and time.
 * recording.json is read as soon as it arrives, so a bad one ends the upload
 * there. The result is then checked as a recording (every segment read, every
 * object hashed) and only then renamed into place: a half-received or invalid
 * upload is never visible as a recording.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { MANIFEST_FILE, RecordingError, loadEvents, type RecordingManifest } from '@prnr/recording';
import { FsObjectStore, ObjectCorruptError, ObjectMissingError, reachableObjects, type ObjectReader } from '@prnr/snapshot';
import { parseManifest } from '@prnr/recording';
import { MAX_MANIFEST_BYTES, asRecording } from './recordings-dir.js';
import { HttpError, badRequest } from './http-error.js';
import { SEGMENT_NAME, inside } from './safe-paths.js';

/** Content types the upload accepts (node-tar detects gzip by its magic). */
export const UPLOAD_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];

/** Files of a recording, relative to it (.prnr-demo: the mark of a recording `prnr demo` made). */
const LAYOUT_FILE = new RegExp(`^(recording\\.json|code-cache\\.bin|\\.prnr-demo|log/${SEGMENT_NAME.source.slice(1, -1)}|objects/[0-9a-f]{2}/[0-9a-f]{62}|objects/pack/[0-9a-z-]{1,100}\\.pack)$`);
const LAYOUT_DIR = /^(log|objects|objects\/[0-9a-f]{2}|objects\/pack)$/;
const TOP_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
/** What a recording holds at its top: an entry named otherwise is the one directory that holds the recording. */
const TOP_ENTRIES = new Set([MANIFEST_FILE, 'code-cache.bin', '.prnr-demo', 'log', 'objects', '']);
/** Bytes extracted per byte received, past the first RATIO_SLACK bytes: a recording's objects are compressed already. */
const MAX_RATIO = 16;
const RATIO_SLACK = 64 * 1024 * 1024;
/** Bytes the objects may hold uncompressed per byte extracted, past DECODED_SLACK (real recordings: about 3). */
const MAX_DECODED_RATIO = 64;
const DECODED_SLACK = 1024 * 1024 * 1024;
/** Objects read between turns of the event loop while an upload is checked. */
const READS_PER_TURN = 64;

export interface UploadLimits {
  /** Bytes of the request body (as sent, compressed). */
  maxBytes: number;
  /** Bytes of all files once extracted. */
  maxExtractedBytes: number;
  /** Entries (files and directories) in the archive. */
  maxEntries: number;
  /** The whole body, first byte to last (ms). */
  timeoutMs: number;
  /** Longest wait for the next bytes of the body (ms). */
  idleMs: number;
}

/**
 * Reads `body` into `root/.uploads/`, checks it and renames it to `root/name`.
 * Throws HttpError: 400 (not a tar of a complete recording), 408 (too slow),
 * 409 (name taken), 413 (too large).
 */
export async function receiveRecording(root: string, name: string, body: Readable, limits: UploadLimits): Promise<void> {
  const target = inside(root, name);
  if (await present(target)) throw new HttpError(409, `a recording named "${name}" already exists`);
  const staging = inside(root, '.uploads');
  await mkdir(staging, { recursive: true });
  const tmp = await mkdtemp(join(staging, 'upload-'));
  try {
    const got = await extract(tmp, body, limits);
    if (!got.manifest) throw badRequest('the upload holds no recording.json: send a tar (or tar.gz) of a recording directory');
    await check(tmp, got.manifest, MAX_DECODED_RATIO * got.extracted + DECODED_SLACK);
    if (await present(target)) throw new HttpError(409, `a recording named "${name}" already exists`);
    try {
      await rename(tmp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new HttpError(409, `a recording named "${name}" already exists`);
      throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function extract(tmp: string, body: Readable, limits: UploadLimits): Promise<{ manifest?: RecordingManifest; extracted: number }> {
  const parser = new Parser({ strict: true });
  let failure: Error | undefined;
  const open = new Set<WriteStream>();
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    parser.abort(e);
    // Files being written would wait forever for the rest of their entry.
    for (const out of open) out.destroy();
  };
  const stopped = new Promise<void>((resolve) => {
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    parser.on('abort', () => resolve());
    parser.on('error', (e: Error) => {
      fail(badRequest(`not a valid tar stream: ${e.message}`));
      resolve();
    });
  });
  const writes: Promise<void>[] = [];
  let received = 0;
  let extracted = 0;
  let entries = 0;
  let prefix: string | null | undefined;
  let manifest: RecordingManifest | undefined;
  let sawManifest = false;
  parser.on('entry', (entry: ReadEntry) => {
    try {
      if (failure) throw failure;
      if (++entries > limits.maxEntries) throw new HttpError(413, `the upload has more than ${limits.maxEntries} entries`);
      const parts = entry.path.replace(/^\.\/+/, '').split('/').filter((p, i, all) => p !== '' || i < all.length - 1);
      // A single top directory (tar -C parent NAME) is allowed and dropped; it must be the same for every entry.
      const first = parts[0] ?? '';
      const here = TOP_ENTRIES.has(first) ? null : first;
      if (prefix === undefined) prefix = here;
      if (here !== prefix) throw badRequest(`unexpected entry "${clip(entry.path)}": the upload must hold one recording directory`);
      if (here !== null && !TOP_NAME.test(here)) throw badRequest(`unexpected entry "${clip(entry.path)}"`);
      const rel = (here === null ? parts : parts.slice(1)).join('/');
      if (entry.type === 'Directory') {
        if (rel !== '' && !LAYOUT_DIR.test(rel)) throw badRequest(`unexpected directory "${clip(entry.path)}": a recording holds recording.json, log/ and objects/`);
        if (rel !== '') mkdirSync(inside(tmp, rel), { recursive: true });
        entry.resume();
        return;
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') {
        throw badRequest(`unexpected ${entry.type} "${clip(entry.path)}": only regular files and directories are accepted`);
      }
      if (!LAYOUT_FILE.test(rel)) throw badRequest(`unexpected file "${clip(entry.path)}": a recording holds recording.json, log/NAME.seg, objects/pack/NAME.pack and objects/XX/HASH`);
      // Sizes are known from the header: every limit is checked before a byte of the entry is written.
      extracted += entry.size;
      if (extracted > limits.maxExtractedBytes) throw new HttpError(413, `the recording is larger than ${limits.maxExtractedBytes} bytes once extracted`);
      if (extracted > MAX_RATIO * received + RATIO_SLACK) throw new HttpError(413, `the upload expands more than ${MAX_RATIO} times (${extracted} bytes from ${received} received): refused`);
      const dest = inside(tmp, rel);
      if (rel === MANIFEST_FILE) {
        if (sawManifest) throw badRequest(`"${clip(entry.path)}" appears twice in the upload`);
        sawManifest = true;
        if (entry.size > MAX_MANIFEST_BYTES) throw new HttpError(413, `recording.json is ${entry.size} bytes, more than the ${MAX_MANIFEST_BYTES} a recording.json may have`);
        // Read now, in memory, as soon as its last byte is parsed: a recording.json that is no manifest ends the upload there.
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => {
          if (failure) return;
          const text = Buffer.concat(chunks);
          try {
            manifest = parseManifest(text.toString('utf8'), MANIFEST_FILE);
          } catch (e) {
            return fail(e instanceof RecordingError ? badRequest(`not a valid prnr recording: ${e.message}`) : (e as Error));
          }
          writes.push(writeFile(dest, text, { flag: 'wx' }).catch((e: Error) => fail(e)));
        });
        return;
      }
      mkdirSync(dirname(dest), { recursive: true });
      const out = createWriteStream(dest, { flags: 'wx' });
      out.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EEXIST' ? badRequest(`"${clip(entry.path)}" appears twice in the upload`) : e));
      open.add(out);
      entry.pipe(out);
      writes.push(finished(out).catch(() => {}).then(() => void open.delete(out)));
    } catch (e) {
      entry.resume();
      fail(e as Error);
    }
  });

  // On a refusal the rest of the request is read and dropped, not torn down, so that the client still reads the answer.
  await new Promise<void>((resolve) => {
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const stall = () => {
      fail(new HttpError(408, `no data for ${seconds(limits.idleMs)}: the upload is dropped`));
      settle();
    };
    const total = setTimeout(() => {
      fail(new HttpError(408, `the upload took longer than ${seconds(limits.timeoutMs)}: it is dropped`));
      settle();
    }, limits.timeoutMs);
    // Only while we wait for the client: a pause for our own writes is not the client's stall.
    const waitForClient = () => {
      clearTimeout(idle);
      idle = setTimeout(stall, limits.idleMs);
    };
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(idle);
      body.off('data', onData);
      body.on('data', () => {});
      body.resume();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes) fail(new HttpError(413, `the upload is larger than the limit of ${limits.maxBytes} bytes`));
      if (failure) return settle();
      waitForClient();
      if (!parser.write(chunk)) {
        body.pause();
        clearTimeout(idle);
        void Promise.race([once(parser, 'drain'), stopped]).catch(() => {}).then(() => {
          if (settled) return;
          waitForClient();
          body.resume();
        });
      }
    };
    waitForClient();
    body.on('data', onData);
    body.on('end', settle);
    body.on('error', (e: Error) => {
      fail(badRequest(`the upload was cut off: ${e.message}`));
      settle();
    });
    body.on('close', () => {
      if (!body.readableEnded) fail(badRequest('the upload was cut off'));
      settle();
    });
  });
  if (!failure) parser.end();
  await stopped;
  await Promise.all(writes);
  if (failure) throw failure;
  if (entries === 0) throw badRequest('the upload is empty: send a tar (or tar.gz) of a recording directory');
  return { manifest, extracted };
}

/**
 * A recording is complete when every slice's segment reads (checksummed
 * blocks, the slice's icount range), and every object is there and hashes to
 * its name: each snapshot's whole tree (pages and blocks included), the
 * disks, consoles and guest profile recording.json names, and any other
 * object file the upload holds.
 */
async function check(dir: string, m: RecordingManifest, maxDecodedBytes: number): Promise<void> {
  const bad = (message: string) => badRequest(`not a valid prnr recording: ${message.split(dir + '/').join('').split(dir).join('.')}`);
  const rec = asRecording(dir, m);
  for (const s of m.slices) {
    if (!(await present(inside(dir, s.log)))) throw bad(`slice ${s.index}'s segment ${s.log} is missing`);
    try {
      await loadEvents(rec, s);
    } catch (e) {
      throw bad((e as Error).message);
    }
    await turn();
  }

  const store = new FsObjectStore(dir);
  // A pack cut short or damaged outside its entries: refused, naming the pack and the offset.
  const damage = store.packDamage();
  if (damage.length > 0) throw bad(`a pack is damaged: ${damage[0]}`);
  const reader = new CheckingReader(store, maxDecodedBytes);
  const named = new Map<string, string>();
  for (const s of m.slices) if (s.console) named.set(s.console, `the console of slice ${s.index}`);
  if (m.guestProfile) named.set(m.guestProfile, 'the guest profile');
  for (const p of m.devicePlugins ?? []) if (p.object) named.set(p.object, `the copy of device module ${p.kind}`);
  for (const [id, h] of Object.entries(m.disks)) named.set(h, `the disk image ${id.slice(0, 12)}…`);
  let reached: Set<string>;
  try {
    reached = await reachableObjects([...new Set(m.slices.flatMap((s) => [s.snapshot, s.endState]))], reader);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw bad((e as Error).message);
  }
  for (const h of reached) if (!named.has(h)) named.set(h, 'a snapshot');
  for await (const h of store.list()) if (!named.has(h)) named.set(h, 'no snapshot reaches it');
  for (const [h, what] of named) {
    if (reader.verified.has(h)) continue;
    try {
      await reader.get(h);
    } catch (e) {
      if (e instanceof ObjectMissingError) throw bad(`object ${h} (${what}) is missing`);
      if (e instanceof ObjectCorruptError) throw bad(`object ${h} (${what}) is damaged: ${e.message}`);
      throw e;
    }
  }
}

/** Reads objects, each verified against its hash (FsObjectStore.get), keeping the event loop turning and the decoded bytes bounded. */
class CheckingReader implements ObjectReader {
  readonly verified = new Set<string>();
  private decoded = 0;
  private reads = 0;

  constructor(
    private readonly store: FsObjectStore,
    private readonly maxDecoded: number,
  ) {}

  async get(h: string): Promise<Uint8Array> {
    if (++this.reads % READS_PER_TURN === 0) await turn();
    const bytes = await this.store.get(h);
    this.decoded += bytes.length;
    if (this.decoded > this.maxDecoded) throw new HttpError(413, `the upload's objects hold more than ${this.maxDecoded} bytes uncompressed: refused`);
    this.verified.add(h);
    return bytes;
  }

  has(h: string): Promise<boolean> {
    return this.store.has(h);
  }
}

/** Lets the server answer other requests. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
