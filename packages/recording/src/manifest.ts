/**
 * recording.json: what a recording is (format version 2; version 1 is read
 * too, see RECORDING_FORMAT_VERSION). Written atomically
 * (temporary file, fsync, rename, fsync of the directory), rewritten each time
 * a slice closes, so it only ever lists slices whose log and snapshots are on
 * disk in full. `status` stays "recording" until the recorder finishes: a
 * recording left so was cut short (the recorder was killed).
 *
 * Its last field, `checksum`, is the SHA-256 of the rest as JSON.stringify
 * writes it (two-space indent): a byte that changes on disk or on the way to
 * a remote worker is reported as damage to recording.json, not met later as a
 * missing object or, worse, as a divergence (a changed endState). It is
 * checked on the content, not the bytes, so re-indenting the file keeps it
 * valid. Recordings written before it have none and are read as they are.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { boardConfigSchema } from '@prnr/devices';
import { NotRegularFileError, readRegularFileSync, replaceFileDurably, type DurableFileWrite } from '@prnr/snapshot';

/**
 * The format version a recorder writes. 2: objects are in packs
 * (objects/pack/*.pack). 1: one file per object (objects/ab/cdef...), as
 * before packs; a recorder asked for that layout still writes version 1, so
 * that an older prnr reads it. Every version in READABLE_FORMAT_VERSIONS is
 * read: the object store reads both layouts, and nothing else differs.
 */
export const RECORDING_FORMAT_VERSION = 2;
export const READABLE_FORMAT_VERSIONS = [1, 2] as const;
export const MANIFEST_FILE = 'recording.json';

/** Anything wrong with a recording on disk, said in one line that names the file. */
export class RecordingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordingError';
  }
}

const position = z.number().int().nonnegative().refine(Number.isSafeInteger, 'must be a safe integer');
const hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-digit hex hash');

/** The board config, with the schema of the board it describes (@prnr/devices' virt/virt-board.ts). */
const boardConfig = boardConfigSchema;

const slice = z.object({
  index: z.number().int().nonnegative(),
  startIcount: position,
  endIcount: position,
  /** Root of the snapshot the slice starts from. */
  snapshot: hash,
  /** The slice's log segment, relative to the recording directory. */
  log: z.string().regex(/^log\/[0-9a-z-]{1,64}\.seg$/, 'must name a segment file in log/'),
  /** Root of the state at endIcount: the next slice's snapshot. */
  endState: hash,
  events: z.number().int().nonnegative(),
  logBytes: z.number().int().nonnegative(),
  /** Object holding the console output of the slice (what replay reproduces; lets seek show the console before the slice). */
  console: hash.optional(),
  /** Virtual time (mtime ticks of the 10 MHz timebase) at the start and end. */
  startMtime: z.number().int().nonnegative(),
  endMtime: z.number().int().nonnegative(),
  /**
   * Host seconds the recorder spent running the guest through this slice
   * (idle waits and snapshots left out): a measurement, not machine state.
   * The replay planner balances chunks by it (a boot costs far more per
   * instruction than a warm shell loop). The machine thread's CPU time where
   * the host gives it (Linux; recordings since 2026-12-06), so that a busy
   * host does not skew the plan; wall time elsewhere and before. Absent in
   * older recordings.
   */
  busySeconds: z.number().nonnegative().optional(),
});

/** What taking one snapshot added to the object store. */
const snapshotStats = z.object({
  root: hash,
  icount: position,
  objectsAdded: z.number().int().nonnegative(),
  /** Bytes the new objects take on disk (compressed). */
  storedBytes: z.number().int().nonnegative(),
  /** Bytes the new objects hold (uncompressed). */
  uniqueBytes: z.number().int().nonnegative(),
  /** Bytes of the whole machine state this snapshot describes (RAM + disk overlays + meta). */
  logicalBytes: z.number().int().nonnegative(),
  /** How long the machine stood still for it (wall clock, ms): a measurement, not machine state. */
  pauseMs: z.number().nonnegative().optional(),
});

export const manifestSchema = z.object({
  format: z.literal('prnr-recording'),
  version: z.union([z.literal(1), z.literal(2)]),
  status: z.enum(['recording', 'complete']),
  createdAt: z.string(),
  board: boardConfig,
  /**
   * The device modules (plugins) the board's custom kinds come from: absolute path, sha256 of the
   * file, the kind@version it makes, and `object`: a copy of the file in the store, which a worker
   * replaying over HTTP loads where the path does not hold the module (absent in recordings made
   * before it). Their ports' events are on channels 16.. (see plugin-ports.ts).
   * Absent in recordings without custom devices.
   */
  devicePlugins: z.array(z.object({ module: z.string().min(1), sha256: hash, kind: z.string().min(1), version: z.number().int(), object: hash.optional() })).optional(),
  /** Behaviour versions of the board's devices, in board order. */
  deviceVersions: z.array(z.object({ kind: z.string(), version: z.number().int() })),
  /** Base disk images by image id: the object that holds each. */
  disks: z.record(hash),
  /** The guest profile (kernel symbols, task_struct offsets; JSON) as an object, for analyses that attribute to processes. */
  guestProfile: hash.optional(),
  /** Steps between hart checkpoints in the log. */
  checkpointInterval: z.number().int().positive(),
  slices: z.array(slice),
  /** One entry per snapshot taken, in order: the start of slice 0, then the end of each slice. */
  snapshots: z.array(snapshotStats),
  end: z
    .object({
      icount: position,
      reason: z.enum(['poweroff', 'fail', 'reset', 'user', 'max-steps', 'hung']),
      exitCode: z.number().int().optional(),
    })
    .optional(),
  stats: z
    .object({ wallSeconds: z.number(), steps: position, events: z.number().int(), logBytes: z.number().int(), objectBytes: z.number().int().optional() })
    .optional(),
});

export type RecordingManifest = z.infer<typeof manifestSchema>;
export type SliceEntry = z.infer<typeof slice>;
export type SnapshotStats = z.infer<typeof snapshotStats>;

/** The hart behaviour version a recording was made with: absent in recordings made before versions were kept, which are version 1 (as @prnr/machine's board reads it). */
export function recordedHartVersion(m: Pick<RecordingManifest, 'board'>): number {
  return m.board.hartVersion ?? 1;
}

export function segmentName(index: number): string {
  return `log/${String(index).padStart(6, '0')}.seg`;
}

export function readManifest(dir: string): RecordingManifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readRegularFileSync(file).toString('utf8'); // a FIFO there would block the thread
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingError(`${dir} is not a prnr recording: ${MANIFEST_FILE} is missing`);
    if (e instanceof NotRegularFileError) throw new RecordingError(e.message);
    throw new RecordingError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseManifest(text, file);
}

/** recording.json's text, checked as readManifest checks a file (`file` names it in messages). */
export function parseManifest(text: string, file: string): RecordingManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RecordingError(`${file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  const v = (raw as { version?: unknown } | null)?.version;
  if ((raw as { format?: unknown } | null)?.format === 'prnr-recording' && typeof v === 'number' && !(READABLE_FORMAT_VERSIONS as readonly number[]).includes(v)) {
    throw new RecordingError(`${file}: recording format version ${v} is not supported (this prnr reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')})`);
  }
  const damage = checksumProblem(raw);
  if (damage) throw new RecordingError(`${file}: damaged: ${damage}`);
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RecordingError(`${file}: ${issue.path.join('.') || 'top level'}: ${issue.message}`);
  }
  const m = parsed.data;
  // A newer hart is refused once, here, not by every slice's machine (the board's check).
  const hart = recordedHartVersion(m);
  if (hart > HART_BEHAVIOUR_VERSION) throw new RecordingError(`${file}: recorded with hart behaviour version ${hart}, newer than this prnr's (${HART_BEHAVIOUR_VERSION}): replay it with a newer prnr`);
  m.slices.forEach((s, i) => {
    if (s.index !== i) throw new RecordingError(`${file}: slices.${i} has index ${s.index}`);
    if (s.endIcount < s.startIcount) throw new RecordingError(`${file}: slice ${i} ends (icount ${s.endIcount}) before it starts (${s.startIcount})`);
    if (i > 0 && m.slices[i - 1].endIcount !== s.startIcount) throw new RecordingError(`${file}: slice ${i} does not start where slice ${i - 1} ends`);
    if (i > 0 && m.slices[i - 1].endState !== s.snapshot) throw new RecordingError(`${file}: slice ${i} starts from snapshot ${s.snapshot}, not from slice ${i - 1}'s end state ${m.slices[i - 1].endState}`);
  });
  return m;
}

/** Replaces recording.json atomically and durably: readers see the old or the new manifest, never a torn one. */
export function writeManifest(dir: string, m: RecordingManifest): void {
  replaceFileDurably(manifestWrite(dir, m));
}

/** recording.json's path and text (manifestText), for replaceFileDurably here or on a snapshot worker (BackgroundWriter.sync). */
export function manifestWrite(dir: string, m: RecordingManifest): DurableFileWrite {
  return { file: join(dir, MANIFEST_FILE), data: manifestText(m) };
}

/**
 * recording.json's text: the manifest, then its checksum as the last field
 * (checked and dropped by parseManifest, so a manifest in memory has none; one
 * that came from JSON.parse may, and it is replaced).
 */
export function manifestText(m: RecordingManifest): string {
  const { checksum: _old, ...rest } = m as RecordingManifest & { checksum?: unknown };
  const body = JSON.stringify(rest, null, 2);
  // The body ends in "\n}": the checksum goes in as the last field, so that the rest reads back as exactly `body`.
  return `${body.slice(0, -2)},\n  "checksum": "sha256:${sha256(body)}"\n}\n`;
}

/** What is wrong with a parsed recording.json's checksum, or undefined (right, or absent as in older recordings). */
function checksumProblem(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || !('checksum' in raw)) return undefined;
  const { checksum, ...rest } = raw as Record<string, unknown>;
  if (typeof checksum !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(checksum)) return 'its checksum field is not "sha256:" and 64 hex digits';
  if (checksum !== `sha256:${sha256(JSON.stringify(rest, null, 2))}`) return 'its content does not match its checksum (a byte changed after prnr wrote it)';
  return undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
