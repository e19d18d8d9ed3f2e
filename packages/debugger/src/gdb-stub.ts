/**
 * The GDB remote serial protocol over a DebugSession (GDB manual, "Remote
 * Protocol": "Packets", "Stop Reply Packets", "General Query Packets",
 * "Target Description Format"). One thread, one hart; reverse execution as
 * `bs`/`bc`; `replaylog:begin`/`replaylog:end` stop replies at either end of
 * the recording; guest memory and registers are read-only.
 *
 * `GdbStub` answers packets (plain strings, testable without a socket);
 * `serveGdb` puts it on a TCP port with framing and acknowledgements.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DebugSession, Stop } from './debug-session.js';
import { framePacket, hexLe, PacketReader, toHex } from './rsp-packets.js';
import { G_PACKET_REGISTERS, REGISTER_BY_NUMBER, targetXml } from './target-description.js';

const WATCH_KINDS = ['write', 'read', 'access'] as const;
/** Stop reply names of the watchpoint kinds (GDB manual, "Stop Reply Packets"). */
const STOP_NAMES = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;
const READ_ONLY = 'E.the past is read-only: prnr replays a recording, and the debugger cannot change it';
const THREAD = 'thread:01;';
/** Largest packet we accept and send (hex digits of a memory read included). */
const PACKET_SIZE = 0x4000;

export class GdbStub {
  private swbreak = false;
  private lastStop: Stop = { kind: 'step' };
  private readonly xml = targetXml();

  constructor(readonly dbg: DebugSession, private readonly log: (line: string) => void = () => {}) {}

  /** The reply to one packet (errors become `E.message` replies). */
  async handle(packet: string): Promise<string> {
    try {
      return await this.dispatch(packet);
    } catch (e) {
      this.log(`'${packet.slice(0, 40)}': ${(e as Error).message}`);
      return `E.${(e as Error).message}`;
    }
  }

  private async dispatch(p: string): Promise<string> {
    const dbg = this.dbg;
    switch (p[0]) {
      case '?': return this.stopReply(this.lastStop);
      case 'g': return G_PACKET_REGISTERS.map((r) => this.register(r.regnum)).join('');
      case 'p': return this.register(Number.parseInt(p.slice(1), 16));
      case 'G': case 'P': case 'M': case 'X':
        // GDB shows the reason for a refused register write; for memory it says only "Cannot access memory".
        this.log(`refused ${p[0] === 'M' || p[0] === 'X' ? `a memory write at 0x${p.slice(1).split(',')[0]}` : 'a register write'}: the past is read-only`);
        return READ_ONLY;
      case 'm': {
        // An empty reply would tell GDB that `m` is not supported: a malformed request is an error.
        const m = /^m([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})$/.exec(p);
        if (!m) return 'E01';
        const len = Math.min(Number.parseInt(m[2], 16), PACKET_SIZE / 2 - 8);
        const b = dbg.readMemory(BigInt(`0x${m[1]}`), len);
        return b ? toHex(b) : 'E14';
      }
      case 'H': case 'T': return 'OK';
      case 'Z': case 'z': return this.point(p);
      case 'c': return this.resume(p.length > 1 ? p.slice(1) : null, () => dbg.cont());
      case 's': return this.resume(p.length > 1 ? p.slice(1) : null, () => dbg.stepi());
      case 'b':
        if (p === 'bc') return this.resume(null, () => dbg.reverseCont());
        if (p === 'bs') return this.resume(null, () => dbg.reverseStepi());
        return '';
      case 'D': return 'OK';
      case 'q': case 'Q': return this.query(p);
      case 'v':
        if (p === 'vKill' || p.startsWith('vKill;')) return 'OK';
        return ''; // vCont? vMustReplyEmpty and the rest: not supported, GDB uses c, s, bc, bs
      default: return '';
    }
  }

  private async query(p: string): Promise<string> {
    if (p.startsWith('qSupported')) {
      this.swbreak = p.includes('swbreak+');
      return `PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;QStartNoAckMode+;ReverseStep+;ReverseContinue+${this.swbreak ? ';swbreak+' : ''}`;
    }
    if (p === 'QStartNoAckMode') return 'OK';
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]+):([0-9a-f]+),([0-9a-f]+)$/i.exec(p);
      if (!m) return 'E00';
      if (m[1] !== 'target.xml') return 'E00';
      const off = Number.parseInt(m[2], 16);
      const len = Number.parseInt(m[3], 16);
      const part = this.xml.slice(off, off + len);
      return (off + len >= this.xml.length ? 'l' : 'm') + part;
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC01';
    if (p === 'qfThreadInfo') return 'm01';
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qOffsets') return 'Text=0;Data=0;Bss=0';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) return toHex(Buffer.from(await this.monitor(Buffer.from(p.slice(6), 'hex').toString('latin1').trim()), 'latin1'));
    return '';
  }

  /** `monitor` commands: where the session stands, moving it, the slices. */
  private async monitor(cmd: string): Promise<string> {
    const dbg = this.dbg;
    const [word, arg] = cmd.split(/\s+/, 2);
    if (word === 'icount') return `${dbg.icount}\n`;
    if (word === 'slices') {
      const rows = dbg.slices.map((s) => `${s.index === dbg.session.slice?.index ? '*' : ' '} ${String(s.index).padStart(5)}  ${String(s.startIcount).padStart(12)}  ${String(s.endIcount).padStart(12)}`);
      return `  slice   start icount    end icount\n${rows.join('\n')}\n`;
    }
    if (word === 'seek') {
      const n = Number(arg);
      if (!Number.isSafeInteger(n) || n < dbg.start || n > dbg.end) return `seek: expected an icount in ${dbg.start}..${dbg.end}, got "${arg ?? ''}"\n`;
      await dbg.seek(n);
      this.lastStop = { kind: 'step' };
      // GDB keeps the registers it read before: tell it to read them again.
      return `at icount ${n}; run "maintenance flush register-cache" (or "flushregs") so GDB reads the registers there\n`;
    }
    return 'prnr monitor commands: icount | seek N | slices\n';
  }

  private point(p: string): string {
    const [head, addrHex, kindHex] = p.slice(1).split(',');
    const on = p[0] === 'Z';
    const type = Number(head);
    const addr = BigInt(`0x${addrHex}`);
    const len = Number.parseInt(kindHex ?? '0', 16);
    if (type === 0 || type === 1) {
      this.dbg.setBreakpoint(addr, on);
      return 'OK';
    }
    if (type >= 2 && type <= 4) {
      this.dbg.setWatchpoint(addr, len, on, WATCH_KINDS[type - 2]);
      return 'OK';
    }
    return '';
  }

  /**
   * The reply to a continue that a Ctrl-C overtook before it began (both in one TCP chunk, or the
   * Ctrl-C while an earlier packet was answered): it stops where it is, as if interrupted at once.
   */
  interruptedBeforeStart(): string {
    this.lastStop = { kind: 'interrupted' };
    return this.stopReply(this.lastStop);
  }

  private async resume(addr: string | null, run: () => Promise<Stop>): Promise<string> {
    if (addr !== null && addr !== '' && BigInt(`0x${addr}`) !== this.dbg.hart.pc) return READ_ONLY;
    this.lastStop = await run();
    return this.stopReply(this.lastStop);
  }

  private stopReply(s: Stop): string {
    switch (s.kind) {
      case 'step': return `T05${THREAD}`;
      case 'break': return `T05${this.swbreak ? 'swbreak:;' : ''}${THREAD}`;
      case 'watch': return `T05${STOP_NAMES[s.hit.watch]}:${BigInt(s.hit.vaddr).toString(16)};${THREAD}`;
      case 'history': return `T05replaylog:${s.end};${THREAD}`;
      case 'interrupted': return `T02${THREAD}`;
    }
  }

  private register(regnum: number): string {
    const r = REGISTER_BY_NUMBER.get(regnum);
    if (!r) return 'E45';
    const v = r.read(this.dbg.hart);
    return v === null ? 'xx'.repeat(8) : hexLe(v, 8);
  }
}

export interface GdbServer {
  readonly port: number;
  /**
   * Resolves when the first debugger that connected has gone (kill, detach or disconnect) and the
   * command it left running has stopped (a disconnect interrupts it), so the session is idle.
   */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves one debugger at a time on `port` (0: any free one) until it detaches or kills. Another
 * connection while one is served is closed: two debuggers would move one session under each other.
 */
export function serveGdb(dbg: DebugSession, o: { port: number; host?: string; log?: (line: string) => void }): Promise<GdbServer> {
  const log = o.log ?? (() => {});
  let finish!: () => void;
  const done = new Promise<void>((r) => { finish = r; });
  let busy = false;
  const server: Server = createServer((socket) => {
    if (busy) {
      log(`refused a debugger from ${socket.remoteAddress}:${socket.remotePort}: another one is connected`);
      socket.destroy();
      return;
    }
    busy = true;
    log(`debugger connected from ${socket.remoteAddress}:${socket.remotePort}`);
    connection(socket, new GdbStub(dbg, log), log).then(() => {
      busy = false;
      log('debugger disconnected');
      finish();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : o.port,
        done,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

/** Packets that run the target until something stops it: forward or reverse continue. */
const CONTINUES = /^(c|bc)([0-9a-f]*)$/i;

/**
 * One debugger's connection: framing, acks, packets answered one at a time, Ctrl-C at any time.
 * Resolves once the socket closed and the packet being answered is done: a disconnect interrupts a
 * running continue or reverse-continue, as Ctrl-C would.
 */
function connection(socket: Socket, stub: GdbStub, log: (line: string) => void): Promise<void> {
  const reader = new PacketReader();
  let ack = true;
  let last: Buffer | null = null;
  let queue = Promise.resolve();
  // Packets received and not yet answered, and whether a Ctrl-C came while there were any: a
  // continue that had not begun yet must stop at once (it would otherwise clear the interrupt).
  let pending = 0;
  let interruptAsked = false;
  const send = (reply: string) => {
    if (socket.destroyed) return;
    last = framePacket(reply);
    socket.write(last);
  };
  return new Promise((resolve) => {
    socket.on('close', () => {
      stub.dbg.interrupt();
      void queue.then(() => resolve());
    });
    socket.on('error', (e) => log(`connection: ${e.message}`));
    socket.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) {
        if (m.kind === 'interrupt') {
          // With nothing pending the target is already stopped: GDB expects no reply.
          if (pending > 0) { interruptAsked = true; stub.dbg.interrupt(); }
        }
        else if (m.kind === 'nack' && last) socket.write(last);
        else if (m.kind === 'bad-packet') { if (ack) socket.write('-'); }
        else if (m.kind === 'packet') {
          if (ack) socket.write('+');
          const p = m.payload.toString('latin1');
          pending++;
          queue = queue.then(async () => {
            if (p === 'k') { socket.end(); return; }
            const continues = CONTINUES.test(p);
            const reply = continues && interruptAsked ? stub.interruptedBeforeStart() : await stub.handle(p);
            if (continues) interruptAsked = false;
            send(reply);
            if (p === 'QStartNoAckMode') ack = false;
            if (p === 'D') socket.end();
          }).catch((e: Error) => { log(`internal error: ${e.stack ?? e.message}`); socket.destroy(); })
            .finally(() => { if (--pending === 0) interruptAsked = false; });
        }
      }
    });
  });
}
