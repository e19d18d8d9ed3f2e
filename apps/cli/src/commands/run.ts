import type { Command } from 'commander';
import { defaultImageDir } from '../session/default-images.js';
import { openHostConsole } from '../session/host-console.js';
import { runSession } from '../session/run-session.js';
import { readDiskImage } from '../session/disk-image.js';
import { MEM_OPTION_HELP, parseMemMiB } from '../session/mem-option.js';
import { collectDevice, DEVICE_OPTION_HELP, loadDeviceOptions } from '../session/device-options.js';
import { NET_OPTION_HELP, openUserNetwork } from '../session/user-net.js';
import { loadUserCodeCache, saveUserCodeCache, warnOnStderr } from '../session/user-code-cache.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('boot the guest (by default the committed default guest) and connect the console')
    .option('--image <dir>', 'guest image directory with manifest.json', defaultImageDir())
    .option('--mem <MiB>', MEM_OPTION_HELP, parseMemMiB)
    .option('--disk <file>', 'raw disk image for virtio-blk (default: the image set\'s disk; writes stay in memory)')
    .option('--script <file>', 'type this file into the console, one line per shell prompt, instead of the keyboard')
    .option('--cmdline <text>', 'kernel command line (default: the image set\'s)')
    .option('--device <module[,key=value...]>', DEVICE_OPTION_HELP, collectDevice)
    .option('--net <spec>', NET_OPTION_HELP)
    .addHelpText('after', '\nInteractive: Ctrl-A x quits.\n\nExamples:\n  prnr run\n  prnr run --script guest/workloads/smoke.sh\n  prnr run --mem 128 --disk my.ext4\n  prnr run --net user,hostfwd=tcp::8080-:80\n')
    .action(async (opts: { device?: string[]; image: string; mem?: number; disk?: string; script?: string; cmdline?: string; net?: string }) => {
      const net = opts.net !== undefined ? await openUserNetwork(opts.net) : undefined;
      const devices = await loadDeviceOptions(opts.device);
      const codeCache = await loadUserCodeCache(warnOnStderr);
      const con = openHostConsole({ script: opts.script });
      try {
        const r = await runSession({
          devices,
          imageDir: opts.image,
          memMiB: opts.mem,
          cmdline: opts.cmdline,
          disk: opts.disk ? readDiskImage(opts.disk) : undefined,
          input: con.input,
          output: con.output,
          packets: net,
          // With a network, idle time follows the wall clock: the guest waits on hosts that live in real time.
          realtime: con.interactive || net !== undefined,
          shouldStop: con.quitRequested,
        });
        con.close();
        await saveUserCodeCache(codeCache, warnOnStderr);
        if (r.stopped === 'poweroff' && r.power) {
          process.exitCode = r.power.action === 'fail' ? (r.power.code || 1) : 0;
        } else if (r.stopped === 'hung') {
          process.stderr.write(`\nprnr: the guest is idle with no timer and no input left after ${r.steps} steps: stopping\n`);
          process.exitCode = 3;
        } else if (r.stopped === 'user') {
          process.stderr.write('\r\nprnr: quit\r\n');
          if (con.interrupted()) process.exitCode = 130;
        }
      } finally {
        con.close();
        await net?.close();
      }
    });
}
