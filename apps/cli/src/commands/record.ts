import type { Command } from 'commander';
import { DeviceModuleError } from '@prnr/devices';
import { guestBoard } from '@prnr/machine';
import { DEFAULT_SLICE_SECONDS, DEFAULT_SLICE_STEPS, RecordSession, type RecordResult } from '@prnr/recording';
import { defaultImageDir, readGuestProfile } from '../session/default-images.js';
import { loadImages } from '../session/load-images.js';
import { hostClock, hostEntropy } from '../session/host-ports.js';
import { exitStatusOf, openHostConsole } from '../session/host-console.js';
import { formatBytes, formatCount } from '../format.js';
import { readDiskImage } from '../session/disk-image.js';
import { failedStartCleanup } from '../session/failed-start.js';
import { checkNewRecordingDir, EXIT_RECORDING_FAILED, reportDeviceFailure, reportIncomplete } from '../session/record-outcome.js';
import { MEM_OPTION_HELP, parseMemMiB } from '../session/mem-option.js';
import { collectDevice, DEVICE_OPTION_HELP, deviceStartRefusal, loadDeviceOptions, withDevices } from '../session/device-options.js';
import { NET_OPTION_HELP, openUserNetwork } from '../session/user-net.js';
import { numberOption, wholeNumberOption } from '../number-options.js';
import { loadUserCodeCache, saveUserCodeCache, warnOnStderr } from '../session/user-code-cache.js';

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('run the guest and record it: every input, a snapshot per slice, checkpoints of the hart')
    .option('-o, --out <dir>', 'the recording directory to create', `recording-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`)
    .option('--image <dir>', 'guest image directory with manifest.json', defaultImageDir())
    .option('--mem <MiB>', MEM_OPTION_HELP, parseMemMiB)
    .option('--disk <file>', 'raw disk image for virtio-blk (default: the image set\'s disk; writes stay in the recording)')
    .option('--script <file>', 'type this file into the console, one line per shell prompt (default: interactive)')
    .option('--cmdline <text>', 'kernel command line (default: the image set\'s)')
    .option('--device <module[,key=value...]>', `${DEVICE_OPTION_HELP}; the recording names the module by path and sha256`, collectDevice)
    .option('--slice-insns <n>', `cut a slice every n instructions (default ${DEFAULT_SLICE_STEPS})`, wholeNumberOption('--slice-insns', 1))
    .option('--slice-seconds <s>', `also cut a slice after s seconds of recording it (default ${DEFAULT_SLICE_SECONDS} unless --slice-insns is given; 0: by instructions only)`, numberOption('--slice-seconds', 0, 'seconds'))
    .option('--checkpoint-insns <n>', 'log a checkpoint of the hart every n instructions', wholeNumberOption('--checkpoint-insns', 1))
    .option('--max-insns <n>', 'stop recording after n instructions', wholeNumberOption('--max-insns', 1))
    .option('--net <spec>', `${NET_OPTION_HELP}; frames that reach the guest are recorded, a replay needs no network`)
    .option('-q, --quiet', 'do not echo the guest console')
    .addHelpText('after', '\nInteractive: Ctrl-A x ends the recording.\n\nExamples:\n  prnr record -o smoke.rec --script guest/workloads/smoke.sh\n  prnr record -o session.rec\n')
    .action(async (opts: { device?: string[]; out: string; image: string; mem?: number; disk?: string; script?: string; cmdline?: string; sliceInsns?: number; sliceSeconds?: number; checkpointInsns?: number; maxInsns?: number; quiet?: boolean; net?: string }) => {
      checkNewRecordingDir(opts.out); // before anything is loaded or a hostfwd port bound
      const codeCache = await loadUserCodeCache(warnOnStderr); // first: its modules compile on a worker while the rest loads
      const devices = await loadDeviceOptions(opts.device);
      const { config: builtin, images } = guestBoard(loadImages(opts.image), { memMiB: opts.mem, disk: opts.disk ? readDiskImage(opts.disk) : undefined, cmdline: opts.cmdline, network: opts.net !== undefined });
      const net = opts.net !== undefined ? await openUserNetwork(opts.net) : undefined;
      const config = withDevices(builtin, devices);
      const cleanUp = failedStartCleanup(opts.out);
      // SIGTERM and SIGHUP end it as SIGINT does: the recording is finished and marked complete, not left half-written.
      const con = openHostConsole({ script: opts.script, echo: !opts.quiet, stopOn: ['SIGTERM', 'SIGHUP'] });
      try {
        const session = await RecordSession.start({
          dir: opts.out,
          config,
          images,
          plugins: devices.plugins,
          inputs: { consoleInput: con.input, clock: hostClock, entropy: hostEntropy, ...(net ? { packets: net } : {}) },
          output: con.output,
          // With a network, idle time follows the wall clock: the guest waits on hosts that live in real time.
          realtime: con.interactive || net !== undefined,
          profile: readGuestProfile(opts.image),
          sliceSteps: opts.sliceInsns,
          sliceSeconds: opts.sliceSeconds,
          checkpointInterval: opts.checkpointInsns,
          maxSteps: opts.maxInsns,
          shouldStop: con.quitRequested,
          onWarning: warnOnStderr,
        }).catch((e: unknown) => {
          cleanUp(); // a start that failed leaves no directory in the way of the next try
          throw deviceStartRefusal(e);
        });
        let outcome: RecordResult;
        try {
          outcome = await session.finish(await session.run());
        } catch (e) {
          // Cut short: the recording stays marked "recording", its closed slices kept (record-outcome.ts).
          con.close();
          if (e instanceof DeviceModuleError) reportDeviceFailure(e);
          await session.settle();
          await session.release(); // the worker stopped before anything is said or removed
          reportIncomplete(opts.out, cleanUp);
          if (e instanceof DeviceModuleError) {
            process.exitCode = EXIT_RECORDING_FAILED;
            return;
          }
          throw e;
        }
        void session.release();
        con.close();
        await saveUserCodeCache(codeCache, warnOnStderr);
        const { manifest, end } = outcome;
        const s = manifest.stats!;
        process.stderr.write(
          `\nprnr: recorded ${formatCount(s.steps)} instructions in ${s.wallSeconds.toFixed(1)} s into ${opts.out}: ` +
            `${manifest.slices.length} slice(s), ${s.events} events, log ${formatBytes(s.logBytes)} (${(s.logBytes / (s.steps / 1e6)).toFixed(1)} bytes per million instructions); ended by ${manifest.end!.reason}\n`,
        );
        const signal = con.stopSignal();
        if (signal !== null) process.exitCode = exitStatusOf(signal);
        else if (end.reason === 'hung') process.exitCode = 3;
        else if (end.reason === 'halt' && end.power.action === 'fail') process.exitCode = end.power.code || 1;
      } finally {
        con.close();
        await net?.close();
      }
    });
}
