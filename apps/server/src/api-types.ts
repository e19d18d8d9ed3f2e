/**
 * The shapes the HTTP API speaks, shared by the server and the web UI. Plain
 * types with no imports, so the browser build can use them as they are.
 * Positions (icount) are instructions since power-on, as JSON numbers.
 */

/** Every error response: one line that says what went wrong and, where it can, what to do. */
export interface ApiError {
  error: string;
}

export interface RecordingSummary {
  name: string;
  /** "invalid": recording.json is there but unreadable (see `error`). */
  status: 'recording' | 'complete' | 'invalid';
  slices: number;
  /** Instructions recorded (end of the last closed slice). */
  steps: number;
  /** Bytes on disk: stored snapshot objects plus log segments. */
  sizeBytes: number;
  createdAt?: string;
  end?: { icount: number; reason: string; exitCode?: number };
  error?: string;
}

export interface SliceInfo {
  index: number;
  startIcount: number;
  endIcount: number;
  events: number;
  logBytes: number;
  snapshot: string;
  endState: string;
  startMtime: number;
  endMtime: number;
}

export interface SpaceInfo {
  snapshots: number;
  logicalBytes: number;
  uniqueBytes: number;
  storedBytes: number;
  logBytes: number;
}

export interface RecordingDetail extends RecordingSummary {
  format: { name: string; version: number };
  /** hartVersion: the hart behaviour version it was recorded with (1 for recordings made before versions were kept). */
  board: { ramSize: number; cmdline: string; devices: string[]; hartVersion: number };
  checkpointInterval: number;
  stats?: { wallSeconds: number; steps: number; events: number; logBytes: number; objectBytes?: number };
  sliceTable: SliceInfo[];
  space: SpaceInfo;
}

export interface AnalysisInfo {
  name: string;
  weight: 'light' | 'heavy';
  description: string;
}

export interface ServerFeatures {
  analyses: AnalysisInfo[];
  /** The `syscalls` analysis is there: diagnose jobs can run. */
  diagnosis: boolean;
  /** Why diagnosis is not there, when it is not. */
  diagnosisNote?: string;
  executor: 'inline' | 'threads' | 'redis';
  maxConcurrentJobs: number;
}

export type JobType = 'verify' | 'replay' | 'diagnose' | 'seek';
/** `failed`: it could not run, or a slice did not replay to its recorded state; `cancelled`: DELETE /api/jobs/ID. */
export type JobStatus = 'running' | 'done' | 'failed' | 'cancelled';
export type SliceState = 'pending' | 'running' | 'verified' | 'diverged' | 'failed';

export interface JobRequest {
  type: JobType;
  analyses?: string[];
  /** seek: the position. */
  icount?: number;
  /** The most slices replayed at once (threads executor); fewer where the planner predicts more would not pay for their start. */
  parallel?: number;
  /** Every lane `parallel` asks for, even where the planner predicts more would not pay for their start. */
  allLanes?: boolean;
  /** Only these slices (default: all). */
  slices?: number[];
}

/** One slice of one pass of a replay job, as it stands. */
export interface SliceProgress {
  slice: number;
  pass: number;
  state: SliceState;
  /** Steps replayed so far, and the slice's length. */
  done: number;
  total: number;
  /** Replay speed in millions of instructions per second (0 until measured). */
  mips: number;
  error?: string;
  divergence?: { from: number; to: number; message: string } | null;
}

export interface SliceOutcomeInfo {
  slice: number;
  verified: boolean;
  endState: string | null;
  divergence: { from: number; to: number; message: string; differs?: string[] } | null;
  error?: string;
  wallSeconds: number;
  steps: number;
}

export interface ReplayJobResult {
  verified: boolean;
  slices: SliceOutcomeInfo[];
  passes: number;
  tasks: number;
  wallSeconds: number;
  /** Instructions replayed per second over the whole job, in millions. */
  mips: number;
  analyses: Record<string, unknown>;
  /** diagnose: anomalies found in the syscall trace, most severe first. */
  anomalies?: AnomalyInfo[];
  /** diagnose: what makes the trace itself doubtful (a guest profile that does not fit the recording); empty when nothing does. */
  warnings?: string[];
}

export interface SeekJobResult {
  icount: number;
  slice: number;
  pc: string;
  priv: 'U' | 'S' | 'M' | '?';
  instruction: number | null;
  /** The instruction at pc, disassembled. */
  disassembly: string;
  registers: Record<string, string>;
  csrs: Record<string, string>;
  console: string;
}

export interface JobInfo {
  id: string;
  recording: string;
  type: JobType;
  status: JobStatus;
  request: JobRequest;
  createdAt: string;
  finishedAt?: string;
  /** Replay jobs: one entry per task (slice × pass). */
  progress: SliceProgress[];
  /** Replay jobs on the threads executor: the lanes started, of the most asked for, and why (@prnr/scheduler's chooseLanes). */
  lanes?: { used: number; asked: number; reason: string };
  /** Seek jobs: how far the replay to the target has come. */
  seekIcount?: number;
  result?: ReplayJobResult | SeekJobResult;
  error?: string;
}

/** Server-sent events of /api/jobs/:id/events (the SSE `event:` field is `type`). */
export type JobEvent =
  | { type: 'state'; job: JobInfo }
  | { type: 'progress'; slice: number; pass: number; done: number; total: number; mips: number }
  | { type: 'seek-progress'; icount: number }
  | { type: 'task'; slice: number; pass: number; verified: boolean; diverged: boolean; error?: string; mips: number; wallSeconds: number }
  | { type: 'done'; status: JobStatus; error?: string };

/** What the UI reads of a `syscalls` analysis result (see @prnr/diagnosis's SyscallTrace). */
export interface SyscallRecordInfo {
  pid: number | null;
  tid: number | null;
  comm: string | null;
  name: string;
  text: string;
  errno: string | null;
  outcome: string;
  entry: { icount: number; slice: number; mtime: number };
  exit: { icount: number; slice: number; mtime: number } | null;
}

export interface SyscallTraceInfo {
  attribution?: { available: boolean; note: string };
  events: SyscallRecordInfo[];
}

/** What the UI reads of an anomaly (see @prnr/diagnosis's Anomaly). */
export interface AnomalyInfo {
  kind: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  pid: number | null;
  comm: string | null;
  icount: number;
  slice: number;
  syscall?: string;
  errno?: string;
  count?: number;
  example?: string;
}
