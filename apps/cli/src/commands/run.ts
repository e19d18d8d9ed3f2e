import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { defaultImageDir } from '../session/default-images.js';
import { openHostConsole } from '../session/host-console.js';
import { runSession } from '../session/run-session.js';

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
      const con = openHostConsole({ script: opts.script });
      try {
        const r = await runSession({
          imageDir: opts.image,
          memMiB: opts.mem,
          disk: opts.disk ? readFileSync(opts.disk) : undefined,
          input: con.input,
          output: con.output,
          realtime: con.interactive,
          shouldStop: con.quitRequested,
        });
        con.close();
        if (r.stopped === 'poweroff' && r.power) {
          process.exitCode = r.power.action === 'fail' ? (r.power.code || 1) : 0;
        } else if (r.stopped === 'hung') {
          process.stderr.write(`\nprnr: the guest is idle with no timer and no input left after ${r.steps} steps: stopping\n`);
          process.exitCode = 3;
        } else if (r.stopped === 'user') {
          process.stderr.write('\r\nprnr: quit\r\n');
        }
      } finally {
        con.close();
      }
    });
}
