import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultImageDir } from '../session/default-images.js';
import { runSession } from '../session/run-session.js';
import { ScriptInput } from '@prnr/machine';

const CTRL_A = 0x01;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('boot the guest (by default the committed default guest) and connect the console')
    .option('--image <dir>', 'guest image directory with manifest.json', defaultImageDir())
    .option('--mem <MiB>', 'RAM size in MiB', (v) => Number.parseInt(v, 10))
    .option('--disk <file>', 'raw disk image for virtio-blk (default: the image set\'s disk; writes stay in memory)')
    .option('--script <file>', 'type this file into the console, one line per shell prompt, instead of the keyboard')
    .addHelpText('after', '\nInteractive: Ctrl-A x quits.\n\nExamples:\n  prnr run\n  prnr run --script guest/workloads/smoke.sh\n  prnr run --mem 128 --disk my.ext4\n')
    .action(async (opts: { image: string; mem?: number; disk?: string; script?: string }) => {
      const out = process.stdout;
      let quit = false;
      let input;
      let observe = (_b: number) => {};
      if (opts.script) {
        const s = new ScriptInput(readFileSync(opts.script, 'utf8'));
        observe = (b) => s.observe(b);
        input = s;
      } else {
        const queue: number[] = [];
        let sawCtrlA = false;
        if (process.stdin.isTTY) process.stdin.setRawMode(true);
        process.stdin.on('data', (d: Buffer) => {
          for (const b of d) {
            if (sawCtrlA && b === 0x78 /* x */) quit = true;
            else if (b !== CTRL_A) queue.push(b);
            sawCtrlA = b === CTRL_A;
          }
        });
        process.stdin.resume();
        input = { next: () => queue.shift() ?? null };
        if (process.stdin.isTTY) process.stderr.write('prnr: booting; Ctrl-A x quits\r\n');
      }
      const buf: number[] = [];
      const flush = () => { if (buf.length) { out.write(Buffer.from(buf)); buf.length = 0; } };
      const timer = setInterval(flush, 20);
      try {
        const r = await runSession({
          imageDir: opts.image,
          memMiB: opts.mem,
          disk: opts.disk ? readFileSync(opts.disk) : undefined,
          input,
          output: { write: (b) => { buf.push(b); observe(b); if (buf.length > 4096) flush(); } },
          realtime: !opts.script,
          shouldStop: () => quit,
        });
        flush();
        if (r.stopped === 'poweroff' && r.power) {
          process.exitCode = r.power.action === 'fail' ? (r.power.code || 1) : 0;
        } else if (r.stopped === 'hung') {
          process.stderr.write(`\nprnr: the guest is idle with no timer and no input left after ${r.steps} steps: stopping\n`);
          process.exitCode = 3;
        } else if (r.stopped === 'user') {
          process.stderr.write('\r\nprnr: quit\r\n');
        }
      } finally {
        clearInterval(timer);
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      }
    });
}
