/**
 * Exactness at slice boundaries (ARCHITECTURE.md, "Caches are invisible").
 *
 * The software TLB and translated code are not in a snapshot: a restore starts
 * them empty, while the recording ran on with them warm. A bare-metal guest
 * (test-support/boundary-guest.ts) changes a PTE without sfence.vma and
 * rewrites an instruction of a hot (translated) loop without fence.i, a few
 * instructions before a slice boundary, and keeps using both across it. Every
 * slice must replay from its own snapshot, and straight through, to the
 * recorded state roots, on both engines and across engines; what the guest saw
 * must be what the architecture allows and what a restore would see.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hart, disassemble, type HartEngine } from '@prnr/cpu';
import { VirtMachine, defaultBoardConfig, sha256, type BoardConfig, type MachineImages } from '@prnr/machine';
import { fullStateRoot } from '@prnr/snapshot';
import { RecordSession } from './recorder.js';
import { openRecording, replayConsecutive, replaySlice } from './replayer.js';
import type { RecordingManifest } from './manifest.js';
import { LOG1, LOG2, buildBoundaryGuest, readLog, type LogEntry } from './test-support/boundary-guest.js';
import { CSR_NUM, R, enc, insn } from './test-support/rv64-asm.js';

/** Steps per slice: boundaries at S and 2S. */
const S = 4000;
/** The guest changes the PTE / the code this many steps before a boundary: a few loop passes. */
const LEAD = 40;
const PLAN = { pteAt: S - LEAD, phase1End: S + 400, codeAt: 2 * S - LEAD, phase2End: 2 * S + 400 };
const ENGINES: HartEngine[] = ['wasm', 'interp'];

const guest = buildBoundaryGuest(PLAN);
const images: MachineImages = { firmware: guest.image, kernel: new Uint8Array(0) };
const config: BoardConfig = defaultBoardConfig({
  ramSize: 8 * 1024 * 1024, // room for the image, the logs and the device tree in the last 2 MiB
  images: { firmware: sha256(images.firmware), kernel: sha256(images.kernel) },
});
const quiet = () => ({
  consoleInput: { next: () => null },
  clock: { now: () => 1_764_000_000_000_000_000n },
  entropy: { fill: (b: Uint8Array) => void b.fill(0) },
});

/** Runs `fn` with harts made on `engine`, translating at the first jump (so the hot loops are translated early). */
async function onEngine<T>(engine: HartEngine, fn: () => Promise<T>): Promise<T> {
  const saved = { engine: Hart.defaultEngine, threshold: Hart.defaultJitThreshold };
  Hart.defaultEngine = engine;
  Hart.defaultJitThreshold = 1;
  try {
    return await fn();
  } finally {
    Hart.defaultEngine = saved.engine;
    Hart.defaultJitThreshold = saved.threshold;
  }
}

interface Recorded {
  dir: string;
  manifest: RecordingManifest;
  tlbLog: LogEntry[];
  codeLog: LogEntry[];
  invalidations: number;
}

async function recordGuest(engine: HartEngine, dir: string): Promise<Recorded> {
  return onEngine(engine, async () => {
    const session = await RecordSession.start({ dir, config, images, inputs: quiet(), output: { write: () => {} }, realtime: false, sliceSteps: S, maxSteps: 10 * S });
    try {
      const { manifest } = await session.finish(await session.run());
      const m = session.machine;
      return { dir, manifest, tlbLog: readLog(m.ram.u8, LOG1), codeLog: readLog(m.ram.u8, LOG2), invalidations: m.hart.engineStats.invalidations };
    } finally {
      session.release();
    }
  });
}

/** Where the guest's pass that starts at `e.icount` did its load / ran the rewritten instruction (see boundary-guest.ts). */
const loadAt = (e: LogEntry) => e.icount + 1;
/** Phase 2: the pass that stores runs sw and addi before `target`. */
const targetAt = (e: LogEntry, storePass: boolean) => e.icount + (storePass ? 6 : 4);

describe.each(ENGINES)('a guest that changes a PTE and code just before a boundary, recorded on %s', (recordEngine) => {
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-boundary-'));
  let rec: Recorded;
  beforeAll(async () => {
    rec = await recordGuest(recordEngine, join(tmp, 'rec'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('ran to its poweroff in three slices cut at S and 2S', () => {
    expect(rec.manifest.end?.reason).toBe('poweroff');
    expect(rec.manifest.slices.map((s) => s.endIcount).slice(0, 2)).toEqual([S, 2 * S]);
    expect(rec.manifest.slices.length).toBe(3);
  });

  it('read through V as the architecture allows, and after the boundary what a restore reads', () => {
    const log = rec.tlbLog;
    const store = log.findIndex((e) => e.icount >= PLAN.pteAt); // the pass that rewrote the PTE (after its load)
    expect(store).toBeGreaterThan(0);
    expect(new Set(log.map((e) => e.value))).toEqual(new Set([1, 2])); // page A or page B, nothing else
    expect(log.slice(0, store + 1).every((e) => e.value === 1)).toBe(true); // the PTE still named A
    const between = log.slice(store + 1).filter((e) => loadAt(e) < S);
    const after = log.filter((e) => loadAt(e) >= S);
    // Without sfence.vma either page may be read; prnr's warm TLB still reads A here. This is what
    // makes the test sharp: if it no longer holds, the scenario no longer crosses a boundary warm.
    expect(between.length).toBeGreaterThan(0);
    expect(between.every((e) => e.value === 1), 'stale TLB reads before the boundary').toBe(true);
    // A restore at S starts with an empty TLB and reads B: the recording must have done the same.
    expect(after.length).toBeGreaterThan(20);
    expect(after.every((e) => e.value === 2)).toBe(true);
  });

  it('ran the rewritten instruction as the architecture allows, and after the boundary as a restore would', () => {
    const log = rec.codeLog;
    const store = log.findIndex((e) => e.icount >= PLAN.codeAt); // the pass whose sw rewrote `target` ahead of it
    expect(store).toBeGreaterThan(100);
    expect(log.slice(0, store).every((e) => e.value === 1)).toBe(true);
    const after = log.filter((e, i) => targetAt(e, i === store) >= 2 * S);
    expect(log.slice(store).length - after.length, 'passes between the store and the boundary').toBeGreaterThan(0);
    // Without fence.i old or new code may run; prnr keeps translated code coherent with every
    // store, so the very pass that stored already runs the new instruction.
    expect(log.slice(store).every((e) => e.value === 2)).toBe(true);
    expect(after.length).toBeGreaterThan(20);
    // On 'wasm' the loop was translated when the store hit it (phase 2 is alone in its page).
    if (recordEngine === 'wasm') expect(rec.invalidations).toBeGreaterThan(0);
  });

  describe.each(ENGINES)('replayed on %s', (replayEngine) => {
    it('every slice replays from its own snapshot to the recorded end state', async () => {
      const recording = openRecording(rec.dir);
      await onEngine(replayEngine, async () => {
        for (const s of recording.manifest.slices) {
          const r = await replaySlice(recording, s.index);
          expect(r.divergence, `slice ${s.index}`).toBeNull();
          expect(r.endState, `slice ${s.index}`).toBe(s.endState);
          expect(r.verified, `slice ${s.index}`).toBe(true);
        }
      });
    });

    it('a straight-through replay of all slices verifies at every boundary', async () => {
      const recording = openRecording(rec.dir);
      const slices = recording.manifest.slices;
      const results = await onEngine(replayEngine, () => replayConsecutive(recording, 0, slices.length - 1));
      expect(results.map((r) => r.endState)).toEqual(slices.map((s) => s.endState));
      expect(results.every((r) => r.verified && r.divergence === null)).toBe(true);
    });
  });

  it('is sharp: a run that keeps the TLB warm across S ends slice 1 in another state than recorded', async () => {
    // The recorder without its flush at the boundary, on a bare machine: runs to S, then to 2S,
    // optionally flushing the TLB at S as a restore (and the recorder) does.
    const runTo2S = (flushAtS: boolean) => onEngine(recordEngine, async () => {
      const m = new VirtMachine(config, images, { ...quiet(), consoleOutput: { write: () => {} } });
      m.boot();
      expect(m.run(S).reason).toBe('limit');
      if (flushAtS) m.hart.flushTlb();
      expect(m.run(2 * S).reason).toBe('limit');
      return { root: await fullStateRoot({ meta: m.saveMeta(), ram: m.ram, disks: m.disks }), log: readLog(m.ram.u8, LOG1) };
    });
    const recorded = rec.manifest.slices[1].endState;
    const flushed = await runTo2S(true);
    const warm = await runTo2S(false);
    expect(flushed.root).toBe(recorded);
    expect(warm.log.some((e) => loadAt(e) >= S && e.value === 1)).toBe(true); // read A through the stale entry
    expect(warm.root).not.toBe(recorded);
  });
});

describe('the test guest\'s encoder', () => {
  it('encodes what the project\'s disassembler reads back', () => {
    const { zero, t0, t1, t2, a0, s1, s4, s5, s6 } = R;
    expect(disassemble(insn.ld(t1, 8, s1)).text).toBe('ld t1,8(s1)');
    expect(disassemble(insn.sd(t0, -16, s1)).text).toBe('sd t0,-16(s1)');
    expect(disassemble(insn.sw(s5, 0, s4)).text).toBe('sw s5,0(s4)');
    expect(disassemble(insn.addi(a0, zero, 2)).text).toBe('li a0,2');
    expect(disassemble(insn.sltu(t2, t0, s6)).text).toBe('sltu t2,t0,s6');
    expect(disassemble(insn.or(t2, t2, s6)).text).toBe('or t2,t2,s6');
    expect(disassemble(insn.csrrs(t0, CSR_NUM.instret, zero)).text).toBe('rdinstret t0');
    expect(disassemble(insn.csrrw(zero, CSR_NUM.satp, t0)).text).toBe('csrw satp,t0');
    expect(disassemble(insn.mret()).text).toBe('mret');
    expect(disassemble(enc.b(6, t0, s6, -40)).text).toBe('bltu t0,s6,pc-40');
    expect(disassemble(enc.b(1, t2, zero, 2050)).text).toBe('bnez t2,pc+2050');
    expect(disassemble(enc.j(zero, -2048)).text).toBe('j pc-2048');
    expect(disassemble(insn.auipc(3, 0)).text).toBe('auipc gp,0x0');
  });
});
