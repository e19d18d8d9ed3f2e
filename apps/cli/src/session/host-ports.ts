/** The real world as ports for `prnr run`: host wall clock, host entropy. */
import { randomFillSync } from 'node:crypto';
import type { ClockPort, EntropyPort } from '@prnr/devices';

export const hostClock: ClockPort = { now: () => BigInt(Date.now()) * 1_000_000n };
export const hostEntropy: EntropyPort = { fill: (buf) => void randomFillSync(buf) };
