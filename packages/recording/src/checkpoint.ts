/**
 * Checkpoints: a cheap digest of the hart, logged every `interval` steps while
 * recording and compared while replaying, so that a replay that diverges stops
 * within one window and says where and how.
 *
 * Payload: pc (u64 LE), privilege (u8), x1..x31 (u64 LE each), then the first
 * 8 bytes of a SHA-256 over the whole hart state (CSRs, FP registers, counters),
 * which catches what the integer registers do not show.
 */
import { createHash } from 'node:crypto';
import { ABI_REGISTER_NAMES, type HartState } from '@prnr/cpu';

const PAYLOAD_BYTES = 8 + 1 + 31 * 8 + 8;

export function encodeCheckpoint(s: HartState): Uint8Array {
  const out = new Uint8Array(PAYLOAD_BYTES);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, s.pc, true);
  dv.setUint8(8, s.priv);
  for (let i = 1; i < 32; i++) dv.setBigUint64(9 + (i - 1) * 8, s.x[i], true);
  out.set(hartDigest(s), 9 + 31 * 8);
  return out;
}

export interface CheckpointMismatch {
  recordedPc: bigint;
  replayedPc: bigint;
  /** Names of what differs: "pc", "priv", ABI register names, or "csr/fp state" when only the digest differs. */
  differs: string[];
}

/** null when the replayed hart matches the recorded checkpoint. */
export function compareCheckpoint(recorded: Uint8Array, s: HartState): CheckpointMismatch | null {
  if (recorded.length !== PAYLOAD_BYTES) return { recordedPc: 0n, replayedPc: s.pc, differs: [`checkpoint payload of ${recorded.length} bytes`] };
  const mine = encodeCheckpoint(s);
  const a = new DataView(recorded.buffer, recorded.byteOffset, recorded.length);
  const b = new DataView(mine.buffer);
  const differs: string[] = [];
  if (a.getBigUint64(0, true) !== b.getBigUint64(0, true)) differs.push('pc');
  if (a.getUint8(8) !== b.getUint8(8)) differs.push('priv');
  for (let i = 1; i < 32; i++) {
    if (a.getBigUint64(9 + (i - 1) * 8, true) !== b.getBigUint64(9 + (i - 1) * 8, true)) differs.push(ABI_REGISTER_NAMES[i]);
  }
  if (differs.length === 0) {
    for (let i = PAYLOAD_BYTES - 8; i < PAYLOAD_BYTES; i++) if (recorded[i] !== mine[i]) { differs.push('csr/fp state'); break; }
  }
  return differs.length === 0 ? null : { recordedPc: a.getBigUint64(0, true), replayedPc: s.pc, differs };
}

function hartDigest(s: HartState): Uint8Array {
  const text = JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v));
  return createHash('sha256').update(text).digest().subarray(0, 8);
}
