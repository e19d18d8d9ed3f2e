/**
 * The WebAssembly writer against V8's own decoder: modules it writes must
 * validate, and constants and fixed-width placeholders must read back as the
 * values they encode.
 */
import { describe, expect, it } from 'vitest';
import { wasmApi } from './api.js';
import { FunctionBody, ModuleBuilder, Op, T } from './module-builder.js';

const memory = new (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => unknown } }).WebAssembly.Memory({ initial: 1, maximum: 1 });

function run(build: (f: FunctionBody) => void, result: T): unknown {
  const m = new ModuleBuilder(1);
  const f = new FunctionBody([]);
  build(f);
  m.addFunction('f', [], [result], f);
  const instance = new wasmApi.Instance(new wasmApi.Module(m.encode()), { env: { memory } });
  return (instance.exports.f as () => unknown)();
}

describe('module builder', () => {
  const i64Cases: bigint[] = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 0x7fffffffn, -0x80000000n, 0x80000000n, 0xffffffffn,
    0x100000000n, 0x3fffffff000n, -0x3fffffff000n, (1n << 53n) - 1n, -(1n << 53n), 1n << 60n, -(1n << 63n), (1n << 63n) - 1n,
    0xffffffff80000000n - (1n << 64n), 0x123456789abcdef0n];
  it(`i64 constants read back exactly (${i64Cases.length} values across the LEB128 lengths and the 2^53 boundary)`, () => {
    for (const v of i64Cases) {
      const lo = Number(BigInt.asIntN(32, v));
      const hi = Number(BigInt.asIntN(32, v >> 32n));
      expect(run((f) => f.i64(lo, hi), T.i64), v.toString(16)).toBe(v);
    }
  });

  it('i32 constants and patched fixed-width placeholders read back', () => {
    for (const v of [0, 1, -1, 63, -64, 64, 1 << 20, -2147483648, 0x7fffffff]) expect(run((f) => f.i32(v), T.i32)).toBe(v);
    for (const v of [0, 1, 127, 128, 64, 0x0fffffff]) {
      expect(run((f) => { const at = f.i32Fixed(7); f.patchI32(at, v); }, T.i32)).toBe(v);
    }
  });

  it('holes are encoded with what was filled in, of any length, between the code around them', () => {
    const code = (build: (g: FunctionBody) => void) => { const g = new FunctionBody([]); build(g); return g.code.buf.slice(0, g.code.len); };
    // (1000 - hole) * 3 with a hole left as it was, and filled with longer and shorter code.
    const body = (fillWith: Uint8Array | null) => (f: FunctionBody) => {
      f.i32(1000);
      const h = f.hole(code((g) => g.i32(1)));
      if (fillWith !== null) f.fill(h, fillWith);
      f.op(Op.i32_sub).i32(3).op(Op.i32_mul);
    };
    expect(run(body(null), T.i32)).toBe(2997);
    expect(run(body(code((g) => g.i32(100000).i32(-99990).op(Op.i32_add))), T.i32)).toBe(2970);
    expect(run(body(code((g) => g.i32(0).op(Op.drop).i32(0))), T.i32)).toBe(3000);
  });

  it('control flow and locals validate and compute', () => {
    // sum = 0; i = 10; loop { sum += i; i -= 1; br_if loop (i != 0) } -> 55
    const r = run((f) => {
      const sum = f.local(T.i32), i = f.local(T.i32);
      f.i32(10).set(i);
      f.open(Op.loop);
      f.get(sum).get(i).op(Op.i32_add).set(sum);
      f.get(i).i32(1).op(Op.i32_sub).tee(i).br(Op.br_if, 0);
      f.op(Op.end).get(sum);
    }, T.i32);
    expect(r).toBe(55);
  });
});
