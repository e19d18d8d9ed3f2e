/**
 * The hart a board config builds: the behaviour version it names (absent: 1, as in recordings made
 * before versions were kept), one this prnr does not run refused in one line before any memory is
 * taken. Version 1 shows SXL in sstatus bits 35:34, version 2 does not; mstatus shows it in both.
 */
import { describe, expect, it } from 'vitest';
import { CSR, HART_BEHAVIOUR_VERSION, peekCsr } from '@prnr/cpu';
import { defaultBoardConfig, type BoardConfig } from '@prnr/devices';
import { BoardConfigError } from './board-config-error.js';
import { VirtMachine } from './virt-machine.js';

const SXL = 3n << 34n, UXL = 3n << 32n;

function build(hartVersion: number | undefined): VirtMachine {
  const { hartVersion: _, ...rest } = defaultBoardConfig({ ramSize: 1 << 20, images: { firmware: 'f', kernel: 'k' } });
  const config: BoardConfig = hartVersion === undefined ? rest : { ...rest, hartVersion };
  return new VirtMachine(config, { firmware: new Uint8Array(0), kernel: new Uint8Array(0), disks: {} }, { clock: { now: () => 0n }, entropy: { fill: () => {} } });
}

describe('the hart behaviour version of a board config', () => {
  it('absent: a version-1 hart, whose sstatus shows SXL', () => {
    const { hart } = build(undefined);
    expect(hart.behaviourVersion).toBe(1);
    expect(peekCsr(hart, CSR.sstatus)! & (SXL | UXL)).toBe((2n << 34n) | (2n << 32n));
    expect(peekCsr(hart, CSR.mstatus)! & (SXL | UXL)).toBe((2n << 34n) | (2n << 32n));
  });

  it('the default config\'s: the current version, whose sstatus has bits 35:34 clear', () => {
    expect(defaultBoardConfig({ images: { firmware: 'f', kernel: 'k' } }).hartVersion).toBe(2);
    const { hart } = build(HART_BEHAVIOUR_VERSION);
    expect(hart.behaviourVersion).toBe(2);
    expect(peekCsr(hart, CSR.sstatus)! & (SXL | UXL)).toBe(2n << 32n);
    expect(peekCsr(hart, CSR.mstatus)! & (SXL | UXL)).toBe((2n << 34n) | (2n << 32n));
    expect(build(1).hart.behaviourVersion).toBe(1);
  });

  it('a version newer than this prnr\'s, or below 1, is refused in one line', () => {
    expect(() => build(99)).toThrow(new BoardConfigError(`board config: hart behaviour version 99 is newer than this prnr's (${HART_BEHAVIOUR_VERSION})`));
    expect(() => build(HART_BEHAVIOUR_VERSION + 1)).toThrow(BoardConfigError);
    for (const v of [0, -1, 1.5]) {
      expect(() => build(v), String(v)).toThrow(new BoardConfigError(`board config: hart behaviour version ${v} is not a version (they are whole numbers from 1; this prnr's is ${HART_BEHAVIOUR_VERSION})`));
    }
  });
});
