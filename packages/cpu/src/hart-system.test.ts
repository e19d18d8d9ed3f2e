/**
 * Privileged architecture: CSR rules, traps and interrupts, the Sv39 MMU,
 * and run() stopping at exact positions (RISC-V privileged spec v1.12).
 */
import { describe, expect, it } from 'vitest';
import { CSR } from './csr-numbers.js';
import { Hart } from './hart.js';
import { HART_BEHAVIOUR_VERSION, isHartBehaviourVersion } from './hart-behaviour.js';
import { addi, B, csrrs, csrrw, I, ld, NOP, sd } from './testing/encode.js';
import { BASE, testHart } from './testing/machine.js';

const MCAUSE_INTERRUPT = 1n << 63n;

describe('CSRs', () => {
  it('misa reports RV64 IMAFDC with S and U, and ignores writes', () => {
    const { hart } = testHart([csrrs(5, CSR.misa, 0), csrrw(0, CSR.misa, 1), csrrs(6, CSR.misa, 0)]);
    hart.setX(1, 0n);
    hart.run(3);
    // Bits A=0, C=2, D=3, F=5, I=8, M=12, S=18, U=20 -> 0x14112d.
    const want = (2n << 62n) | 0x14112dn;
    expect(hart.getX(5)).toBe(want);
    expect(hart.getX(6)).toBe(want);
  });

  it('mstatus: MPP=2 is reserved (WARL) and UXL/SXL read as 64-bit', () => {
    const { hart } = testHart([csrrw(0, CSR.mstatus, 1), csrrs(5, CSR.mstatus, 0)]);
    hart.setX(1, 2n << 11n);
    hart.run(2);
    const v = hart.getX(5);
    expect((v >> 11n) & 3n).toBe(0n);
    expect((v >> 32n) & 0xfn).toBe(0xan);
  });

  it('sstatus: UXL reads as 64-bit, bits 35:34 (SXL in mstatus, WPRI in sstatus) as 0; behaviour version 1 shows SXL there', () => {
    const run = (behaviourVersion?: number) => {
      const { hart } = testHart([csrrs(5, CSR.sstatus, 0), csrrs(6, CSR.mstatus, 0)]);
      const h = new Hart(hart.bus, { behaviourVersion });
      h.pc = BigInt(BASE);
      h.run(2);
      return { v: h.behaviourVersion, sstatus: h.getX(5), mstatus: h.getX(6) };
    };
    expect(HART_BEHAVIOUR_VERSION).toBe(2);
    expect(run()).toEqual({ v: HART_BEHAVIOUR_VERSION, sstatus: 2n << 32n, mstatus: (2n << 34n) | (2n << 32n) });
    expect(run(2)).toEqual({ v: 2, sstatus: 2n << 32n, mstatus: (2n << 34n) | (2n << 32n) });
    expect(run(1)).toEqual({ v: 1, sstatus: (2n << 34n) | (2n << 32n), mstatus: (2n << 34n) | (2n << 32n) });
  });

  it('a hart refuses a behaviour version this build does not run', () => {
    const { hart } = testHart();
    for (const v of [0, -1, 1.5, HART_BEHAVIOUR_VERSION + 1, NaN]) {
      expect(() => new Hart(hart.bus, { behaviourVersion: v }), String(v)).toThrow(new RangeError(`hart behaviour version ${v}: this build runs versions 1 to ${HART_BEHAVIOUR_VERSION}`));
    }
    expect(isHartBehaviourVersion(1) && isHartBehaviourVersion(HART_BEHAVIOUR_VERSION)).toBe(true);
  });

  it('satp ignores modes other than Bare and Sv39 (Linux probes Sv57, Sv48 first)', () => {
    const { hart } = testHart([csrrw(0, CSR.satp, 1), csrrs(5, CSR.satp, 0), csrrw(0, CSR.satp, 2), csrrs(6, CSR.satp, 0)]);
    hart.setX(1, (10n << 60n) | 0x80123n); // Sv57
    hart.setX(2, (8n << 60n) | 0x80123n); // Sv39
    hart.run(4);
    expect(hart.getX(5)).toBe(0n);
    expect(hart.getX(6)).toBe((8n << 60n) | 0x80123n);
  });

  it('an absent CSR raises illegal instruction with the instruction in mtval', () => {
    const insn = csrrs(5, 0x7c0, 0);
    const { hart } = testHart([insn]);
    hart.mtvec = 0x80001000n;
    hart.run(1);
    expect(hart.mcause).toBe(2n);
    expect(hart.mtval).toBe(BigInt(insn));
    expect(hart.mepc).toBe(BigInt(BASE));
    expect(hart.pc).toBe(0x80001000n);
  });

  it('writing a read-only CSR is illegal, reading it is not', () => {
    const { hart } = testHart([csrrs(5, CSR.mhartid, 0), csrrw(0, CSR.mhartid, 1)]);
    hart.run(2);
    expect(hart.getX(5)).toBe(0n);
    expect(hart.mcause).toBe(2n);
    expect(hart.mepc).toBe(BigInt(BASE + 4));
  });

  it('cycle from U-mode traps unless mcounteren.CY and scounteren.CY are set', () => {
    const { hart } = testHart([csrrs(5, CSR.cycle, 0)]);
    hart.priv = 0; hart.privChanged();
    hart.run(1);
    expect(hart.mcause).toBe(2n);
    const t = testHart([csrrs(5, CSR.cycle, 0)]).hart;
    t.mcounteren = 1; t.scounteren = 1; t.priv = 0; t.privChanged();
    t.run(1);
    expect(t.mcause).toBe(0n);
    expect(t.priv).toBe(0);
  });
});

describe('traps and interrupts', () => {
  it('ecall from U is delegated to S when medeleg says so', () => {
    const { hart } = testHart([0x00000073]);
    hart.medeleg = 1 << 8;
    hart.stvec = 0x80002000n;
    hart.priv = 0; hart.privChanged();
    hart.run(1);
    expect(hart.priv).toBe(1);
    expect(hart.scause).toBe(8n);
    expect(hart.sepc).toBe(BigInt(BASE));
    expect(hart.pc).toBe(0x80002000n);
    expect(hart.mcause).toBe(0n);
  });

  it('a machine timer interrupt is taken at the next instruction boundary, vectored', () => {
    const { hart } = testHart([NOP, NOP, NOP, NOP]);
    hart.mtvec = 0x80003001n; // vectored
    hart.mie = 1 << 7;
    hart.mstatus |= 1 << 3; // MIE
    hart.run(2);
    hart.setIrq('mtip', true);
    hart.run(3);
    expect(hart.mcause).toBe(MCAUSE_INTERRUPT | 7n);
    expect(hart.mepc).toBe(BigInt(BASE + 8));
    expect(hart.pc).toBe(0x80003000n + 4n * 7n);
    expect(hart.icount).toBe(3); // the trap entry is one step
  });

  it('interrupts stay masked in M-mode while mstatus.MIE is clear, and WFI with nothing pending stops', () => {
    const { hart } = testHart([0x10500073, NOP]);
    hart.mie = 1 << 7;
    const r = hart.run(10);
    expect(r).toBe('wfi');
    expect(hart.icount).toBe(1);
    expect(hart.run(10)).toBe('wfi'); // still nothing pending: no progress
    hart.setIrq('mtip', true); // pending but globally disabled in M: WFI wakes, no trap
    expect(hart.run(2)).toBe('limit');
    expect(hart.mcause).toBe(0n);
    expect(hart.pc).toBe(BigInt(BASE + 8));
  });
});

describe('Sv39 MMU', () => {
  // Page tables: root at 0x80010000, level-1 at 0x80011000, level-0 at 0x80012000.
  // VA 0x0000_1000 -> PA 0x8002_0000 (leaf flags given per test).
  function mmuHart(program: number[], leafFlags: number) {
    const t = testHart(program);
    const { ram, hart } = t;
    const pte = (pa: number, flags: number) => (BigInt(pa >>> 12) << 10n) | BigInt(flags);
    const put = (pa: number, v: bigint) => ram.view.setBigUint64(pa - BASE, v, true);
    put(0x80010000 + 0 * 8, pte(0x80011000, 1));
    put(0x80011000 + 0 * 8, pte(0x80012000, 1));
    put(0x80012000 + 1 * 8, pte(0x80020000, leafFlags));
    // Identity-map the code page with a 1 GiB superpage (VA 0x80000000 = vpn2 2), R X, for S-mode fetch.
    put(0x80010000 + 2 * 8, pte(0x80000000, 0xcb)); // V R X A D
    ram.view.setBigUint64(0x80020000 - BASE + 0x10, 0x1122334455667788n, true);
    hart.satp = (8n << 60n) | BigInt(0x80010000 >>> 12);
    hart.priv = 1;
    hart.mtvec = 0x80004000n;
    hart.privChanged();
    return t;
  }
  const leafAddr = 0x80012000 + 8;
  const V = 1, R = 2, W = 4, U = 16, A = 64, D = 128;

  it('translates a load and sets the A bit', () => {
    const { hart, ram } = mmuHart([ld(5, 6, 0x10)], V | R | W);
    hart.setX(6, 0x1000n);
    hart.run(1);
    expect(hart.getX(5)).toBe(0x1122334455667788n);
    expect(ram.view.getUint32(leafAddr - BASE, true) & (A | D)).toBe(A);
  });

  it('a store sets the D bit and writes the physical page', () => {
    const { hart, ram } = mmuHart([sd(7, 6, 0x18)], V | R | W);
    hart.setX(6, 0x1000n);
    hart.setX(7, 0xdeadbeefcafef00dn);
    hart.run(1);
    expect(ram.view.getBigUint64(0x80020018 - BASE, true)).toBe(0xdeadbeefcafef00dn);
    expect(ram.view.getUint32(leafAddr - BASE, true) & (A | D)).toBe(A | D);
    expect(ram.dirty[(0x80020000 - BASE) >>> 12]).toBe(1);
  });

  it('a store to a read-only page is a store page fault with the address in mtval', () => {
    const { hart } = mmuHart([sd(7, 6, 0x18)], V | R);
    hart.setX(6, 0x1000n);
    hart.run(1);
    expect(hart.mcause).toBe(15n);
    expect(hart.mtval).toBe(0x1018n);
  });

  it('S-mode loads from a U page fault unless SUM is set', () => {
    const a = mmuHart([ld(5, 6, 0x10)], V | R | W | U);
    a.hart.setX(6, 0x1000n);
    a.hart.run(1);
    expect(a.hart.mcause).toBe(13n);
    const b = mmuHart([ld(5, 6, 0x10)], V | R | W | U);
    b.hart.mstatus |= 1 << 18; // SUM
    b.hart.privChanged();
    b.hart.setX(6, 0x1000n);
    b.hart.run(1);
    expect(b.hart.mcause).toBe(0n);
    expect(b.hart.getX(5)).toBe(0x1122334455667788n);
  });

  it('MXR lets loads read execute-only pages', () => {
    const a = mmuHart([ld(5, 6, 0x10)], V | 8 /* X */);
    a.hart.setX(6, 0x1000n);
    a.hart.run(1);
    expect(a.hart.mcause).toBe(13n);
    const b = mmuHart([ld(5, 6, 0x10)], V | 8);
    b.hart.mstatus |= 1 << 19; // MXR
    b.hart.privChanged();
    b.hart.setX(6, 0x1000n);
    b.hart.run(1);
    expect(b.hart.getX(5)).toBe(0x1122334455667788n);
  });

  it('a virtual address that is not sign-extended from bit 38 is a page fault', () => {
    const { hart } = mmuHart([ld(5, 6, 0)], V | R | W);
    hart.setX(6, 0x0000008000001000n); // bit 39 set, bit 38 clear
    hart.run(1);
    expect(hart.mcause).toBe(13n);
    expect(hart.mtval).toBe(0x0000008000001000n);
  });

  it('sfence.vma with an address drops that page, also when it is cached as part of a superpage', () => {
    const sfenceVma = (rs1: number) => 0x12000073 | (rs1 << 15);
    const a = mmuHart([ld(5, 6, 0x10), sfenceVma(6), ld(5, 6, 0x10)], V | R | W | A | D);
    a.hart.setX(6, 0x1000n);
    a.hart.run(1);
    a.ram.view.setBigUint64(leafAddr - BASE, (BigInt(0x80021000 >>> 12) << 10n) | BigInt(V | R | W | A | D), true);
    a.ram.view.setBigUint64(0x80021010 - BASE, 42n, true);
    a.hart.run(3);
    expect(a.hart.getX(5)).toBe(42n);
    // A 2 MiB superpage at VA 0x200000 (PA 0x80000000): the load caches the 4 KiB piece at VA 0x220000;
    // sfence.vma names another address inside the superpage, whose leaf was just made invalid.
    const b = mmuHart([ld(5, 6, 0), sfenceVma(7), ld(5, 6, 0)], V | R | W | A | D);
    const superLeaf = 0x80011000 + 1 * 8;
    b.ram.view.setBigUint64(superLeaf - BASE, (BigInt(0x80000000 >>> 12) << 10n) | BigInt(V | R | W | A | D), true);
    b.hart.setX(6, 0x220010n);
    b.hart.setX(7, 0x3ff000n);
    b.hart.run(1);
    expect(b.hart.getX(5)).toBe(0x1122334455667788n);
    b.ram.view.setBigUint64(superLeaf - BASE, 0n, true);
    b.hart.run(3);
    expect(b.hart.mcause).toBe(13n);
    expect(b.hart.mtval).toBe(0x220010n);
  });

  it('clearing SUM stops S-mode loads from a user page that the TLB holds', () => {
    const csrrc = (rd: number, csr: number, rs1: number) => I(csr, rs1, 3, rd, 0x73);
    const { hart } = mmuHart([ld(5, 6, 0x10), csrrc(0, CSR.sstatus, 7), ld(5, 6, 0x10)], V | R | W | U | A | D);
    hart.mstatus |= 1 << 18; // SUM
    hart.privChanged();
    hart.setX(6, 0x1000n);
    hart.setX(7, 1n << 18n);
    hart.run(1);
    expect(hart.getX(5)).toBe(0x1122334455667788n);
    hart.run(3);
    expect(hart.mcause).toBe(13n);
  });

  it('a trap to M mode and back keeps using the S-mode translations', () => {
    // ld; ecall (to M, handler at mtvec: mepc += 4; mret); ld again through the same TLB set.
    const { hart, ram } = mmuHart([ld(5, 6, 0x10), 0x00000073, ld(8, 6, 0x10)], V | R | W | A | D);
    const handler = [csrrs(9, CSR.mepc, 0), addi(9, 9, 4), csrrw(0, CSR.mepc, 9), 0x30200073];
    handler.forEach((w, i) => ram.view.setUint32(0x80004000 - BASE + 4 * i, w, true));
    hart.setX(6, 0x1000n);
    hart.run(7);
    expect(hart.priv).toBe(1);
    expect(hart.getX(5)).toBe(0x1122334455667788n);
    expect(hart.getX(8)).toBe(0x1122334455667788n);
    expect(hart.icount).toBe(7);
  });

  it('sfence.vma drops a stale translation', () => {
    const { hart, ram } = mmuHart([ld(5, 6, 0x10), 0x12000073 /* sfence.vma */, ld(5, 6, 0x10)], V | R | W | A | D);
    hart.setX(6, 0x1000n);
    hart.run(1);
    // Remap VA 0x1000 to PA 0x80021000 behind the TLB's back.
    ram.view.setBigUint64(leafAddr - BASE, (BigInt(0x80021000 >>> 12) << 10n) | BigInt(V | R | W | A | D), true);
    ram.view.setBigUint64(0x80021010 - BASE, 42n, true);
    hart.run(3);
    expect(hart.getX(5)).toBe(42n);
  });
});

describe('run() stops at exact positions', () => {
  // A loop: x1 += 3; x2 ^= x1; bne x1, x3, -8 (x3 large so it runs long), with a store and a load.
  const program = [addi(1, 1, 3), I(0, 1, 4, 2, 0x33) /* placeholder, replaced below */, sd(1, 4, 0), ld(2, 4, 0), B(-16, 3, 1, 1)];
  program[1] = (0 << 25) | (1 << 20) | (2 << 15) | (4 << 12) | (2 << 7) | 0x33; // xor x2, x2, x1

  it('runs in chunks of any size reach the same state as one run', () => {
    const one = testHart(program).hart;
    one.setX(3, 1n << 40n); one.setX(4, 0x80080000n);
    one.run(100_003);
    const chunked = testHart(program).hart;
    chunked.setX(3, 1n << 40n); chunked.setX(4, 0x80080000n);
    let n = 0, step = 1;
    while (chunked.icount < 100_003) {
      n = Math.min(100_003, n + step);
      chunked.run(n);
      expect(chunked.icount).toBe(n);
      step = (step * 7 + 3) % 1013 + 1;
    }
    expect(chunked.state()).toEqual(one.state());
  });

  it('state() and restore() round-trip, and a restored hart continues identically', () => {
    const a = testHart(program);
    a.hart.setX(3, 1n << 40n); a.hart.setX(4, 0x80080000n);
    a.hart.run(5_000);
    const saved = structuredClone(a.hart.state());
    const b = testHart(program);
    b.ram.u8.set(a.ram.u8);
    b.hart.restore(saved);
    expect(b.hart.state()).toEqual(a.hart.state());
    a.hart.run(9_999);
    b.hart.run(9_999);
    expect(b.hart.state()).toEqual(a.hart.state());
  });
});

describe('mip read-modify-write', () => {
  it('csrrs on mip does not latch the external SEIP line into the software bit', () => {
    // csrrs x0, mip, x1 with x1 = STIP, while the PLIC drives SEIP.
    const { hart } = testHart([csrrs(0, CSR.mip, 1), csrrs(5, CSR.mip, 0)]);
    hart.setX(1, 1n << 5n);
    hart.setIrq('seip', true);
    hart.run(1);
    hart.setIrq('seip', false);
    hart.run(2);
    expect(hart.getX(5)).toBe(1n << 5n); // STIP set by software; SEIP gone with the line
  });
});
