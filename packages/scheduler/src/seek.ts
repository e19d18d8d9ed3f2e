/**
 * Arbitrary replay: the machine as it was at any icount. Restores the last
 * snapshot at or before the target, replays forward, stops exactly there.
 * Costs at most one slice of replay.
 */
import { ABI_REGISTER_NAMES, peekVirtual, type Hart } from '@prnr/cpu';
import { replayTo, type RecordingSource } from '@prnr/recording';

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
  csrs: Record<string, string>;
  /** The console up to this point: earlier slices' recorded output, then this slice's replayed output. */
  console: string;
  memory?: { address: string; bytes: string | null };
}

export async function seek(source: RecordingSource, icount: number, o: SeekOptions = {}): Promise<SeekResult> {
  const out: number[] = [];
  const { machine, slice } = await replayTo(source, icount, { output: { write: (b) => out.push(b) }, onProgress: o.onProgress });
  const hart = machine.hart;
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
    csrs: { satp: hex(hart.satp), sstatus: hex(BigInt(hart.mstatus)), sepc: hex(hart.sepc), scause: hex(hart.scause), stval: hex(hart.stval), sscratch: hex(hart.sscratch) },
    console: Buffer.concat([...before, Uint8Array.from(out)]).toString('latin1'),
  };
  if (o.memory) {
    const m = o.memory;
    const bytes = m.virtual ? peekVirtual(hart.bus.ram, hart.satp, m.address, m.length) : peekPhysical(hart, m.address, m.length);
    result.memory = { address: hex(m.address), bytes: bytes ? Buffer.from(bytes).toString('hex') : null };
  }
  return result;
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
