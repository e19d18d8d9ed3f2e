import type { Command } from 'commander';
import { disassemble } from '@prnr/cpu';
import { seek } from '@prnr/scheduler';
import { UsageError } from '../usage-error.js';
import { openRecordingDir, RECORDED_MODULES_OPTION } from '../session/open-recording.js';
import { wholeNumberOption } from '../number-options.js';

export function registerSeek(program: Command): void {
  program
    .command('seek')
    .description('show the machine at any icount: restore the nearest snapshot before it, replay forward, stop exactly there')
    .argument('<recording>', 'recording directory')
    .requiredOption('--icount <n>', 'the position: instructions since power-on', wholeNumberOption('--icount', 0, undefined, 'instructions'))
    .option('--memory <addr:len>', 'also dump memory, e.g. 0x80200000:64 (physical) or with --virtual a guest virtual address; ADDR and LEN in decimal or 0x hex')
    .option('--virtual', '--memory is a virtual address, translated through the guest\'s page tables at that point')
    .option('--console-lines <n>', 'lines of console to show (default 20; 0: all)', wholeNumberOption('--console-lines', 0), 20)
    .option('--json', 'print as JSON')
    .option(...RECORDED_MODULES_OPTION)
    .addHelpText('after', '\nExamples:\n  prnr seek smoke.rec --icount 123456789\n  prnr seek smoke.rec --icount 5e8 --memory 0xffffffff80e0b000:32 --virtual\n')
    .action(async (dir: string, opts: { icount: number; memory?: string; virtual?: boolean; consoleLines: number; json?: boolean; useRecordedModules?: boolean }) => {
      const rec = openRecordingDir(dir, { recordedModules: opts.useRecordedModules });
      let memory;
      if (opts.memory) {
        const m = /^(0x[0-9a-f]+|\d+):(0x[0-9a-f]+|\d+)$/i.exec(opts.memory.trim());
        const length = m ? Number(m[2]) : NaN;
        if (!(length >= 1 && length <= 1 << 20)) throw new UsageError(`--memory: expected ADDR:LEN with LEN from 1 byte to 1 MiB, got "${opts.memory}"`);
        memory = { address: BigInt(m![1]), length, virtual: !!opts.virtual };
      }
      const r = await seek(rec, opts.icount, { memory });
      const dis = r.instruction === null ? '(not readable)' : disassemble(r.instruction, BigInt(r.pc)).text;
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...r, disassembly: dis }, null, 2) + '\n');
        return;
      }
      // A final newline ends the last line rather than starting an empty one.
      const text = r.console.endsWith('\n') ? r.console.slice(0, -1) : r.console;
      if (r.console === '') process.stdout.write(`--- no console output up to icount ${r.icount} ---\n--- machine ---\n`);
      else {
        const lines = text.split('\n');
        const shown = opts.consoleLines > 0 ? lines.slice(-opts.consoleLines) : lines;
        process.stdout.write(`--- console up to icount ${r.icount} (last ${shown.length} lines) ---\n${shown.join('\n')}\n--- machine ---\n`);
      }
      process.stdout.write(`icount ${r.icount} (slice ${r.slice})  priv ${r.priv}  pc ${r.pc}  ${r.instruction === null ? '' : `${r.instruction.toString(16).padStart(r.instruction > 0xffff ? 8 : 4, '0')}  `}${dis}\n`);
      const names = Object.keys(r.registers);
      for (let i = 0; i < names.length; i += 4) process.stdout.write(names.slice(i, i + 4).map((n) => `${n.padStart(4)} ${r.registers[n]}`).join('  ') + '\n');
      process.stdout.write(Object.entries(r.csrs).map(([k, v]) => `${k} ${v}`).join('  ') + '\n');
      if (r.memory) process.stdout.write(`memory at ${r.memory.address}: ${r.memory.bytes === null ? 'not mapped' : hexdump(Buffer.from(r.memory.bytes, 'hex'))}\n`);
    });
}

function hexdump(b: Buffer): string {
  const rows: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const chunk = b.subarray(i, i + 16);
    rows.push(`\n  +${i.toString(16).padStart(4, '0')}  ${[...chunk].map((x) => x.toString(16).padStart(2, '0')).join(' ').padEnd(48)}  ${[...chunk].map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('')}`);
  }
  return rows.join('');
}
