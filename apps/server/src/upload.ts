/**
 * Receiving a recording: a tar stream (gzip-compressed or not) of the
 * recording directory, either its contents (recording.json, log/, objects/)
 * or one directory holding them. The stream is parsed as it arrives (node-tar's
 * parser: no extraction logic of its own is trusted), every entry checked
 * against the recording layout and written by us under a temporary directory,
 * byte counts limited on both sides of decompression. The result is validated
 * as a recording and only then renamed into place: a half-received or invalid
 * upload is never visible as a recording.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, type WriteStream, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { RecordingError, readManifest } from '@prnr/recording';
import { FsObjectStore, ObjectMissingError, forEachLimit, reachableObjects } from '@prnr/snapshot';
import { MAX_MANIFEST_BYTES } from './recordings-dir.js';
import { HttpError, badRequest } from './http-error.js';
import { SEGMENT_NAME, inside } from './safe-paths.js';

/** Content types the upload accepts (node-tar detects gzip by its magic). */
export const UPLOAD_TYPES = ['application/gzip', 'application/x-gzip', 'application/x-tar', 'application/octet-stream'];

/** Files of a recording, relative to it. */
const LAYOUT_FILE = new RegExp(`^(recording\\.json|code-cache\\.bin|log/${SEGMENT_NAME.source.slice(1, -1)}|objects/[0-9a-f]{2}/[0-9a-f]{62})$`);
const LAYOUT_DIR = /^(log|objects|objects\/[0-9a-f]{2})$/;
const TOP_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const MAX_ENTRIES = 1_000_000;
/** Bytes extracted per byte received, past the first RATIO_SLACK bytes. */
const MAX_RATIO = 16;
const RATIO_SLACK = 64 * 1024 * 1024;

export interface UploadLimits {
  /** Bytes of the request body (as sent, compressed). */
  maxBytes: number;
  /** Bytes of all files once extracted. */
  maxExtractedBytes: number;
}

/**
 * Reads `body` into `root/.uploads/`, validates it and renames it to `root/name`.
 * Throws HttpError: 400 (not a tar of a recording), 409 (name taken), 413 (too large).
 */
export async function receiveRecording(root: string, name: string, body: Readable, limits: UploadLimits): Promise<void> {
  const target = inside(root, name);
  if (existsSync(target)) throw new HttpError(409, `a recording named "${name}" already exists`);
  const staging = inside(root, '.uploads');
  mkdirSync(staging, { recursive: true });
  const tmp = mkdtempSync(join(staging, 'upload-'));
  try {
    await extract(tmp, body, limits);
    const dir = recordingRoot(tmp);
    await validate(dir);
    if (existsSync(target)) throw new HttpError(409, `a recording named "${name}" already exists`);
    renameSync(dir, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function extract(tmp: string, body: Readable, limits: UploadLimits): Promise<void> {
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
  parser.on('entry', (entry: ReadEntry) => {
    try {
      if (failure) throw failure;
      if (++entries > MAX_ENTRIES) throw new HttpError(413, `the upload has more than ${MAX_ENTRIES} entries`);
      const parts = entry.path.replace(/^\.\/+/, '').split('/').filter((p, i, all) => p !== '' || i < all.length - 1);
      // A single top directory (tar -C parent NAME) is allowed and dropped; it must be the same for every entry.
      const first = parts[0] ?? '';
      const here = first === 'recording.json' || first === 'log' || first === 'objects' || first === '' ? null : first;
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
      if (!LAYOUT_FILE.test(rel)) throw badRequest(`unexpected file "${clip(entry.path)}": a recording holds recording.json, log/NAME.seg and objects/XX/HASH`);
      extracted += entry.size;
      if (extracted > limits.maxExtractedBytes) throw new HttpError(413, `the recording is larger than ${limits.maxExtractedBytes} bytes once extracted`);
      // A recording's objects are compressed already: a far higher ratio is a decompression bomb, refused before it is written.
      if (extracted > MAX_RATIO * received + RATIO_SLACK) throw new HttpError(413, `the upload expands more than ${MAX_RATIO} times (${extracted} bytes from ${received} received): refused`);
      if (rel === 'recording.json' && entry.size > MAX_MANIFEST_BYTES) throw new HttpError(413, `recording.json is ${entry.size} bytes, more than the ${MAX_MANIFEST_BYTES} a recording.json may have`);
      const dest = inside(tmp, rel);
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
    const settle = () => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.on('data', () => {});
      body.resume();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBytes) fail(new HttpError(413, `the upload is larger than the limit of ${limits.maxBytes} bytes`));
      if (failure) return settle();
      if (!parser.write(chunk)) {
        body.pause();
        void Promise.race([once(parser, 'drain'), stopped]).catch(() => {}).then(() => body.resume());
      }
    };
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
}

/** The recording's directory inside the extracted tree (its top, or its single top directory). */
function recordingRoot(tmp: string): string {
  if (existsSync(join(tmp, 'recording.json'))) return tmp;
  throw badRequest('the upload holds no recording.json: send a tar (or tar.gz) of a recording directory');
}

/**
 * A recording whose manifest reads, whose every slice has its segment, and
 * every object that recording.json names or reaches (each snapshot's whole
 * tree, pages and blocks included; disks, console, profile) is there and
 * hashes to its name.
 */
async function validate(dir: string): Promise<void> {
  let m;
  try {
    m = readManifest(dir);
  } catch (e) {
    if (e instanceof RecordingError) throw badRequest(`not a valid prnr recording: ${e.message.split(dir + '/').join('')}`);
    throw e;
  }
  for (const s of m.slices) {
    if (!existsSync(inside(dir, s.log))) throw badRequest(`not a valid prnr recording: slice ${s.index}'s segment ${s.log} is missing`);
  }
  const store = new FsObjectStore(dir);
  const named = new Map<string, string>();
  for (const s of m.slices) if (s.console) named.set(s.console, `the console of slice ${s.index}`);
  if (m.guestProfile) named.set(m.guestProfile, 'the guest profile');
  for (const [id, h] of Object.entries(m.disks)) named.set(h, `the disk image ${id.slice(0, 12)}…`);
  let reached: Set<string>;
  try {
    reached = await reachableObjects([...new Set(m.slices.flatMap((s) => [s.snapshot, s.endState]))], store);
  } catch (e) {
    throw badRequest(`not a valid prnr recording: ${(e as Error).message.split(dir + '/').join('')}`);
  }
  for (const h of reached) if (!named.has(h)) named.set(h, 'a snapshot');
  await forEachLimit([...named], 16, async ([h, what]) => {
    try {
      await store.get(h); // reads it and checks its hash
    } catch (e) {
      if (e instanceof ObjectMissingError) throw badRequest(`not a valid prnr recording: object ${h} (${what}) is missing`);
      throw badRequest(`not a valid prnr recording: object ${h} (${what}) is damaged: ${(e as Error).message.split(dir + '/').join('')}`);
    }
  });
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
