import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  DebugInfoError, GuestMemory, isSystemMapFile, profileDifferences, profileFromDebugInfo, profileFromSystemMap, systemMapFromBytes,
  SYSTEM_MAP_MESSAGE, type DebugInfoKind, type SystemMapProfile,
} from '@prnr/diagnosis';
import { replayTo } from '@prnr/recording';
import { openRecordingDir } from '../session/open-recording.js';
import { readProfileFile } from '../session/calibrated-profile.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberOption } from '../number-options.js';

interface ProfileOptions { out?: string; release?: string; from?: string; compare?: string; recording?: string; icount?: number }

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('make a guest profile (the task_struct layout diagnosis names processes with) from a kernel\'s debug info (a vmlinux with BTF or DWARF, or raw BTF), or from its System.map and a recording of it')
    .argument('<vmlinux>', 'vmlinux built with CONFIG_DEBUG_INFO_BTF or CONFIG_DEBUG_INFO (DWARF 2-5), or raw BTF (/sys/kernel/btf/vmlinux); or a System.map with --recording; may be zstd-compressed')
    .option('-o, --out <file>', 'write the profile here (default: stdout)')
    .option('--release <text>', 'the kernel release to record in the profile (default: unknown; from a System.map: the recorded kernel\'s linux_banner)')
    .option('--from <kind>', 'which debug info of the vmlinux to read: btf or dwarf (default: BTF when it has both)')
    .option('--recording <dir>', 'with a System.map: the recording whose memory to read the layout from (init_task, located by the System.map, and the task list it heads)')
    .option('--icount <n>', 'with --recording: the point whose memory to read (default: its end)', wholeNumberOption('--icount', 0, undefined, 'instructions'))
    .option('--compare <profile>', 'check that another profile (e.g. guest-profile.json calibrated from a recording) agrees; exit 1 if not')
    .addHelpText('after', [
      '',
      'A System.map has symbol addresses but no structure layouts. With --recording,',
      'init_task is found at its address in the recording\'s memory and the layout',
      'is read off the kernel\'s task list: comm where "swapper" lies, the list of',
      'tasks, pid and tgid (0 in init_task, 1 in init), kernel_sp above each user',
      'task\'s pt_regs. The profile carries that evidence and its confidence.',
      '',
      'Examples:',
      '  prnr profile vmlinux -o profile.json',
      '  prnr profile vmlinux --from dwarf --compare profile.json',
      '  prnr profile vmlinux.btf.zst --compare app.rec/guest-profile.json',
      '  prnr profile System.map --recording app.rec -o profile.json',
      '  prnr diagnose app.rec --profile profile.json',
      '',
    ].join('\n'))
    .action(async (file: string, opts: ProfileOptions) => {
      if (opts.from !== undefined && opts.from !== 'btf' && opts.from !== 'dwarf') throw new UsageError(`--from must be btf or dwarf, not "${opts.from}"`);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      let profile;
      let summary: string;
      try {
        if (isSystemMapFile(bytes)) {
          if (opts.recording === undefined) throw new DebugInfoError(SYSTEM_MAP_MESSAGE);
          if (opts.from !== undefined) throw new UsageError('--from picks the debug info of a vmlinux; a System.map has none');
          const p = await fromSystemMap(file, bytes, opts.recording, opts);
          profile = p;
          summary = `from ${file} and ${p.source.memory}: task_struct.pid ${p.offsets.task_struct.pid}, tgid ${p.offsets.task_struct.tgid}, comm ${p.offsets.task_struct.comm}, tasks ${p.offsets.task_struct.tasks}; thread_info.kernel_sp ${p.offsets.thread_info.kernel_sp}; pt_regs ${p.sizes.pt_regs} bytes; ${p.calibration.confidence} confidence${p.calibration.assumptions.length > 0 ? ` (assumed: ${p.calibration.assumptions.join('; ')})` : ''}`;
        } else {
          if (opts.recording !== undefined || opts.icount !== undefined) throw new UsageError(`--recording${opts.icount !== undefined ? ' and --icount are' : ' is'} for a System.map: ${file} is not one, and debug info needs no recording`);
          const p = profileFromDebugInfo(bytes, { release: opts.release ?? 'unknown', from: opts.from as DebugInfoKind | undefined });
          profile = p;
          const o = p.offsets;
          summary = `from ${p.source.kind === 'btf' ? 'BTF' : 'DWARF'}: task_struct.pid ${o.task_struct.pid}, tgid ${o.task_struct.tgid}, comm ${o.task_struct.comm}; thread_info.kernel_sp ${o.thread_info.kernel_sp}; pt_regs ${p.sizes.pt_regs} bytes`;
        }
      } catch (e) {
        if (e instanceof DebugInfoError) throw new UsageError(`${file}: ${e.message}`);
        throw e;
      }
      const text = JSON.stringify(profile, null, 2) + '\n';
      if (opts.out) writeFileSync(opts.out, text);
      else if (!opts.compare) process.stdout.write(text);
      process.stderr.write(`prnr: ${summary}${opts.out ? `; written to ${opts.out}` : ''}\n`);
      if (opts.compare) {
        const what = 'source' in profile && profile.source.kind === 'system-map' ? 'the System.map anchor' : 'the debug info';
        const diff = profileDifferences(profile, readProfileFile(opts.compare));
        if (diff.length === 0) process.stderr.write(`prnr: ${opts.compare} agrees with ${what}\n`);
        else {
          process.stderr.write(`prnr: ${opts.compare} disagrees with ${what}: ${diff.join('; ')}\n`);
          process.exitCode = 1;
        }
      }
    });
}

/** The layout anchored on init_task in the recording's memory at one point (restored from the snapshot before it and replayed to it). */
async function fromSystemMap(file: string, bytes: Uint8Array, dir: string, opts: ProfileOptions): Promise<SystemMapProfile> {
  const symbols = systemMapFromBytes(bytes, file);
  const rec = openRecordingDir(dir);
  const end = rec.manifest.slices.at(-1)?.endIcount;
  if (end === undefined) throw new UsageError(`${dir}: the recording has no slices`);
  // Default: the end, where the most processes have started (a replay of at most the last slice).
  const icount = opts.icount ?? end;
  const { machine } = await replayTo(rec, icount);
  const where = `${dir} at icount ${icount}${icount === end ? ' (its end)' : ''}`;
  const mem = new GuestMemory(machine.ram, () => machine.hart.satp);
  try {
    return profileFromSystemMap(symbols, mem, { where, release: opts.release, mapName: file });
  } catch (e) {
    // What the memory at that point lacks another point may have.
    if (e instanceof DebugInfoError && !/has no init_task symbol/.test(e.message)) throw new DebugInfoError(`${e.message} (--icount picks another point)`);
    throw e;
  }
}

