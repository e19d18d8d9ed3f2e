/**
 * The directory of recordings the server serves: which subdirectories are
 * recordings, their summaries and details, and the paths of their files. The
 * recordings themselves are read through @prnr/recording.
 */
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { CODE_CACHE_FILE, MANIFEST_FILE, RecordingError, openRecording, readManifest, spaceReport, type RecordingManifest } from '@prnr/recording';
import type { RecordingDetail, RecordingSummary } from './api-types.js';
import { HttpError, notFound } from './http-error.js';
import { RECORDING_NAME, checkObjectHash, checkRecordingName, checkSegmentName, inside } from './safe-paths.js';

/** recording.json is a few hundred bytes a slice: anything this large is not one (and would stall the server to parse). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

function isRealDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && realpathSync(path) === path;
  } catch {
    return false;
  }
}

export class RecordingsDir {
  readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(resolve(root)); // real, so that any link below it shows (see fileSize)
  }

  /** Subdirectories holding a recording.json, by name; broken ones listed as "invalid". */
  list(): RecordingSummary[] {
    const out: RecordingSummary[] = [];
    for (const e of readdirSync(this.root, { withFileTypes: true })) {
      if (!e.isDirectory() || !RECORDING_NAME.test(e.name)) continue;
      if (RecordingsDir.fileSize(inside(this.root, e.name, MANIFEST_FILE)) === null) continue;
      out.push(this.summary(e.name));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The recording's directory; 404 if there is no recording of that name. */
  dir(name: string): string {
    const dir = inside(this.root, checkRecordingName(name));
    // A real directory (not a link out of the root) holding a regular recording.json (not a FIFO, which would hang a read).
    if (!isRealDir(dir) || RecordingsDir.fileSize(inside(dir, MANIFEST_FILE)) === null) throw notFound(`no recording named "${name}"`);
    return dir;
  }

  exists(name: string): boolean {
    return existsSync(inside(this.root, checkRecordingName(name)));
  }

  /** The manifest, or a 422 that says what is wrong with it. */
  manifest(name: string): RecordingManifest {
    const dir = this.dir(name);
    const size = RecordingsDir.fileSize(inside(dir, MANIFEST_FILE))!;
    if (size > MAX_MANIFEST_BYTES) throw new HttpError(422, `${name}/${MANIFEST_FILE} is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} a recording.json may have`);
    try {
      return readManifest(dir);
    } catch (e) {
      if (e instanceof RecordingError) throw new HttpError(422, this.clean(e.message));
      throw e;
    }
  }

  summary(name: string): RecordingSummary {
    const dir = this.dir(name);
    try {
      const size = RecordingsDir.fileSize(inside(dir, MANIFEST_FILE))!;
      if (size > MAX_MANIFEST_BYTES) throw new RecordingError(`${MANIFEST_FILE} is ${size} bytes, more than the ${MAX_MANIFEST_BYTES} a recording.json may have`);
      const m = readManifest(dir);
      const r = spaceReport(openRecording(dir));
      return {
        name,
        status: m.status,
        slices: m.slices.length,
        steps: m.slices.at(-1)?.endIcount ?? 0,
        sizeBytes: r.storedBytes + r.logBytes,
        createdAt: m.createdAt,
        ...(m.end ? { end: m.end } : {}),
      };
    } catch (e) {
      if (!(e instanceof RecordingError)) throw e;
      return { name, status: 'invalid', slices: 0, steps: 0, sizeBytes: 0, error: this.clean(e.message) };
    }
  }

  detail(name: string): RecordingDetail {
    const m = this.manifest(name);
    const dir = this.dir(name);
    const space = spaceReport(openRecording(dir));
    return {
      ...this.summary(name),
      format: { name: m.format, version: m.version },
      board: { ramSize: m.board.ramSize, cmdline: m.board.cmdline, devices: m.deviceVersions.map((d) => `${d.kind}@${d.version}`) },
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
      space,
    };
  }

  manifestPath(name: string): string {
    return inside(this.dir(name), MANIFEST_FILE);
  }

  segmentPath(name: string, segment: string): string {
    return inside(this.dir(name), 'log', checkSegmentName(segment));
  }

  /** As the object store lays it out: objects/<2 hex>/<62 hex>. */
  objectPath(name: string, hash: string): string {
    const h = checkObjectHash(hash);
    return inside(this.dir(name), 'objects', h.slice(0, 2), h.slice(2));
  }

  /** The recording's code cache file (optional; recording.json does not name it). */
  codeCachePath(name: string): string {
    return inside(this.dir(name), CODE_CACHE_FILE);
  }

  /**
   * A file's size, or null unless it is a regular file reached by no symbolic
   * link (a link placed in the served tree must not serve what it points to;
   * the path was built inside the root, so a link on the way would show as a
   * real path elsewhere).
   */
  static fileSize(path: string): number | null {
    try {
      const s = lstatSync(path);
      if (!s.isFile() || realpathSync(path) !== path) return null;
      return s.size;
    } catch {
      return null;
    }
  }

  /** Messages name files by their place in the recordings directory, not by the server's absolute paths. */
  clean(message: string): string {
    return message.split(this.root + '/').join('').split(this.root).join('.');
  }
}
