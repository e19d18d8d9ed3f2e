/**
 * `prnr gdb` driven by Debian's gdb-multiarch in batch mode over the demo
 * recording (the default guest running the demo's workload): break at a
 * kernel function, continue, read registers and memory, stepi,
 * reverse-stepi, a write watchpoint on jiffies_64 with reverse-continue;
 * every position, pc, register and memory value GDB shows is checked against
 * `prnr seek` at the same icount. Also: stepi is one instruction over sret and
 * ecall, a watchpoint survives a move to where its page is unmapped, a damaged
 * recording fails one command and leaves the debugger where it was, and a
 * port probe does not end the server.
 * Without gdb-multiarch it is skipped, or fails under CI=true (testing/host-tools.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSystemMap } from '@prnr/debugger';
import { gdbMultiarch } from './testing/host-tools.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const DEMO = fileURLToPath(new URL('../../../guest/workloads/buggy.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-gdb-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
  rmSync(tmp, { recursive: true, force: true });
}, 60_000);

function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}

interface SeekJson { icount: number; pc: string; registers: Record<string, string>; memory?: { bytes: string | null }; disassembly: string }
function seekAt(rec: string, icount: number, memory?: string): SeekJson {
  const r = prnr('seek', rec, '--icount', String(icount), '--json', ...(memory ? ['--memory', memory, '--virtual'] : []));
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SeekJson;
}

/** Starts `prnr gdb` on a free port; resolves with the port once it listens. */
function serve(rec: string, ...args: string[]): Promise<{ port: number; stderr: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, 'gdb', rec, '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = / on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ port: Number(m[1]), stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`prnr gdb exited (${code}) before listening: ${err}`)));
  });
}

/** The first lines of every script: no pager or questions in batch mode, then the connection. */
const attach = (port: number) => ['set pagination off', 'set confirm off', `target remote 127.0.0.1:${port}`];

/** Runs a gdb script in batch mode; returns its output split at `echo @NAME` markers. */
function gdb(symbols: string, script: string): { out: string; at: Record<string, string> } {
  const file = join(tmp, 'session.gdb');
  writeFileSync(file, script);
  // One file for stdout and stderr keeps them in order (`monitor` output goes to stderr).
  const log = join(tmp, 'session.log');
  const fd = openSync(log, 'w');
  const r = spawnSync('gdb-multiarch', ['-batch', '-nx', symbols, '-x', file], { stdio: ['ignore', fd, fd], timeout: 240_000 });
  closeSync(fd);
  const out = readFileSync(log, 'utf8');
  if (process.env.PRNR_GDB_TEST_DEBUG) console.log(out);
  expect(r.status, out).toBe(0);
  const at: Record<string, string> = {};
  for (const part of out.split('\n@').slice(1)) {
    const nl = part.indexOf('\n');
    at[part.slice(0, nl).trim()] = part.slice(nl + 1);
  }
  return { out, at };
}

/** The `monitor icount` line and the `printf` register line of one marked section. */
function position(section: string): { icount: number; regs: Record<string, string> } {
  const icount = Number(/^(\d+)$/m.exec(section)?.[1]);
  const regs: Record<string, string> = {};
  for (const m of section.matchAll(/\b(pc|ra|sp|a0|a1|a2)=0x([0-9a-f]+)/g)) regs[m[1]] = `0x${m[2].padStart(16, '0')}`;
  return { icount, regs };
}

const REGS = ['pc', 'ra', 'sp', 'a0', 'a1', 'a2'];
const PRINT_REGS = `printf "${REGS.map((r) => `${r}=0x%lx`).join(' ')}\\n", ${REGS.map((r) => `$${r}`).join(', ')}\n`;

function expectMatchesSeek(rec: string, where: { icount: number; regs: Record<string, string> }, memory?: string): SeekJson {
  const s = seekAt(rec, where.icount, memory);
  expect(where.regs.pc).toBe(s.pc);
  for (const r of REGS.slice(1)) expect(where.regs[r], r).toBe(s.registers[r]);
  return s;
}

/** Waits for `cond`, polling; fails with `what` after `ms`. */
async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(gdbMultiarch.skip)('prnr gdb under gdb-multiarch', () => {
  // The demo recording: the demo's workload recorded as `prnr demo` records it (about 96M
  // instructions to its poweroff; timer ticks start about 80M into the boot, the first open() soon after).
  const rec = join(tmp, 'demo.rec');
  const symbols = join(tmp, 'vmlinux.sym');
  beforeAll(() => {
    gdbMultiarch.require();
    const r = prnr('record', '-o', rec, '--script', DEMO, '-q');
    expect(r.status, r.stderr).toBe(0);
  }, 300_000);

  it('breaks in the kernel, steps both ways, and reverse-continues to the last write of jiffies_64, as prnr seek shows them', async () => {
    const server = await serve(rec, '--symbol-file', symbols, '-j', '2');
    expect(server.stderr()).toMatch(/wrote \d{4,} kernel symbols/);
    // A connection that closes without a packet (a port probe) does not end the server.
    const probe = connect({ port: server.port, host: '127.0.0.1' });
    probe.on('error', () => {});
    probe.on('connect', () => probe.end());
    await until(() => /closed without sending a packet; still waiting for a debugger/.test(server.stderr()), 'the server to see the probe close');
    const { out, at } = gdb(symbols, [
      ...attach(server.port),
      'break do_sys_openat2',
      'continue',
      'echo @break\\n', 'monitor icount', PRINT_REGS, 'printf "stack=0x%lx\\n", *(unsigned long *)$sp',
      'stepi',
      'echo @stepi\\n', 'monitor icount', PRINT_REGS,
      'reverse-stepi',
      'echo @reverse-stepi\\n', 'monitor icount', PRINT_REGS,
      'delete',
      'watch *(unsigned long *)&jiffies_64',
      'reverse-continue',
      'echo @watch\\n', 'monitor icount', PRINT_REGS, 'printf "jiffies=0x%lx\\n", *(unsigned long *)&jiffies_64',
      'echo @write\\n',
      // An error would end the batch script: catch it and print it.
      'python',
      'try:',
      '    gdb.execute("set {unsigned long}&jiffies_64 = 0")',
      'except gdb.error as e:',
      '    print("write refused:", e)',
      'end',
      '',
    ].join('\n'));
    // Memory writes are refused (GDB says it cannot access the memory; the server says why).
    expect(at.write).toMatch(/write refused: Cannot access memory at address 0xffffffff80[0-9a-f]+/);

    const brk = position(at.break);
    expect(out).toMatch(/Breakpoint 1, 0x[0-9a-f]+ in do_sys_openat2 \(\)/);
    const s = expectMatchesSeek(rec, brk, `${brk.regs.sp}:8`);
    const stack = s.memory!.bytes!;
    expect(/stack=0x([0-9a-f]+)/.exec(at.break)![1].padStart(16, '0')).toBe(Buffer.from(stack, 'hex').reverse().toString('hex'));
    expect(s.disassembly).not.toBe('(not readable)');

    const step = position(at.stepi);
    expect(step.icount).toBe(brk.icount + 1);
    expectMatchesSeek(rec, step);
    const back = position(at['reverse-stepi']);
    expect(back).toEqual(brk);

    // reverse-continue with the watchpoint: GDB stops on the store that last wrote jiffies_64.
    const w = position(at.watch);
    expect(w.icount).toBeLessThan(brk.icount);
    expect(out).toMatch(/Hardware watchpoint 2: \*\(unsigned long \*\)&jiffies_64\s+Old value = \d+\s+New value = \d+/);
    const jiffies = `0x${kernelAddress('jiffies_64')}:8`;
    const ws = expectMatchesSeek(rec, w, jiffies);
    expect(ws.disassembly).toMatch(/^s[bhwd] /); // a store
    const before = ws.memory!.bytes;
    const after = seekAt(rec, w.icount + 1, jiffies).memory!.bytes;
    const atBreak = seekAt(rec, brk.icount, jiffies).memory!.bytes;
    expect(after).not.toBe(before); // this store wrote it ...
    expect(after).toBe(atBreak); // ... and nothing wrote it again before the breakpoint
    expect(/jiffies=0x([0-9a-f]+)/.exec(at.watch)![1].padStart(16, '0')).toBe(Buffer.from(before!, 'hex').reverse().toString('hex'));
    // The debugger detached at the end of its script: the server says so and exits.
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/\nprnr: debugger disconnected \(it detached\); exiting\n$/);
    expect(server.stderr()).toMatch(/refused a memory write at 0xffffffff80[0-9a-f]+: the past is read-only/);
  }, 600_000);

  it('stepi runs exactly one instruction over an sret and over a user ecall; signal SIGINT continues', async () => {
    const server = await serve(rec, '--symbol-file', symbols);
    const { out, at } = gdb(symbols, [
      ...attach(server.port),
      'python',
      'def icount():',
      '    return int(gdb.execute("monitor icount", to_string=True))',
      'def reg(r):',
      '    return int(gdb.parse_and_eval("$" + r)) & 0xffffffffffffffff',
      'def word():',
      '    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(reg("pc"), 4)), "little")',
      'def step(name):',
      '    before, insn, priv, sepc = icount(), word(), reg("priv"), reg("sepc")',
      '    gdb.execute("stepi", to_string=True)',
      '    print("@%s\\ninsn=%x priv=%d sepc=%x before=%d after=%d pc=%x" % (name, insn, priv, sepc, before, icount(), reg("pc")))',
      // The kernel's return from a trap ends in sret: step up to it.
      'gdb.execute("break restore_all", to_string=True)',
      'gdb.execute("continue", to_string=True)',
      'gdb.execute("delete", to_string=True)',
      'for _ in range(200):',
      '    if word() == 0x10200073: break',
      '    gdb.execute("stepi", to_string=True)',
      'step("sret")',
      // A system call: the trap handler entered from U-mode with scause 8; one step back is the ecall.
      'gdb.execute("break handle_exception if $scause == 8", to_string=True)',
      'gdb.execute("continue", to_string=True)',
      'gdb.execute("delete", to_string=True)',
      'gdb.execute("reverse-stepi", to_string=True)',
      'step("ecall")',
      'end',
      'break do_sys_openat2',
      'signal SIGINT',
      'echo @signal\\n', 'monitor icount',
      '',
    ].join('\n'));
    const handleException = BigInt(`0x${kernelAddress('handle_exception')}`);
    const stepped = (name: string) => {
      const m = /^insn=([0-9a-f]+) priv=(\d) sepc=([0-9a-f]+) before=(\d+) after=(\d+) pc=([0-9a-f]+)$/m.exec(at[name] ?? '');
      expect(m, out).not.toBeNull();
      return { insn: Number.parseInt(m![1], 16), priv: Number(m![2]), sepc: BigInt(`0x${m![3]}`), before: Number(m![4]), after: Number(m![5]), pc: BigInt(`0x${m![6]}`) };
    };
    const sret = stepped('sret');
    expect(sret.insn).toBe(0x10200073);
    expect(sret.after).toBe(sret.before + 1);
    expect(sret.pc).toBe(sret.sepc); // sret went to sepc
    const ecall = stepped('ecall');
    expect(ecall.insn).toBe(0x00000073);
    expect(ecall.priv).toBe(0); // from user mode
    expect(ecall.after).toBe(ecall.before + 1);
    expect(ecall.pc).toBe(handleException); // trapped straight into the kernel's handler
    // `signal SIGINT` (C02) resumes as continue does (a replay cannot deliver a signal).
    expect(out).toMatch(/Breakpoint \d+, 0x[0-9a-f]+ in do_sys_openat2 \(\)/);
    expect(position(at.signal).icount).toBeGreaterThan(ecall.after);
    expect(await server.exited).toBe(0);
  }, 600_000);

  it('a watchpoint set where jiffies_64 is mapped still works after a move to icount 0, where it is not', async () => {
    const server = await serve(rec, '--symbol-file', symbols);
    const { out, at } = gdb(symbols, [
      ...attach(server.port),
      'break do_sys_openat2',
      'continue',
      'delete',
      'watch *(unsigned long *)&jiffies_64',
      'reverse-continue', // GDB sets the watchpoint here, where jiffies_64 is mapped
      'monitor seek 0',
      'maintenance flush register-cache',
      'echo @start\\n', 'monitor icount',
      'continue', // and sets it again at icount 0, where paging is off
      'echo @continue\\n', 'monitor icount', PRINT_REGS,
      'reverse-continue',
      'echo @back\\n', 'monitor icount', PRINT_REGS,
      '',
    ].join('\n'));
    expect(out).not.toMatch(/Could not insert/);
    expect(position(at.start).icount).toBe(0);
    // Forward GDB ends just after the store, backward on it: the first store to jiffies_64.
    const after = position(at.continue);
    const store = position(at.back);
    expect(after.icount).toBe(store.icount + 1);
    expectMatchesSeek(rec, after);
    const jiffies = `0x${kernelAddress('jiffies_64')}:8`;
    const s = expectMatchesSeek(rec, store, jiffies);
    expect(s.disassembly).toMatch(/^(c\.)?s[bhwd] /);
    expect(seekAt(rec, store.icount + 1, jiffies).memory!.bytes).not.toBe(s.memory!.bytes);
    expect(await server.exited).toBe(0);
  }, 600_000);

  it('a damaged log segment fails monitor seek and continue, each saying why, and the debugger stays where it was', async () => {
    const copy = join(tmp, 'damaged.rec');
    cpSync(rec, copy, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(copy, 'recording.json'), 'utf8')) as { slices: Array<{ startIcount: number; log: string }> };
    const slice = manifest.slices[5];
    const seg = join(copy, slice.log);
    const bytes = readFileSync(seg);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(seg, bytes);
    const start = slice.startIcount - 1000;
    const server = await serve(copy, '--symbol-file', symbols, '--icount', String(start));
    const { out, at } = gdb(symbols, [
      ...attach(server.port),
      'echo @seek\\n', `monitor seek ${slice.startIcount + 1000}`,
      'echo @continue\\n', 'continue',
      'echo @after\\n', 'monitor icount', PRINT_REGS,
      'stepi',
      'echo @stepi\\n', 'monitor icount',
      '',
    ].join('\n'));
    const stays = `\\(the debugger stays at icount ${start}\\)`;
    // monitor's error is output GDB prints (not "Invalid hex digit"); continue's is a failure reply.
    expect(at.seek).toMatch(new RegExp(`^error: .*log/000005\\.seg: .*checksum mismatch .*${stays}$`, 'm'));
    expect(at.continue).toMatch(new RegExp(`Remote failure reply: E\\..*log/000005\\.seg: .*checksum mismatch .*${stays}$`, 'm'));
    expect(out).not.toMatch(/Invalid hex digit|Cannot read properties/);
    const here = position(at.after);
    expect(here.icount).toBe(start);
    expectMatchesSeek(rec, here);
    expect(position(at.stepi).icount).toBe(start + 1);
    expect(await server.exited).toBe(0);
  }, 600_000);
});

function kernelAddress(name: string): string {
  const sym = readSystemMap(fileURLToPath(new URL('../../../guest/images/System.map.zst', import.meta.url))).find((x) => x.name === name);
  if (!sym) throw new Error(`no ${name} in System.map`);
  return sym.address.toString(16);
}
