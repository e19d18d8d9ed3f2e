/**
 * Every name that comes from a request is checked against a strict pattern
 * before it touches the filesystem, and every path built from one is resolved
 * and checked to stay inside the recordings directory. Either check alone
 * would do; both make a slip in one harmless.
 */
import { resolve, sep } from 'node:path';
import { HttpError, badRequest } from './http-error.js';

/** A recording's directory name: lower-case letters, digits, '.', '_', '-'; starts with a letter or digit (so never "." or ".."). */
export const RECORDING_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
/** An object hash: 64 lower-case hex digits (blake3). */
export const OBJECT_HASH = /^[0-9a-f]{64}$/;
/** A log segment file name, as recording.json names them (log/NAME). */
export const SEGMENT_NAME = /^[0-9a-z-]{1,64}\.seg$/;

export function checkRecordingName(name: unknown): string {
  if (typeof name !== 'string' || !RECORDING_NAME.test(name)) {
    throw badRequest(`invalid recording name ${JSON.stringify(String(name)).slice(0, 80)}: use 1-128 of a-z 0-9 . _ - starting with a letter or digit`);
  }
  return name;
}

export function checkObjectHash(hash: unknown): string {
  if (typeof hash !== 'string' || !OBJECT_HASH.test(hash)) throw badRequest('invalid object hash: expected 64 lower-case hex digits');
  return hash;
}

export function checkSegmentName(segment: unknown): string {
  if (typeof segment !== 'string' || !SEGMENT_NAME.test(segment)) throw badRequest('invalid segment name: expected NAME.seg with NAME of a-z 0-9 -');
  return segment;
}

/** `root/parts...`, resolved, or a 400 if it would leave `root`. */
export function inside(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(base, ...parts);
  if (path !== base && !path.startsWith(base + sep)) throw new HttpError(400, 'path leaves the recordings directory');
  return path;
}
