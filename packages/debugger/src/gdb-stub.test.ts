/** The stub's answers to GDB's packets (GDB manual, "Remote Protocol"), over a short recording. */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '@prnr/recording';
import { DebugSession } from './debug-session.js';
import { GdbStub, serveGdb } from './gdb-stub.js';
import { framePacket, PacketReader } from './rsp-packets.js';
import type { Stop } from './debug-session.js';
import { targetXml } from './target-description.js';
import { shortRecording } from './testing/short-recording.js';

let dir: string;
let dbg: DebugSession;
let stub: GdbStub;
const logged: string[] = [];

beforeAll(async () => {
  dir = await shortRecording({ steps: 3_000_000, sliceSteps: 1_000_000 });
  dbg = new DebugSession(openRecording(dir));
  await dbg.seek(2_500_000);
  stub = new GdbStub(dbg, (l) => logged.push(l));
}, 120_000);
afterAll(async () => {
  await dbg.close();
  rmSync(dirname(dir), { recursive: true, force: true });
}, 60_000);

const hex = (s: string) => Buffer.from(s).toString('hex');
const le = (v: bigint) => Buffer.from(v.toString(16).padStart(16, '0'), 'hex').reverse().toString('hex');

describe('GdbStub', () => {
  it('offers reverse execution, the target description and no-ack mode; swbreak only when GDB does', async () => {
    const plain = await stub.handle('qSupported:multiprocess+;xmlRegisters=i386');
    expect(plain.split(';')).toEqual(expect.arrayContaining(['qXfer:features:read+', 'QStartNoAckMode+', 'ReverseStep+', 'ReverseContinue+']));
    expect(plain).not.toContain('swbreak');
    expect(await stub.handle('qSupported:swbreak+;hwbreak+')).toContain('swbreak+');
    expect(await stub.handle('QStartNoAckMode')).toBe('OK');
  });

  it('serves target.xml in pieces: m while more follows, l for the last', async () => {
    let xml = '';
    for (let off = 0; ; off += 0x100) {
      const r = await stub.handle(`qXfer:features:read:target.xml:${off.toString(16)},100`);
      xml += r.slice(1);
      if (r[0] === 'l') break;
      expect(r[0]).toBe('m');
    }
    expect(xml).toBe(targetXml());
    expect(xml).toContain('<architecture>riscv:rv64</architecture>');
    for (const f of ['cpu', 'fpu', 'csr', 'virtual']) expect(xml).toContain(`<feature name="org.gnu.gdb.riscv.${f}">`);
    expect(xml).toContain(`<reg name="sepc" bitsize="64" type="int" regnum="${65 + 0x141}"`);
    expect(await stub.handle('qXfer:features:read:other.xml:0,100')).toBe('E00');
  });

  it('g: x0..x31, pc, f0..f31; p: one register, CSRs and priv included', async () => {
    const h = dbg.hart;
    const g = await stub.handle('g');
    expect(g.length).toBe(65 * 16);
    expect(g.slice(0, 16)).toBe('0'.repeat(16));
    expect(g.slice(2 * 16, 3 * 16)).toBe(le(h.getX(2)));
    expect(g.slice(32 * 16, 33 * 16)).toBe(le(h.pc));
    expect(await stub.handle('p20')).toBe(le(h.pc));
    expect(await stub.handle(`p${(65 + 0x141).toString(16)}`)).toBe(le(h.sepc));
    expect(await stub.handle(`p${(65 + 0x180).toString(16)}`)).toBe(le(h.satp));
    expect(await stub.handle(`p${(65 + 4096).toString(16)}`)).toBe(le(BigInt(h.priv)));
    expect(await stub.handle('p7fff')).toBe('E45');
  });

  it('m reads through the translation in force; unmapped memory is E14', async () => {
    const pc = dbg.hart.pc;
    const mine = dbg.readMemory(pc, 4)!;
    expect(await stub.handle(`m${pc.toString(16)},4`)).toBe(Buffer.from(mine).toString('hex'));
    expect(await stub.handle('m10,4')).toBe('E14');
    for (const bad of ['m10', 'm,4', 'mzz,4', 'm10,-4', 'm10,4,4']) expect(await stub.handle(bad)).toBe('E01');
  });

  it('refuses every write, saying why', async () => {
    for (const p of ['M80200000,1:00', 'X80200000,1:a', 'P1=00', 'G00']) expect(await stub.handle(p)).toMatch(/^E\.the past is read-only/);
    expect(logged.some((l) => /refused a memory write at 0x80200000/.test(l))).toBe(true);
  });

  it('takes breakpoints and write, read and access watchpoints; refuses a watchpoint on unmapped memory', async () => {
    expect(await stub.handle('Z0,ffffffff80001000,2')).toBe('OK');
    expect(await stub.handle('z0,ffffffff80001000,2')).toBe('OK');
    const ram = (dbg.hart.pc & ~7n).toString(16); // mapped and readable where the hart runs
    for (const t of [2, 3, 4]) {
      expect(await stub.handle(`Z${t},${ram},8`)).toBe('OK');
      expect(await stub.handle(`z${t},${ram},8`)).toBe('OK');
    }
    expect(await stub.handle('Z2,10,8')).toMatch(/^E\.0x10\+8 is not mapped to RAM/);
    expect(await stub.handle('Z5,80200000,8')).toBe('');
  });

  it('s, bs and the monitor commands move and report the position', async () => {
    const at = dbg.icount;
    expect(await stub.handle('s')).toBe('T05thread:01;');
    expect(dbg.icount).toBe(at + 1);
    expect(await stub.handle('bs')).toBe('T05thread:01;');
    expect(dbg.icount).toBe(at);
    expect(Buffer.from(await stub.handle(`qRcmd,${hex('icount')}`), 'hex').toString()).toBe(`${at}\n`);
    expect(Buffer.from(await stub.handle(`qRcmd,${hex('slices')}`), 'hex').toString()).toMatch(/\* +2 +2000000 +3000000/);
    expect(Buffer.from(await stub.handle(`qRcmd,${hex('seek 0')}`), 'hex').toString()).toMatch(/^at icount 0/);
    expect(await stub.handle('bs')).toBe('T05replaylog:begin;thread:01;');
    expect(await stub.handle('bc')).toBe('T05replaylog:begin;thread:01;');
    expect(await stub.handle('?')).toBe('T05replaylog:begin;thread:01;');
  });
});

/** A debugger's end of the socket: sends packets, collects the replies. */
async function client(port: number): Promise<{ socket: Socket; replies: string[]; closed: () => boolean; send: (p: string) => void }> {
  const socket = connect({ port, host: '127.0.0.1' });
  const reader = new PacketReader();
  const replies: string[] = [];
  let closed = false;
  socket.on('data', (d) => {
    for (const m of reader.push(d)) if (m.kind === 'packet') replies.push(m.payload.toString('latin1'));
  });
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  return { socket, replies, closed: () => closed, send: (p) => socket.write(framePacket(p)) };
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('serveGdb', () => {
  it('serves one debugger at a time: a second connection is closed, the first goes on', async () => {
    const server = await serveGdb(dbg, { port: 0, log: (l) => logged.push(l) });
    const sockets: Socket[] = [];
    try {
      const a = await client(server.port);
      const b = await client(server.port);
      sockets.push(a.socket, b.socket);
      await until(b.closed, 'the second debugger to be turned away', 10_000);
      a.send('qC');
      await until(() => a.replies.length > 0, 'the reply to the first debugger');
      expect(a.replies).toEqual(['QC01']);
      expect(a.closed()).toBe(false);
      expect(logged.some((l) => /another one is connected/.test(l))).toBe(true);
      a.socket.destroy();
      await server.done;
    } finally {
      for (const c of sockets) c.destroy();
      await server.close();
    }
  }, 60_000);

  it('stops a continue at once when Ctrl-C arrives in the same chunk, before the continue began', async () => {
    await dbg.seek(dbg.start);
    const here = dbg.icount;
    const server = await serveGdb(dbg, { port: 0 });
    try {
      const c = await client(server.port);
      c.socket.write(Buffer.concat([framePacket('c'), Buffer.from([0x03])]));
      await until(() => c.replies.length === 1, 'the stop reply');
      // Without the Ctrl-C it would run to the end of the recording (no breakpoints are set).
      expect(c.replies).toEqual(['T02thread:01;']);
      expect(dbg.icount).toBe(here);
      // A Ctrl-C while nothing runs is dropped: the next continue runs to the end.
      c.socket.write(Buffer.from([0x03]));
      c.send('c');
      await until(() => c.replies.length === 2, 'the second stop reply');
      expect(c.replies[1]).toBe('T05replaylog:end;thread:01;');
      expect(dbg.icount).toBe(dbg.end);
      c.socket.destroy();
      await server.done;
    } finally {
      await server.close();
    }
  }, 120_000);

  it('interrupts a reverse-continue whose debugger disconnects, and is done only once the session is idle', async () => {
    await dbg.seek(dbg.end);
    const here = dbg.icount;
    const reverseCont = dbg.reverseCont.bind(dbg);
    let result: Stop | undefined;
    dbg.reverseCont = async () => (result = await reverseCont());
    const server = await serveGdb(dbg, { port: 0 });
    try {
      const c = await client(server.port);
      c.send('Z0,10,4'); // a breakpoint nothing executes: the search would go through every slice
      await until(() => c.replies.length === 1, 'the breakpoint');
      const searched = dbg.lastSearch;
      c.send('bc');
      await until(() => dbg.lastSearch !== searched, 'the search to start');
      c.socket.destroy();
      await server.done;
      expect(result).toEqual({ kind: 'interrupted' });
      expect(dbg.lastSearch!.slicesSearched).toBeLessThan(dbg.slices.length);
      expect(dbg.icount).toBe(here);
    } finally {
      // @ts-expect-error -- back to the prototype's method
      delete dbg.reverseCont;
      dbg.setBreakpoint(0x10n, false);
      await server.close();
    }
  }, 120_000);
});
