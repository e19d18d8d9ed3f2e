import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf, BtfError, BTF_KIND } from './btf.js';
import { profileFromBtf } from './btf-profile.js';
import { pahole } from './host-tools.js';

/** Builds BTF by hand, following Documentation/bpf/btf.rst: header, types, strings. */
class BtfWriter {
  private strs = [0];
  private readonly strIndex = new Map<string, number>([['', 0]]);
  private readonly words: number[] = [];
  private n = 0;
  str(s: string): number {
    let o = this.strIndex.get(s);
    if (o === undefined) {
      o = this.strs.length;
      this.strs.push(...new TextEncoder().encode(s), 0);
      this.strIndex.set(s, o);
    }
    return o;
  }
  type(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[] = [], kindFlag = 0): number {
    this.words.push(this.str(name), ((kindFlag << 31) | (kind << 24) | vlen) >>> 0, sizeOrType, ...extra);
    return ++this.n;
  }
  bytes(): Uint8Array {
    const types = new Uint8Array(new Uint32Array(this.words).buffer);
    const out = new Uint8Array(24 + types.length + this.strs.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true); out[2] = 1; v.setUint32(4, 24, true);
    v.setUint32(8, 0, true); v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true); v.setUint32(20, this.strs.length, true);
    out.set(types, 24); out.set(this.strs, 24 + types.length);
    return out;
  }
}

/** A little riscv-like kernel: task_struct with thread_info first, pid/tgid inside an anonymous struct, comm[16]; pt_regs. */
function tinyKernel(): Uint8Array {
  const w = new BtfWriter();
  const int = w.type('int', BTF_KIND.INT, 0, 4, [(1 << 24) | 32]);
  const long = w.type('long unsigned int', BTF_KIND.INT, 0, 8, [64]);
  const pidT = w.type('pid_t', BTF_KIND.TYPEDEF, 0, int);
  const char = w.type('char', BTF_KIND.INT, 0, 1, [8]);
  const arr = w.type('', BTF_KIND.ARRAY, 0, 0, [char, int, 16]);
  const ti = w.type('thread_info', BTF_KIND.STRUCT, 3, 24, [w.str('flags'), long, 0, w.str('preempt_count'), int, 64, w.str('kernel_sp'), long, 128]);
  const anon = w.type('', BTF_KIND.STRUCT, 2, 8, [w.str('pid'), pidT, 0, w.str('tgid'), pidT, 32]);
  // A bitfield member (kind_flag: offset in bits 0-23, width in 24-31) before them.
  w.type('task_struct', BTF_KIND.STRUCT, 4, 2048, [w.str('thread_info'), ti, 0, w.str('in_execve'), int, (1 << 24) | 640, w.str(''), anon, 696 * 8, w.str('comm'), arr, 1168 * 8], 1);
  w.type('task_struct', BTF_KIND.FWD, 0, 0);
  const regs: number[] = [];
  ['epc', 'ra', 'sp', 'status', 'badaddr', 'cause', 'orig_a0'].forEach((n, i) => regs.push(w.str(n), long, (i < 3 ? i : 29 + i) * 64));
  w.type('pt_regs', BTF_KIND.STRUCT, 7, 288, regs);
  w.type('', BTF_KIND.FUNC_PROTO, 2, int, [0, int, 0, long]);
  w.type('do_exit', BTF_KIND.FUNC, 0, 9);
  return w.bytes();
}

describe('BTF reader', () => {
  it('reads structs, anonymous members, bitfields and array sizes from hand-made BTF', () => {
    const btf = Btf.parse(tinyKernel());
    const task = btf.struct('task_struct')!;
    expect(task.size).toBe(2048);
    expect(btf.member(task, 'pid')).toMatchObject({ offset: 696 });
    expect(btf.member(task, 'tgid')).toMatchObject({ offset: 700 });
    expect(task.members.find((m) => m.name === 'in_execve')).toMatchObject({ bitOffset: 640, bitSize: 1 });
    expect(btf.sizeOf(btf.member(task, 'comm')!.type)).toBe(16);
    expect(btf.member(task, 'nope')).toBeNull();
  });

  it('makes the guest profile: the fields attribution reads', () => {
    const p = profileFromBtf(tinyKernel());
    expect(p.offsets).toEqual({ task_struct: { pid: 696, tgid: 700, comm: 1168 }, thread_info: { kernel_sp: 16 }, pt_regs: { cause: 272, orig_a0: 280 } });
    expect(p.sizes).toEqual({ task_struct: 2048, pt_regs: 288, task_comm_len: 16 });
  });

  it('says clearly what is wrong with bad input', () => {
    expect(() => Btf.parse(new Uint8Array(10))).toThrow(/shorter than its header/);
    expect(() => Btf.parse(new Uint8Array(24))).toThrow(/magic 0x0 \(expected 0xeb9f/);
    const cut = tinyKernel().subarray(0, 100);
    expect(() => Btf.parse(cut)).toThrow(BtfError);
    expect(() => profileFromBtf(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, ...new Array(60).fill(0)]))).toThrow(/no readable section headers/);
  });

  // A real kernel's BTF, checked against pahole (dwarves), when this host exposes its own.
  const host = '/sys/kernel/btf/vmlinux';
  if (!existsSync(host)) {
    console.log(`btf: skipping the check against pahole: ${host} is absent on this host`);
  } else {
    it.skipIf(pahole.skip)("agrees with pahole on this host's own kernel BTF", () => {
      pahole.require();
      const btf = Btf.parse(new Uint8Array(readFileSync(host)));
      for (const struct of ['task_struct', 'pt_regs', 'inode']) {
        const text = execFileSync('pahole', ['-C', struct, host], { encoding: 'utf8' });
        const size = Number(/\/\* size: (\d+),/.exec(text)![1]);
        const s = btf.struct(struct)!;
        expect(s.size).toBe(size);
        // Top-level members: `type name;   /* offset size */`.
        let checked = 0;
        for (const m of text.matchAll(/^\t[^\t/{}][^;\n]*?\b(\w+)(\[\d+\])?;\s+\/\*\s+(\d+)\s+(\d+)\s+\*\/$/gm)) {
          expect([struct, m[1], btf.member(s, m[1])?.offset]).toEqual([struct, m[1], Number(m[3])]);
          checked++;
        }
        expect(checked).toBeGreaterThan(5);
      }
    });
  }
});
