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
    // No OS ABI: GDB then steps with `s`, not with a breakpoint and a continue (which ran on through ecalls).
    expect(xml).toContain('<architecture>riscv:rv64</architecture>\n  <osabi>none</osabi>\n');
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
    // A zero length too: its reply, no bytes, would be empty, which says "not supported".
    for (const bad of ['m10', 'm,4', 'mzz,4', 'm10,-4', 'm10,4,4', `m${pc.toString(16)},0`]) expect(await stub.handle(bad)).toBe('E01');
  });

  it('refuses malformed breakpoint packets and empty watchpoints with a clean error', async () => {
    const ram = (dbg.hart.pc & ~7n).toString(16);
    for (const bad of ['Z', 'Zq,10,4', 'Z0', 'Z0,', 'z0', 'Z0,ffffffff80001000', 'Z0,ffffffff80001000,2,0', 'Z0,ffffffff80001000,2;X1,ff', 'Z0,zz,2', `Z2,${ram},`]) {
      const r = await stub.handle(bad);
      expect(r, bad).toMatch(/^E\.malformed packet "[^"]*": expected [Zz]type,addr,kind$/);
    }
    expect(await stub.handle(`Z2,${ram},0`)).toBe('E.a watchpoint needs a length of 1 byte or more, got 0');
    expect(dbg.points()).toMatchObject({ breakpoints: [], watchpoints: [] });
    expect(await stub.handle('Z5,80200000,8')).toBe('');
    expect(logged.some((l) => /BigInt/.test(l))).toBe(false);
  });

  it('takes C and S with a signal as c and s (a replay cannot deliver it); vCont is not offered', async () => {
    await dbg.seek(2_900_000);
    expect(await stub.handle('S02')).toBe('T05thread:01;');
    expect(dbg.icount).toBe(2_900_001);
    expect(await stub.handle(`S0b;${dbg.hart.pc.toString(16)}`)).toBe('T05thread:01;');
    expect(dbg.icount).toBe(2_900_002);
    expect(await stub.handle(`C02;${(dbg.hart.pc + 4n).toString(16)}`)).toMatch(/^E\.the past is read-only/);
    expect(dbg.icount).toBe(2_900_002);
    for (const bad of ['C2', 'S', 'C02;', 'C02;zz', 'czz']) expect(await stub.handle(bad), bad).toMatch(/^E\.malformed /);
    // No points: the continue runs to the end of the recording.
    expect(await stub.handle('C02')).toBe('T05replaylog:end;thread:01;');
    expect(dbg.icount).toBe(dbg.end);
    expect(await stub.handle('vCont?')).toBe('');
    await dbg.seek(2_500_000); // where the other tests expect it
  });

  it('monitor errors come back as output GDB prints (hex), not as an E. reply it cannot read', async () => {
    dbg.seek = () => Promise.reject(new Error('the log is damaged'));
    try {
      const r = await stub.handle(`qRcmd,${hex('seek 5')}`);
      expect(r).toMatch(/^([0-9a-f]{2})+$/);
      expect(Buffer.from(r, 'hex').toString()).toBe('error: the log is damaged\n');
    } finally {
      // @ts-expect-error -- back to the prototype's method
      delete dbg.seek;
    }
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
  it('serves one debugger at a time: a second one is told why and closed, the first goes on', async () => {
    const server = await serveGdb(dbg, { port: 0, log: (l) => logged.push(l) });
    const sockets: Socket[] = [];
    try {
      const a = await client(server.port);
      const b = await client(server.port);
      sockets.push(a.socket, b.socket);
      a.send('qC');
      await until(() => a.replies.length > 0, 'the reply to the first debugger');
      b.send('qSupported:swbreak+');
      await until(b.closed, 'the second debugger to be turned away', 10_000);
      expect(b.replies).toEqual(['E.prnr gdb serves one debugger at a time, and another one is connected']);
      a.send('qC');
      await until(() => a.replies.length > 1, 'the second reply to the first debugger');
      expect(a.replies).toEqual(['QC01', 'QC01']);
      expect(a.closed()).toBe(false);
      expect(logged.some((l) => /another one is connected/.test(l))).toBe(true);
      a.socket.destroy();
      expect(await server.done).toBe('disconnected');
    } finally {
      for (const c of sockets) c.destroy();
      await server.close();
    }
  }, 60_000);

  it('a connection that closes without sending a packet (a port probe) does not end the session', async () => {
    const lines: string[] = [];
    const server = await serveGdb(dbg, { port: 0, log: (l) => lines.push(l) });
    let ended = false;
    void server.done.then(() => (ended = true));
    try {
      const probe = await client(server.port);
      probe.socket.end(Buffer.from('+\x03')); // an ack and a Ctrl-C are no packet
      await until(() => lines.some((l) => /closed without sending a packet; still waiting for a debugger/.test(l)), 'the probe to be seen closing');
      const c = await client(server.port);
      c.send('qC');
      await until(() => c.replies.length === 1, 'the reply to the debugger');
      expect(c.replies).toEqual(['QC01']);
      expect(ended).toBe(false);
      c.send('D');
      expect(await server.done).toBe('detached');
      expect(c.replies).toEqual(['QC01', 'OK']);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('close() resolves while a connection that never sent a packet is still open, and closes it', async () => {
    const server = await serveGdb(dbg, { port: 0 });
    const idle = await client(server.port);
    const c = await client(server.port);
    try {
      // Connections are accepted in order: a reply to the later one means the idle one was accepted too.
      c.send('qC');
      await until(() => c.replies.length === 1, 'the reply to the debugger');
      expect(idle.closed()).toBe(false);
      let closed = false;
      void server.close().then(() => (closed = true));
      // Before the fix, close() waited for the idle connection to end, which it never does.
      await until(() => closed, 'close() to resolve', 10_000);
      await until(idle.closed, 'the idle connection to be closed', 10_000);
      expect(idle.replies).toEqual([]);
    } finally {
      idle.socket.destroy();
      c.socket.destroy();
    }
  }, 60_000);

  it('refuses a packet longer than the PacketSize it announces with an error, and goes on', async () => {
    const server = await serveGdb(dbg, { port: 0 });
    try {
      const c = await client(server.port);
      c.send('qC');
      await until(() => c.replies.length === 1, 'the first reply');
      c.send(`X80200000,2001:${'a'.repeat(0x4001)}`);
      c.send('qC');
      await until(() => c.replies.length === 3, 'the replies');
      expect(c.replies.slice(1)).toEqual(['E.packet longer than the PacketSize (0x4000 bytes) this stub takes', 'QC01']);
      c.socket.destroy();
      await server.done;
    } finally {
      await server.close();
    }
  }, 60_000);

  it('after k answers nothing more and writes nothing to the closed side', async () => {
    const lines: string[] = [];
    const server = await serveGdb(dbg, { port: 0, log: (l) => lines.push(l) });
    try {
      const c = await client(server.port);
      c.socket.write(Buffer.concat([framePacket('QStartNoAckMode'), framePacket('k'), framePacket('qC'), framePacket('g')]));
      expect(await server.done).toBe('killed');
      await until(c.closed, 'the connection to close');
      expect(c.replies).toEqual(['OK']);
      expect(lines.filter((l) => /^connection: /.test(l))).toEqual([]);
    } finally {
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
