/**
 * What seek reports of the CSRs: sstatus as the guest reads it (the supervisor's view of mstatus),
 * checked against the cpu's own read and against mstatus under the privileged spec's sstatus mask
 * (the recording is new, so its hart is of the current behaviour version, which follows the spec).
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSR, HART_BEHAVIOUR_VERSION, peekCsr } from '@prnr/cpu';
import { openRecording, type Recording } from '@prnr/recording';
import { Seeker } from './seek.js';
import { shortRecording } from './testing/short-recording.js';

const STEPS = 12_000_000;
let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = await shortRecording({ steps: STEPS, sliceSteps: 4_000_000 });
  rec = openRecording(dir);
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

/**
 * The mstatus fields sstatus shows on RV64 (privileged spec v1.12, 4.1.1): SIE, SPIE, UBE, SPP, VS,
 * FS, XS, SUM, MXR, UXL, SD.
 */
const SSTATUS_FIELDS = (1n << 1n) | (1n << 5n) | (1n << 6n) | (1n << 8n) | (3n << 9n) | (3n << 13n) | (3n << 15n) | (1n << 18n) | (1n << 19n) | (3n << 32n) | (1n << 63n);
/** SXL: in mstatus only (bits 35:34 are WPRI in sstatus; harts of behaviour version 1 showed it there too). */
const SXL = 3n << 34n;

describe('seek', () => {
  it('reports sstatus as the guest reads it, not the raw mstatus', async () => {
    expect(rec.manifest.board.hartVersion).toBe(HART_BEHAVIOUR_VERSION);
    const seeker = new Seeker(rec);
    let mOnlyBitsSeen = 0;
    for (const at of [0, 1_000_000, 3_000_000, 5_500_000, 8_000_000, 11_999_999]) {
      const r = await seeker.seek(at);
      const hart = seeker.session.machine!.hart;
      const sstatus = BigInt(r.csrs.sstatus);
      const mstatus = peekCsr(hart, CSR.mstatus)!;
      expect(sstatus, `icount ${at}`).toBe(peekCsr(hart, CSR.sstatus));
      expect(sstatus, `icount ${at}`).toBe(mstatus & SSTATUS_FIELDS);
      expect(sstatus & (3n << 32n), `UXL at icount ${at}`).toBe(2n << 32n); // 64-bit user mode
      expect(mstatus & SXL, `SXL at icount ${at}`).toBe(2n << 34n); // 64-bit supervisor mode, in mstatus only
      if ((mstatus & ~(SSTATUS_FIELDS | SXL)) !== 0n) mOnlyBitsSeen++;
    }
    // Machine-only fields (MIE, MPIE, MPP, ...) were set somewhere, and sstatus left them out.
    expect(mOnlyBitsSeen).toBeGreaterThan(0);
  }, 120_000);
});
