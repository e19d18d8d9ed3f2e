/**
 * The GDB remote serial protocol over a DebugSession (GDB manual, "Remote
 * Protocol": "Packets", "Stop Reply Packets", "General Query Packets",
 * "Target Description Format"). One thread, one hart; reverse execution as
 * `bs`/`bc`; `replaylog:begin`/`replaylog:end` stop replies at either end of
 * the recording; guest memory and registers are read-only.
 *
 * `GdbStub` answers packets (plain strings, testable without a socket);
 * `serveGdb` puts it on a TCP port with framing and acknowledgements.
 * `vCont` is not supported: GDB then resumes with `c`, `C`, `s` and `S`.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { DebugSession, Stop } from './debug-session.js';
import { framePacket, hexLe, MAX_PACKET_BODY, PacketReader, toHex } from './rsp-packets.js';
import { G_PACKET_REGISTERS, REGISTER_BY_NUMBER, targetXml } from './target-description.js';

const WATCH_KINDS = ['write', 'read', 'access'] as const;
/** Stop reply names of the watchpoint kinds (GDB manual, "Stop Reply Packets"). */
const STOP_NAMES = { write: 'watch', read: 'rwatch', access: 'awatch' } as const;
const READ_ONLY = 'E.the past is read-only: prnr replays a recording, and the debugger cannot change it';
const THREAD = 'thread:01;';
/** Largest packet we accept and send (hex digits of a memory read included). */
const PACKET_SIZE = MAX_PACKET_BODY;
const HEX = /^[0-9a-fA-F]{1,16}$/;
/** `Z`/`z` type,addr,kind (no conditions or commands: the stub does not offer them). */
const POINT = /^[zZ]([0-9a-fA-F]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})$/;
/** `C sig[;addr]` and `S sig[;addr]`. */
const WITH_SIGNAL = /^[CS]([0-9a-fA-F]{2})(?:;([0-9a-fA-F]{1,16}))?$/;

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
        // An empty reply would tell GDB that `m` is not supported: a malformed request is an error,
        // and so is a length of 0 (its reply, no bytes, would be empty). `m` takes no `E.` replies.
        const m = /^m([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})$/.exec(p);
        if (!m || Number.parseInt(m[2], 16) === 0) return 'E01';
        const len = Math.min(Number.parseInt(m[2], 16), PACKET_SIZE / 2 - 8);
        const b = dbg.readMemory(BigInt(`0x${m[1]}`), len);
        return b ? toHex(b) : 'E14';
      }
      case 'H': case 'T': return 'OK';
      case 'Z': case 'z': return this.point(p);
      case 'c': return this.resume(p.slice(1), () => dbg.cont());
      case 's': return this.resume(p.slice(1), () => dbg.stepi());
      case 'C': case 'S': {
        // With a signal (GDB's `signal SIGINT`, or passing one on): a replay cannot deliver it, so it
        // resumes as `c` or `s` would.
        const m = WITH_SIGNAL.exec(p);
        if (!m) return `E.malformed packet "${p.slice(0, 40)}": expected ${p[0]}sig[;addr]`;
        return this.resume(m[2] ?? '', () => (p[0] === 'C' ? dbg.cont() : dbg.stepi()));
      }
      case 'b':
        if (p === 'bc') return this.resume('', () => dbg.reverseCont());
        if (p === 'bs') return this.resume('', () => dbg.reverseStepi());
        return '';
      case 'D': return 'OK';
      case 'q': case 'Q': return this.query(p);
      case 'v':
        if (p === 'vKill' || p.startsWith('vKill;')) return 'OK';
        return ''; // vCont? vMustReplyEmpty and the rest: not supported, GDB uses c, C, s, S, bc, bs
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
    if (p.startsWith('qRcmd,')) {
      const cmd = Buffer.from(p.slice(6), 'hex').toString('latin1').trim();
      let out: string;
      try {
        out = await this.monitor(cmd);
      } catch (e) {
        // GDB (13) reads any qRcmd reply but OK and Enn as hex output, and shows no `E.` text: the
        // error goes out as output.
        this.log(`monitor ${cmd}: ${(e as Error).message}`);
        out = `error: ${(e as Error).message}\n`;
      }
      return toHex(Buffer.from(out, 'latin1'));
    }
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
    const malformed = `E.malformed packet "${p.slice(0, 40)}": expected ${p[0]}type,addr,kind`;
    const head = /^[zZ]([0-9a-fA-F])(?:,|$)/.exec(p);
    if (!head) return malformed;
    const type = Number.parseInt(head[1], 16);
    if (type > 4) return ''; // other kinds of point: not supported
    const m = POINT.exec(p);
    if (!m) return malformed;
    const on = p[0] === 'Z';
    const addr = BigInt(`0x${m[2]}`);
    const len = Number.parseInt(m[3], 16);
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

  /** Runs `run` from here; `addr` (hex, or '' for here) is where GDB asks to resume, which must be here. */
  private async resume(addr: string, run: () => Promise<Stop>): Promise<string> {
    if (addr !== '' && !HEX.test(addr)) return `E.malformed resume address "${addr.slice(0, 40)}"`;
    if (addr !== '' && BigInt(`0x${addr}`) !== this.dbg.hart.pc) return READ_ONLY;
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

/** How a debugger's session ended: it detached (`D`), killed (`k`) or its connection closed. */
export type GdbSessionEnd = 'detached' | 'killed' | 'disconnected';

export interface GdbServer {
  readonly port: number;
  /**
   * Resolves when the first debugger has gone (detach, kill or disconnect) and the command it left
   * running has stopped (a disconnect interrupts it), so the session is idle. A debugger is a
   * connection that sent a packet: one that closes without (a port probe) does not count.
   */
  readonly done: Promise<GdbSessionEnd>;
  close(): Promise<void>;
}

/** The reply to the first packet of a debugger that connects while another one is served. */
const BUSY = 'E.prnr gdb serves one debugger at a time, and another one is connected';

/**
 * Serves one debugger at a time on `port` (0: any free one) until it detaches or kills. Another
 * debugger while one is served is answered BUSY and closed: two would move one session under each other.
 */
export function serveGdb(dbg: DebugSession, o: { port: number; host?: string; log?: (line: string) => void }): Promise<GdbServer> {
  const log = o.log ?? (() => {});
  let finish!: (end: GdbSessionEnd) => void;
  const done = new Promise<GdbSessionEnd>((r) => { finish = r; });
  let served: Socket | null = null;
  // Every open connection: server.close() waits for them all, and one that never sends a packet (an
  // idle port probe, a refused client that keeps its side open) would keep it waiting forever.
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    // The session is claimed by the first packet, so a connection that sends none takes nothing.
    const claim = (): boolean => {
      if (served) {
        log(`refused a debugger from ${peer}: another one is connected`);
        return false;
      }
      served = socket;
      // Where an earlier debugger set its watchpoints says nothing about this one's.
      dbg.forgetWatchTranslations();
      log(`debugger connected from ${peer}`);
      return true;
    };
    void connection(socket, new GdbStub(dbg, log), log, claim).then((end) => {
      if (end === null) {
        if (served === null) log(`a connection from ${peer} closed without sending a packet; still waiting for a debugger`);
        return;
      }
      served = null;
      finish(end);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : o.port,
        done,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          for (const s of sockets) s.destroy();
        }),
      });
    });
  });
}

/**
 * One connection: framing, acks, packets answered one at a time, Ctrl-C at any time. Its first packet
 * claims the session (`claim`); refused, it is answered BUSY and closed. Resolves, once the socket
 * closed and the packet being answered is done, with how the debugger's session ended, or null for
 * a connection that never held it. A disconnect interrupts a running continue or reverse-continue,
 * as Ctrl-C would.
 */
function connection(socket: Socket, stub: GdbStub, log: (line: string) => void, claim: () => boolean): Promise<GdbSessionEnd | null> {
  const reader = new PacketReader(PACKET_SIZE);
  let role: 'unclaimed' | 'debugger' | 'refused' = 'unclaimed';
  let end: GdbSessionEnd | null = null;
  let ack = true;
  let last: Buffer | null = null;
  let queue = Promise.resolve();
  // Packets received and not yet answered, and whether a Ctrl-C came while there were any: a
  // continue that had not begun yet must stop at once (it would otherwise clear the interrupt).
  let pending = 0;
  let interruptAsked = false;
  // Nothing goes out once the stub ended its side (after `k` or `D`), or the socket is gone.
  const write = (b: Buffer | string) => {
    if (!socket.writableEnded && !socket.destroyed) socket.write(b);
  };
  const send = (reply: string) => {
    last = framePacket(reply);
    write(last);
  };
  return new Promise((resolve) => {
    socket.on('close', () => {
      if (role !== 'debugger') { resolve(null); return; }
      stub.dbg.interrupt();
      void queue.then(() => resolve(end ?? 'disconnected'));
    });
    socket.on('error', (e) => log(`connection: ${e.message}`));
    socket.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) {
        if (role === 'refused') return;
        if (role === 'unclaimed') {
          // Until a packet arrives this may be no debugger at all: it can neither claim nor interrupt.
          if (m.kind !== 'packet') continue;
          if (!claim()) {
            role = 'refused';
            write('+');
            send(BUSY);
            socket.end();
            // A client that keeps its side open would hold the server's close(): a short grace for
            // the reply to go out, then it is dropped. Unref'd, so it keeps no process alive.
            const drop = setTimeout(() => socket.destroy(), 2_000).unref();
            socket.once('close', () => clearTimeout(drop));
            return;
          }
          role = 'debugger';
        }
        if (m.kind === 'interrupt') {
          // With nothing pending the target is already stopped: GDB expects no reply.
          if (pending > 0) { interruptAsked = true; stub.dbg.interrupt(); }
        }
        else if (m.kind === 'nack' && last) write(last);
        else if (m.kind === 'bad-packet') { if (ack) write('-'); }
        else if (m.kind === 'too-long') {
          // Asking again would bring the same packet: it arrived, and is refused.
          if (ack) write('+');
          queue = queue.then(() => { if (end === null) send(`E.packet longer than the PacketSize (0x${PACKET_SIZE.toString(16)} bytes) this stub takes`); });
        }
        else if (m.kind === 'packet') {
          if (ack) write('+');
          const p = m.payload.toString('latin1');
          pending++;
          queue = queue.then(async () => {
            if (end !== null) return; // after `k` or `D`: nobody is listening for replies
            if (p === 'k') { end = 'killed'; socket.end(); return; }
            const continues = p[0] === 'c' || p[0] === 'C' || p === 'bc';
            const reply = continues && interruptAsked ? stub.interruptedBeforeStart() : await stub.handle(p);
            if (continues) interruptAsked = false;
            send(reply);
            if (p === 'QStartNoAckMode') ack = false;
            if (p === 'D') { end = 'detached'; socket.end(); }
          }).catch((e: Error) => { log(`internal error: ${e.stack ?? e.message}`); socket.destroy(); })
            .finally(() => { if (--pending === 0) interruptAsked = false; });
        }
      }
    });
  });
}
