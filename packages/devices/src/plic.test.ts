import { describe, expect, it } from 'vitest';
import {
  Plic,
  PLIC_CLAIM_COMPLETE,
  PLIC_CONTEXT_BASE,
  PLIC_CONTEXT_STRIDE,
  PLIC_ENABLE_BASE,
  PLIC_ENABLE_STRIDE,
  PLIC_NUM_SOURCES,
  PLIC_PENDING_BASE,
  PLIC_PRIORITY_BASE,
  PLIC_THRESHOLD,
} from './plic.js';
import { FakeIrq } from './test-support/fakes.js';

const M = 0;
const S = 1;

function setup() {
  const meip = new FakeIrq();
  const seip = new FakeIrq();
  const plic = new Plic({ meip, seip });
  const prio = (id: number, p: number) => plic.write(PLIC_PRIORITY_BASE + 4 * id, 4, p);
  const enable = (ctx: number, ...ids: number[]) => {
    const words = [0, 0, 0, 0];
    for (const id of ids) words[id >>> 5] |= 1 << (id & 31);
    words.forEach((w, i) => plic.write(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * ctx + 4 * i, 4, w >>> 0));
  };
  const threshold = (ctx: number, t: number) => plic.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_THRESHOLD, 4, t);
  const claim = (ctx: number) => plic.read(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CLAIM_COMPLETE, 4) as number;
  const complete = (ctx: number, id: number) => plic.write(PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CLAIM_COMPLETE, 4, id);
  const pending = (word: number) => plic.read(PLIC_PENDING_BASE + 4 * word, 4) as number;
  return { plic, meip, seip, prio, enable, threshold, claim, complete, pending };
}

describe('Plic', () => {
  it('has 3-bit priorities; source 0 is hardwired to 0', () => {
    const { plic, prio } = setup();
    prio(10, 0xff);
    prio(0, 5);
    expect(plic.read(PLIC_PRIORITY_BASE + 40, 4)).toBe(7);
    expect(plic.read(PLIC_PRIORITY_BASE, 4)).toBe(0);
  });

  it('hands out sources 1..96 only, each knowing its id', () => {
    const { plic } = setup();
    expect(plic.source(10).id).toBe(10);
    expect(plic.source(96).id).toBe(96);
    expect(() => plic.source(0)).toThrow(RangeError);
    expect(() => plic.source(PLIC_NUM_SOURCES + 1)).toThrow(RangeError);
  });

  it('pending follows a level source and is read-only', () => {
    const { plic, pending } = setup();
    plic.source(10).set(true);
    plic.source(33).set(true);
    expect(pending(0)).toBe(1 << 10);
    expect(pending(1)).toBe(1 << 1);
    plic.write(PLIC_PENDING_BASE, 4, 0);
    expect(pending(0)).toBe(1 << 10);
    plic.source(10).set(false);
    expect(pending(0)).toBe(0);
  });

  it('raises a context output only for an enabled source above its threshold', () => {
    const { plic, seip, meip, prio, enable, threshold } = setup();
    plic.source(10).set(true);
    expect(seip.level).toBe(false); // priority 0 = never
    prio(10, 1);
    expect(seip.level).toBe(false); // not enabled
    enable(S, 10);
    expect(seip.level).toBe(true);
    expect(meip.level).toBe(false); // M context has it disabled
    threshold(S, 1);
    expect(seip.level).toBe(false); // priority must exceed the threshold
    threshold(S, 0);
    expect(seip.level).toBe(true);
  });

  it('claims the highest priority, lowest id on ties; claim with nothing pending returns 0', () => {
    const { plic, prio, enable, claim, seip } = setup();
    for (const id of [3, 5, 40]) {
      plic.source(id).set(true);
    }
    prio(3, 2);
    prio(5, 6);
    prio(40, 6);
    enable(S, 3, 5, 40);
    expect(claim(S)).toBe(5);
    expect(claim(S)).toBe(40);
    expect(claim(S)).toBe(3);
    expect(claim(S)).toBe(0);
    expect(seip.level).toBe(false);
  });

  it('does not re-pend a claimed source until completion, then re-pends if still high', () => {
    const { plic, prio, enable, claim, complete, pending, seip } = setup();
    prio(10, 1);
    enable(S, 10);
    plic.source(10).set(true);
    expect(claim(S)).toBe(10);
    expect(seip.level).toBe(false);
    plic.source(10).set(true); // still high: in flight, stays quiet
    expect(pending(0)).toBe(0);
    complete(S, 10);
    expect(pending(0)).toBe(1 << 10);
    expect(seip.level).toBe(true);
    expect(claim(S)).toBe(10);
    plic.source(10).set(false); // device serviced
    complete(S, 10);
    expect(pending(0)).toBe(0);
    expect(seip.level).toBe(false);
  });

  it('withdraws a request whose line drops before the claim', () => {
    const { plic, prio, enable, claim, seip } = setup();
    prio(7, 1);
    enable(M, 7);
    plic.source(7).set(true);
    plic.source(7).set(false);
    expect(claim(M)).toBe(0);
    expect(seip.level).toBe(false);
  });

  it('ignores a completion for a source not enabled on that context', () => {
    const { plic, prio, enable, claim, complete, pending } = setup();
    prio(9, 1);
    enable(S, 9);
    plic.source(9).set(true);
    expect(claim(S)).toBe(9);
    enable(S); // masked while in flight
    complete(S, 9);
    expect(pending(0)).toBe(0); // still in flight
    enable(S, 9); // Linux's plic_irq_eoi re-enables around the completion
    complete(S, 9);
    expect(pending(0)).toBe(1 << 9);
  });

  it('enable bits of source 0 and beyond source 96 read as 0; contexts past 1 read as 0', () => {
    const { plic } = setup();
    plic.write(PLIC_ENABLE_BASE, 4, 0xffff_ffff);
    expect(plic.read(PLIC_ENABLE_BASE, 4)).toBe(0xffff_fffe);
    plic.write(PLIC_ENABLE_BASE + 12, 4, 0xffff_ffff);
    expect(plic.read(PLIC_ENABLE_BASE + 12, 4)).toBe(1);
    plic.write(PLIC_CONTEXT_BASE + 2 * PLIC_CONTEXT_STRIDE, 4, 3);
    expect(plic.read(PLIC_CONTEXT_BASE + 2 * PLIC_CONTEXT_STRIDE, 4)).toBe(0);
  });

  it('round-trips its state, in-flight requests included', () => {
    const a = setup();
    a.prio(10, 3);
    a.prio(11, 2);
    a.enable(S, 10, 11);
    a.enable(M, 11);
    a.threshold(M, 1);
    a.plic.source(10).set(true);
    a.plic.source(11).set(true);
    expect(a.claim(S)).toBe(10);
    const saved = a.plic.save();
    const b = setup();
    b.plic.restore(structuredClone(saved));
    expect(b.plic.save()).toEqual(saved);
    expect(b.seip.level).toBe(a.seip.level);
    expect(b.meip.level).toBe(a.meip.level);
    // Same behaviour afterwards.
    for (const x of [a, b]) {
      expect(x.claim(S)).toBe(11);
      x.complete(S, 10);
      expect(x.claim(M)).toBe(0); // 11 is in flight, 10 is not enabled on M
      expect(x.claim(S)).toBe(10);
    }
    expect(b.plic.save()).toEqual(a.plic.save());
  });
});
