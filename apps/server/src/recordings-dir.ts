/**
 * The directory of recordings the server serves: which subdirectories are
 * recordings, their summaries and details, and their files opened for
 * serving. Only regular files reached by no link are opened (regular-file.ts:
 * checks that never wait, contents read asynchronously): a FIFO, a device or
 * a link placed in the directory is no recording and is never served.
 * recording.json is checked for size before it is read, and a summary is
 * made again only when its recording.json has changed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Stats } from 'node:fs';
import { CODE_CACHE_FILE, MANIFEST_FILE, RecordingError, parseManifest, recordedHartVersion, spaceReport, type Recording, type RecordingManifest } from '@prnr/recording';
import { FsObjectStore } from '@prnr/snapshot';
import type { RecordingDetail, RecordingSummary } from './api-types.js';
import { HttpError, notFound } from './http-error.js';
import { FileTooLargeError, isRealDir, openRegular, readRegular, type RegularFile } from './regular-file.js';
import { RECORDING_NAME, checkObjectHash, checkRecordingName, checkSegmentName, inside } from './safe-paths.js';

/** recording.json is a few hundred bytes a slice: anything this large is not one (and would stall the server to parse). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** A file of a recording, for serving. */
export type RecordingFile = { kind: 'manifest' } | { kind: 'segment'; segment: string } | { kind: 'object'; hash: string } | { kind: 'code-cache' };

/** A recording for @prnr/recording's readers, over a manifest already read. */
export function asRecording(dir: string, manifest: RecordingManifest): Recording {
  return { dir, location: dir, manifest, store: new FsObjectStore(dir), readFile: (path) => readFile(inside(dir, path)) };
}

/** Same file, same content: device, inode, size and modification time. */
const identity = (s: Stats) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;

export class RecordingsDir {
  readonly root: string;
  /** Summaries by name, each with the identity of the recording.json it was made from. */
  private readonly summaries = new Map<string, { id: string; summary: RecordingSummary }>();
  /** One store per recording served, so its packs' indexes are read once. */
  private readonly stores = new Map<string, FsObjectStore>();

  constructor(root: string) {
    this.root = realpathSync(resolve(root)); // real, so that any link below it shows
  }

  /** Subdirectories holding a regular recording.json, by name; broken ones listed as "invalid". */
  async list(): Promise<RecordingSummary[]> {
    const out: RecordingSummary[] = [];
    const seen = new Set<string>();
    for (const e of await readdir(this.root, { withFileTypes: true })) {
      if (!e.isDirectory() || !RECORDING_NAME.test(e.name)) continue;
      seen.add(e.name);
      try {
        out.push(await this.summary(e.name));
      } catch (err) {
        if (!(err instanceof HttpError && err.statusCode === 404)) throw err;
      }
    }
    for (const name of this.summaries.keys()) if (!seen.has(name)) this.summaries.delete(name);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The recording's directory; 404 unless it is a real directory (no link) holding a regular recording.json. */
  async dir(name: string): Promise<string> {
    const dir = inside(this.root, checkRecordingName(name));
    const f = isRealDir(dir) ? openRegular(inside(dir, MANIFEST_FILE)) : null;
    if (!f) throw notFound(`no recording named "${name}"`);
    f.close();
    return dir;
  }

  /** The manifest, or a 404, or a 422 that says what is wrong with it. */
  async manifest(name: string): Promise<RecordingManifest> {
    const r = await this.read(name);
    if (r.error) throw new HttpError(422, this.clean(r.error.message));
    return r.manifest!;
  }

  async summary(name: string): Promise<RecordingSummary> {
    const dir = await this.dir(name);
    const f = openRegular(inside(dir, MANIFEST_FILE));
    if (!f) throw notFound(`no recording named "${name}"`);
    const id = identity(f.stat);
    f.close();
    const cached = this.summaries.get(name);
    if (cached?.id === id) return cached.summary;
    const r = await this.read(name);
    let summary: RecordingSummary;
    if (r.error) {
      summary = { name, status: 'invalid', slices: 0, steps: 0, sizeBytes: 0, error: this.clean(r.error.message) };
    } else {
      const m = r.manifest!;
      const space = spaceReport(asRecording(r.dir, m));
      summary = {
        name,
        status: m.status,
        slices: m.slices.length,
        steps: m.slices.at(-1)?.endIcount ?? 0,
        sizeBytes: space.storedBytes + space.logBytes,
        createdAt: m.createdAt,
        ...(m.end ? { end: m.end } : {}),
      };
    }
    this.summaries.set(name, { id, summary });
    return summary;
  }

  async detail(name: string): Promise<RecordingDetail> {
    const r = await this.read(name);
    if (r.error) throw new HttpError(422, this.clean(r.error.message));
    const m = r.manifest!;
    return {
      ...(await this.summary(name)),
      format: { name: m.format, version: m.version },
      board: {
        ramSize: m.board.ramSize,
        cmdline: m.board.cmdline,
        devices: m.deviceVersions.map((d) => `${d.kind}@${d.version}`),
        // Checked by parseManifest, which has refused a version newer than this build's.
        hartVersion: recordedHartVersion(m),
      },
      checkpointInterval: m.checkpointInterval,
      ...(m.stats ? { stats: m.stats } : {}),
      sliceTable: m.slices.map((s) => ({
        index: s.index,
        startIcount: s.startIcount,
        endIcount: s.endIcount,
        events: s.events,
        logBytes: s.logBytes,
        snapshot: s.snapshot,
        endState: s.endState,
        startMtime: s.startMtime,
        endMtime: s.endMtime,
      })),
      space: spaceReport(asRecording(r.dir, m)),
    };
  }

  /** A file of the recording opened for reading, or null if it has no such regular file. Names are checked first (400). */
  async open(name: string, file: RecordingFile): Promise<RegularFile | null> {
    const dir = await this.dir(name);
    let path: string;
    if (file.kind === 'manifest') path = inside(dir, MANIFEST_FILE);
    else if (file.kind === 'code-cache') path = inside(dir, CODE_CACHE_FILE);
    else if (file.kind === 'segment') path = inside(dir, 'log', checkSegmentName(file.segment));
    else {
      const h = checkObjectHash(file.hash); // as the object store lays it out: objects/<2 hex>/<62 hex>, or inside a pack
      const loose = openRegular(inside(dir, 'objects', h.slice(0, 2), h.slice(2)));
      if (loose) return loose;
      // In a pack (objects/pack/*.pack): the object's bytes there are what its loose file would hold.
      const at = this.storeOf(dir).locate(h);
      if (!at || at.offset === 0) return null;
      return openRegular(at.file)?.range(at.offset, at.length) ?? null;
    }
    return openRegular(path);
  }

  private storeOf(dir: string): FsObjectStore {
    let s = this.stores.get(dir);
    if (!s) this.stores.set(dir, (s = new FsObjectStore(dir)));
    return s;
  }

  /** Messages name files by their place in the recordings directory, not by the server's absolute paths. */
  clean(message: string): string {
    return message.split(this.root + '/').join('').split(this.root).join('.');
  }

  /** recording.json, read safely: the manifest or why it is not one; 404 if there is no recording of that name. */
  private async read(name: string): Promise<{ dir: string; manifest?: RecordingManifest; error?: RecordingError }> {
    const dir = await this.dir(name);
    const file = inside(dir, MANIFEST_FILE);
    let got: Awaited<ReturnType<typeof readRegular>>;
    try {
      got = await readRegular(file, MAX_MANIFEST_BYTES);
    } catch (e) {
      if (!(e instanceof FileTooLargeError)) throw e;
      return { dir, error: new RecordingError(`${file}: ${e.size} bytes, more than the ${MAX_MANIFEST_BYTES} a recording.json may have`) };
    }
    if (!got) throw notFound(`no recording named "${name}"`);
    try {
      return { dir, manifest: parseManifest(got.bytes.toString('utf8'), file) };
    } catch (e) {
      if (e instanceof RecordingError) return { dir, error: e };
      throw e;
    }
  }
}
