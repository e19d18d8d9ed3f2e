import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';

/** A board this machine cannot be built as, or cannot boot the images on: RAM of a size it does not take, a kernel that does not fit. */
export class BoardConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoardConfigError';
  }
}

const MiB = 1024 * 1024;

/**
 * The most RAM the board takes, so that RAM (from 2 GiB) ends at 4 GiB
 * physical: the hart's RAM paths assume physical addresses below 4 GiB
 * (with 2049-3500 MiB, Linux panicked early, its memory corrupted).
 */
export const MAX_RAM_MIB = 2048;

/** Checks a board's RAM size (bytes): a whole number of MiB from 1 to MAX_RAM_MIB. */
export function checkRamSize(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % MiB !== 0 || bytes / MiB > MAX_RAM_MIB) {
    throw new BoardConfigError(`RAM of ${bytes / MiB} MiB: this virt board takes a whole number of MiB from 1 to ${MAX_RAM_MIB}`);
  }
}

/**
 * The hart behaviour version a board config names (`hartVersion`; absent: 1, as in configs written
 * before versions were kept), refused in one line when this build does not run it.
 */
export function hartVersionOf(config: { hartVersion?: number }): number {
  const v = config.hartVersion ?? 1;
  if (Number.isInteger(v) && v > HART_BEHAVIOUR_VERSION) throw new BoardConfigError(`board config: hart behaviour version ${v} is newer than this prnr's (${HART_BEHAVIOUR_VERSION})`);
  if (!Number.isInteger(v) || v < 1) throw new BoardConfigError(`board config: hart behaviour version ${v} is not a version (they are whole numbers from 1; this prnr's is ${HART_BEHAVIOUR_VERSION})`);
  return v;
}
