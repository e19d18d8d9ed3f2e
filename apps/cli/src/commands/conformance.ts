import type { Command } from 'commander';
import { runSuite } from '../conformance/run-suite.js';
import type { ConformanceResult } from '../conformance/run-suite.js';

function describe(r: ConformanceResult): string {
  const name = r.name.padEnd(26);
  const n = `${r.icount} insns`;
  switch (r.status) {
    case 'pass': return `pass     ${name} ${n}`;
    case 'fail': return `FAIL     ${name} ${n}  failing test ${r.testNumber} at pc 0x${r.pc?.toString(16)}`;
    case 'timeout': return `TIMEOUT  ${name} ${n}  no result reported; pc 0x${r.pc?.toString(16)}`;
    default: return `ERROR    ${name} ${r.detail ?? ''}`;
  }
}

export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('run the riscv-tests ISA suite listed in <dir>/manifest.json on the hart')
    .argument('<dir>', 'directory holding manifest.json and isa/ (e.g. ../shared/conformance/riscv-tests)')
    .option('--filter <regex>', 'only tests whose name matches')
    .option('--json', 'one JSON object per test, then a summary object')
    .addHelpText('after', '\nExamples:\n  prnr conformance ../shared/conformance/riscv-tests\n  prnr conformance ../shared/conformance/riscv-tests --filter "rv64ud-"\n')
    .action((dir: string, opts: { filter?: string; json?: boolean }) => {
      let passed = 0, failed = 0;
      for (const r of runSuite(dir, { filter: opts.filter ? new RegExp(opts.filter) : undefined })) {
        if (r.status === 'pass') passed++; else failed++;
        if (opts.json) console.log(JSON.stringify({ ...r, icount: Number(r.icount), pc: r.pc === undefined ? undefined : `0x${r.pc.toString(16)}` }));
        else console.log(describe(r));
      }
      if (opts.json) console.log(JSON.stringify({ passed, failed }));
      else console.log(`${passed} passed, ${failed} failed`);
      if (passed + failed === 0) {
        console.error('prnr: no test matched');
        process.exitCode = 1;
      } else if (failed > 0) process.exitCode = 1;
    });
}
