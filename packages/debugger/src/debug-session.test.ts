/**
 * The debugger over a real recording of the default guest: forward and
 * backward execution agree with each other, with the scheduler's memory-watch
 * analysis (an independent record of every store) and with seek; the backward
 * search gives the same answers on search threads; and a replay stopped at
 * many points still ends in the recorded state.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording, type Recording } from '@prnr/recording';
import { AnalysisRegistry, InlineExecutor, replayRecording, seek, type MemoryWatchResult, type WatchedStore } from '@prnr/scheduler';
import { ABI_REGISTER_NAMES, disassemble } from '@prnr/cpu';
import { DebugSession } from './debug-session.js';
import { threadSearcher } from './search-pool.js';
import { kernelPhys, kernelSymbol, shortRecording } from './testing/short-recording.js';

// The kernel's timer ticks (and jiffies) start at about 80M instructions into the boot.
const STEPS = 90_000_000;
let dir: string;
let rec: Recording;
let stores: WatchedStore[];

beforeAll(async () => {
  dir = await shortRecording({ steps: STEPS, sliceSteps: 15_000_000, checkpointInterval: 5_000_000 });
  rec = openRecording(dir);
  const r = await replayRecording({
    recording: { dir },
    slices: rec.manifest.slices.map((s) => s.index),
    analyses: [{ kind: 'watch', options: { paddr: kernelPhys('jiffies_64'), length: 8 } }],
    registry: new AnalysisRegistry(),
    executor: new InlineExecutor(),
  });
  stores = (r.analyses.watch as MemoryWatchResult).stores;
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }), 60_000);

const TICK = kernelSymbol('update_process_times');
const JIFFIES = kernelSymbol('jiffies_64');

describe('DebugSession', () => {
  it('the recording has timer ticks to debug', () => {
    expect(stores.length).toBeGreaterThan(5);
  });

  it('continue stops at consecutive breakpoint hits; reverse-continue finds the earlier one again', async () => {
    const d = new DebugSession(rec);
    await d.seek(80_000_000);
    d.setBreakpoint(TICK, true);
    const first = await d.cont();
    expect(first.kind).toBe('break');
    const h1 = d.icount;
    expect(d.hart.pc).toBe(TICK);
    const second = await d.cont(); // resumes on the breakpoint: it does not stop there again
    expect(second.kind).toBe('break');
    const h2 = d.icount;
    expect(h2).toBeGreaterThan(h1);
    expect(d.hart.pc).toBe(TICK);
    // Stepping the last instructions before it one at a time: the pc is not there before h2.
    const ref = new DebugSession(rec);
    await ref.seek(h2 - 3000);
    for (let i = h2 - 3000; i < h2; i++) {
      expect(ref.hart.pc).not.toBe(TICK);
      await ref.stepi();
    }
    expect(ref.hart.pc).toBe(TICK);
    const back = await d.reverseCont();
    expect(back.kind).toBe('break');
    expect(d.icount).toBe(h1);
    expect(d.lastSearch!.slicesSearched).toBeGreaterThanOrEqual(1);
    await d.close();
    await ref.close();
  });

  it('a write watchpoint stops where the memory-watch analysis saw the stores, forward and backward', async () => {
    const d = new DebugSession(rec);
    await d.seek(stores[1].icount + 1);
    d.setWatchpoint(JIFFIES, 8, true);
    // Forward: before the next store (GDB steps over it itself).
    const f = await d.cont();
    expect(f.kind).toBe('watch');
    expect(d.icount).toBe(stores[2].icount);
    expect(`0x${d.hart.pc.toString(16)}`).toBe(stores[2].pc);
    // Backward from the end: just after the last store (GDB then steps back over it).
    await d.seek(d.end);
    const b = await d.reverseCont();
    expect(b.kind).toBe('watch');
    expect(d.icount).toBe(stores.at(-1)!.icount + 1);
    await d.reverseStepi();
    expect(`0x${d.hart.pc.toString(16)}`).toBe(stores.at(-1)!.pc);
    const b2 = await d.reverseCont();
    expect(b2.kind).toBe('watch');
    expect(d.icount).toBe(stores.at(-2)!.icount + 1);
    await d.close();
  });

  it('a read watchpoint stops before loads of jiffies_64, forward and backward', async () => {
    const d = new DebugSession(rec);
    await d.seek(stores[2].icount + 1);
    d.setWatchpoint(JIFFIES, 8, true, 'read');
    // The instruction the machine stands before reads jiffies_64: decode it and compute its address.
    const readsJiffies = () => {
      const insn = Buffer.from(d.readMemory(d.hart.pc, 4)!).readUInt32LE(0);
      const text = disassemble((insn & 3) === 3 ? insn : insn & 0xffff, d.hart.pc).text;
      const m = /^(l[bhwd]u?|c\.l[dw]|lr\.[wd]|amo\S+)\s+\w+,\s*(?:\w+,\s*)?(-?\d+)?\((\w+)\)/.exec(text);
      expect(m, text).not.toBeNull();
      return BigInt.asUintN(64, d.hart.getX(ABI_REGISTER_NAMES.indexOf(m![3])) + BigInt(m![2] ?? 0)) === JIFFIES;
    };
    const f = await d.cont();
    expect(f.kind).toBe('watch');
    const first = d.icount;
    expect(readsJiffies()).toBe(true);
    await d.stepi(); // as GDB steps over it
    await d.cont();
    const second = d.icount;
    expect(second).toBeGreaterThan(first);
    expect(readsJiffies()).toBe(true);
    // Backward from just after the second load: after the first (GDB then steps back onto it).
    await d.stepi();
    await d.reverseCont();
    await d.reverseStepi();
    expect(d.icount).toBe(second);
    await d.reverseCont();
    await d.reverseStepi();
    expect(d.icount).toBe(first);
    await d.close();
  });

  it('a watchpoint set again where its page is unmapped watches where it was first set; one never mapped is refused', async () => {
    const d = new DebugSession(rec);
    await d.seek(stores[1].icount + 1);
    d.setWatchpoint(JIFFIES, 8, true);
    const set = d.points().watchpoints;
    // As GDB does: its points come off at a stop and go back on to resume, here where paging is off.
    d.setWatchpoint(JIFFIES, 8, false);
    await d.seek(d.start);
    expect(d.readMemory(JIFFIES, 8)).toBeNull();
    d.setWatchpoint(JIFFIES, 8, true);
    expect(d.points().watchpoints).toEqual(set);
    expect(() => d.setWatchpoint(JIFFIES + 8n, 8, true)).toThrow(`0x${(JIFFIES + 8n).toString(16)}+8 is not mapped to RAM at icount 0: set the watchpoint where it is mapped`);
    expect(() => d.setWatchpoint(JIFFIES, 0, true)).toThrow('a watchpoint needs a length of 1 byte or more, got 0');
    expect(d.points().watchpoints).toEqual(set);
    // It watches jiffies_64 from the start: the first store stops the continue.
    expect((await d.cont()).kind).toBe('watch');
    expect(d.icount).toBe(stores[0].icount);
    await d.close();
  });

  it('a watchpoint set again where its address maps elsewhere watches the new physical address', async () => {
    const d = new DebugSession(rec);
    await d.seek(stores[1].icount + 1);
    d.setWatchpoint(JIFFIES, 8, true);
    expect(d.points().watchpoints[0].paddr).toBe(kernelPhys('jiffies_64'));
    d.setWatchpoint(JIFFIES, 8, false);
    // Another address space (as in another process): the same address now maps one page further on.
    // The guest's kernel maps alike everywhere, so the change of mapping is simulated.
    const s = d as unknown as { translate(v: bigint): number | null };
    const real = s.translate.bind(d);
    s.translate = (v) => { const p = real(v); return p === null ? null : p + 0x1000; };
    d.setWatchpoint(JIFFIES, 8, true);
    expect(d.points().watchpoints).toEqual([{ paddr: kernelPhys('jiffies_64') + 0x1000, length: 8, vaddr: `0x${JIFFIES.toString(16)}`, kind: 'write' }]);
    await d.close();
  });

  it('a new debugger\'s watchpoint on an address not mapped where it sets it is refused, not set where an old one was', async () => {
    const d = new DebugSession(rec);
    await d.seek(stores[1].icount + 1);
    d.setWatchpoint(JIFFIES, 8, true);
    d.setWatchpoint(JIFFIES, 8, false);
    await d.seek(d.start);
    d.forgetWatchTranslations();
    expect(() => d.setWatchpoint(JIFFIES, 8, true)).toThrow('is not mapped to RAM at icount 0');
    expect(d.points().watchpoints).toEqual([]);
    await d.close();
  });

  it('a continue into a damaged log segment fails, saying why, and the debugger stays where it was', async () => {
    const copy = join(dirname(dir), 'damaged.rec');
    cpSync(dir, copy, { recursive: true });
    try {
      const damaged = rec.manifest.slices[5];
      const seg = join(copy, damaged.log);
      const bytes = readFileSync(seg);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(seg, bytes);
      const d = new DebugSession(openRecording(copy));
      const at = damaged.startIcount - 1000;
      await d.seek(at);
      const pc = d.hart.pc;
      await expect(d.cont()).rejects.toThrow(new RegExp(`checksum mismatch.* \\(the debugger stays at icount ${at}\\)$`));
      expect(d.icount).toBe(at);
      expect(d.hart.pc).toBe(pc);
      // It still moves: both ways.
      expect(await d.reverseStepi()).toEqual({ kind: 'step' });
      expect(await d.stepi()).toEqual({ kind: 'step' });
      expect(d.icount).toBe(at);
      await d.close();
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('reverse-stepi and stepi land where seek does, registers and all', async () => {
    const d = new DebugSession(rec);
    const at = stores[3].icount;
    await d.seek(at + 2);
    await d.reverseStepi();
    await d.reverseStepi();
    expect(d.icount).toBe(at);
    const s = await seek(rec, at);
    expect(`0x${d.hart.pc.toString(16).padStart(16, '0')}`).toBe(s.pc);
    for (const i of [1, 2, 10, 11, 15]) expect(d.hart.getX(i)).toBe(BigInt(s.registers[['', 'ra', 'sp', '', '', '', '', '', '', '', 'a0', 'a1', '', '', '', 'a5'][i]]));
    await d.stepi();
    expect(d.icount).toBe(at + 1);
    expect(`0x${d.hart.pc.toString(16).padStart(16, '0')}`).toBe((await seek(rec, at + 1)).pc);
    await d.close();
  });

  it('runs off either end of the recording as "no more history"', async () => {
    const d = new DebugSession(rec);
    await d.seek(d.start);
    expect(await d.reverseStepi()).toEqual({ kind: 'history', end: 'begin' });
    d.setBreakpoint(0x1234n, true); // never reached
    await d.seek(80_000_000);
    expect(await d.reverseCont()).toEqual({ kind: 'history', end: 'begin' });
    expect(d.icount).toBe(d.start);
    await d.seek(85_000_000);
    expect(await d.cont()).toEqual({ kind: 'history', end: 'end' });
    expect(d.icount).toBe(d.end);
    expect(await d.stepi()).toEqual({ kind: 'history', end: 'end' });
    await d.close();
  });

  it('searches on 2 threads find what the search in this process finds', async () => {
    const d = new DebugSession(rec, { searcher: threadSearcher({ dir }, 2) });
    try {
      await d.seek(d.end);
      d.setBreakpoint(TICK, true);
      d.setWatchpoint(JIFFIES, 8, true);
      const hits: number[] = [];
      for (let i = 0; i < 2; i++) {
        await d.reverseCont();
        hits.push(d.icount);
        await d.reverseStepi(); // as GDB does after a watchpoint; harmless after a breakpoint
      }
      const inline = new DebugSession(rec);
      await inline.seek(inline.end);
      inline.setBreakpoint(TICK, true);
      inline.setWatchpoint(JIFFIES, 8, true);
      const want: number[] = [];
      for (let i = 0; i < 2; i++) {
        await inline.reverseCont();
        want.push(inline.icount);
        await inline.reverseStepi();
      }
      expect(hits).toEqual(want);
      expect(d.lastSearch!.batches).toBeGreaterThanOrEqual(1);
      await inline.close();
    } finally {
      await d.close();
    }
  });

  it('an interrupt (GDB\'s Ctrl-C) stops a continue between chunks of the replay', async () => {
    const d = new DebugSession(rec);
    await d.seek(20_000_000);
    const running = d.cont();
    setImmediate(() => d.interrupt());
    expect(await running).toEqual({ kind: 'interrupted' });
    expect(d.icount).toBeGreaterThan(20_000_000);
    expect(d.icount).toBeLessThan(d.end);
    await d.close();
  });

  it('a replay stopped at many breakpoints and watchpoints still ends in the recorded state', async () => {
    const d = new DebugSession(rec);
    await d.seek(79_000_000);
    d.setBreakpoint(TICK, true);
    d.setWatchpoint(JIFFIES, 8, true);
    let stops = 0;
    for (;;) {
      const s = await d.cont();
      if (s.kind === 'history') break;
      stops++;
      if (s.kind === 'watch') await d.stepi(); // GDB steps over the store, watchpoints off
    }
    expect(stops).toBeGreaterThan(5);
    expect(d.icount).toBe(d.end);
    expect(d.session.root()).toBe(rec.manifest.slices.at(-1)!.endState);
    await d.close();
  });
});
