/**
 * Arbitrary replay: the machine as it was at any icount. Restores the last
 * snapshot at or before the target (unless the machine already stands before
 * it, within reach), replays forward, stops exactly there. Costs at most about
 * one slice of replay.
 */
import { ABI_REGISTER_NAMES, CSR, peekCsr, peekVirtual, type Hart } from '@prnr/cpu';
import { ReplaySession, type RecordingSource } from '@prnr/recording';

const PRIV = ['U', 'S', '?', 'M'];

export interface SeekOptions {
  /** Also read memory: a physical range, or a virtual one through the guest's page tables at that point. */
  memory?: { address: bigint; length: number; virtual?: boolean };
  onProgress?: (icount: number) => void;
}

export interface SeekResult {
  icount: number;
  slice: number;
  pc: string;
  priv: 'U' | 'S' | 'M' | '?';
  /** The raw instruction at pc (32 bits; the low 16 for a compressed one), null if pc is not readable. */
  instruction: number | null;
  registers: Record<string, string>;
  /** satp, sstatus (as the guest reads it: the supervisor's view of mstatus), sepc, scause, stval, sscratch. */
  csrs: Record<string, string>;
  /** The console up to this point: earlier slices' recorded output, then this slice's replayed output. */
  console: string;
  memory?: { address: string; bytes: string | null };
}

/**
 * Seeks over one recording with a machine kept between seeks: a seek forward
 * within reach runs on from where the last one stopped, others restore the
 * nearest snapshot. A server keeps one per recording, so its time-travel
 * slider stays interactive.
 */
export class Seeker {
  readonly session: ReplaySession;
  /** The console replayed since the start of the session's current slice. */
  private out: number[] = [];

  constructor(readonly source: RecordingSource) {
    this.session = new ReplaySession(source, {
      output: { write: (b) => this.out.push(b) },
      onSliceStart: () => { this.out = []; },
    });
  }

  async seek(icount: number, o: SeekOptions = {}): Promise<SeekResult> {
    const { source, session } = this;
    await session.seek(icount, { onProgress: o.onProgress });
    const slice = session.slice!;
    const hart = session.machine!.hart;
    const before: Uint8Array[] = [];
    for (const s of source.manifest.slices) {
      if (s.index >= slice.index) break;
      if (s.console) before.push(await source.store.get(s.console));
    }
    const registers: Record<string, string> = {};
    for (let i = 1; i < 32; i++) registers[ABI_REGISTER_NAMES[i]] = hex(hart.getX(i));
    const result: SeekResult = {
      icount,
      slice: slice.index,
      pc: hex(hart.pc),
      priv: PRIV[hart.priv] as SeekResult['priv'],
      instruction: peekInstruction(hart),
      registers,
      csrs: { satp: hex(hart.satp), sstatus: hex(peekCsr(hart, CSR.sstatus)!), sepc: hex(hart.sepc), scause: hex(hart.scause), stval: hex(hart.stval), sscratch: hex(hart.sscratch) },
      console: Buffer.concat([...before, Uint8Array.from(this.out)]).toString('latin1'),
    };
    if (o.memory) {
      const m = o.memory;
      const bytes = m.virtual ? peekVirtual(hart.bus.ram, hart.satp, m.address, m.length) : peekPhysical(hart, m.address, m.length);
      result.memory = { address: hex(m.address), bytes: bytes ? Buffer.from(bytes).toString('hex') : null };
    }
    return result;
  }
}

/** The machine at `icount`, once (a Seeker kept between calls makes later seeks cheaper). */
export function seek(source: RecordingSource, icount: number, o: SeekOptions = {}): Promise<SeekResult> {
  return new Seeker(source).seek(icount, o);
}

function hex(v: bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

function peekPhysical(hart: Hart, paddr: bigint, len: number): Uint8Array | null {
  const ram = hart.bus.ram;
  const a = Number(paddr);
  return ram.contains(a, len) ? ram.read(a, len) : null;
}

function peekInstruction(hart: Hart): number | null {
  // M-mode runs untranslated; S and U through satp.
  const satp = hart.priv === 3 ? 0n : hart.satp;
  const lo = peekVirtual(hart.bus.ram, satp, hart.pc, 2);
  if (!lo) return null;
  if ((lo[0] & 3) !== 3) return lo[0] | (lo[1] << 8);
  const w = peekVirtual(hart.bus.ram, satp, hart.pc, 4);
  return w ? (w[0] | (w[1] << 8) | (w[2] << 16) | (w[3] << 24)) >>> 0 : null;
}
