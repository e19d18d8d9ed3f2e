/**
 * The board config's hart behaviour version: defaultBoardConfig writes the current one, and the
 * schema recording.json is read with keeps it (a field it did not name would be dropped, and the
 * replay would build a version-1 hart).
 */
import { describe, expect, it } from 'vitest';
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { boardConfigSchema, defaultBoardConfig } from './virt-board.js';

const images = { firmware: 'f', kernel: 'k' };

describe('board config: hartVersion', () => {
  it('defaultBoardConfig writes the current hart behaviour version, 2', () => {
    expect(HART_BEHAVIOUR_VERSION).toBe(2);
    expect(defaultBoardConfig({ images }).hartVersion).toBe(2);
  });

  it('the schema keeps it, leaves it absent where it was, and takes only whole numbers from 1', () => {
    const config = defaultBoardConfig({ images });
    expect(boardConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
    const { hartVersion: _, ...before } = config; // a config written before the field
    const parsed = boardConfigSchema.parse(before);
    expect('hartVersion' in parsed).toBe(false);
    expect(boardConfigSchema.parse({ ...config, hartVersion: 99 }).hartVersion).toBe(99); // the machine refuses it, in one line
    for (const bad of [0, -1, 1.5, '2']) expect(boardConfigSchema.safeParse({ ...config, hartVersion: bad }).success, String(bad)).toBe(false);
  });
});
