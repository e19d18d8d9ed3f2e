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
