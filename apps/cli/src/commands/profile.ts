import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DebugInfoError, profileDifferences, profileFromDebugInfo, type DebugInfoKind } from '@prnr/diagnosis';
import { readProfileFile } from '../session/calibrated-profile.js';
import { UsageError } from '../usage-error.js';

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('make a guest profile (the task_struct layout diagnosis names processes with) from a kernel\'s debug info: a vmlinux with BTF or DWARF, or raw BTF')
    .argument('<vmlinux>', 'vmlinux built with CONFIG_DEBUG_INFO_BTF or CONFIG_DEBUG_INFO (DWARF 2-5), or raw BTF (/sys/kernel/btf/vmlinux); may be zstd-compressed. A System.map is refused: it has no structure layouts')
    .option('-o, --out <file>', 'write the profile here (default: stdout)')
    .option('--release <text>', 'the kernel release to record in the profile', 'unknown')
    .option('--from <kind>', 'which debug info of the vmlinux to read: btf or dwarf (default: BTF when it has both)')
    .option('--compare <profile>', 'check that another profile (e.g. guest-profile.json calibrated from a recording) agrees; exit 1 if not')
    .addHelpText('after', '\nExamples:\n  prnr profile vmlinux -o profile.json\n  prnr profile vmlinux --from dwarf --compare profile.json\n  prnr profile vmlinux.btf.zst --compare app.rec/guest-profile.json\n  prnr diagnose app.rec --profile profile.json\n')
    .action((file: string, opts: { out?: string; release: string; from?: string; compare?: string }) => {
      if (opts.from !== undefined && opts.from !== 'btf' && opts.from !== 'dwarf') throw new UsageError(`--from must be btf or dwarf, not "${opts.from}"`);
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      let profile;
      try {
        profile = profileFromDebugInfo(bytes, { release: opts.release, from: opts.from as DebugInfoKind | undefined });
      } catch (e) {
        if (e instanceof DebugInfoError) throw new UsageError(`${file}: ${e.message}`);
        throw e;
      }
      const text = JSON.stringify(profile, null, 2) + '\n';
      if (opts.out) writeFileSync(opts.out, text);
      else if (!opts.compare) process.stdout.write(text);
      const o = profile.offsets;
      process.stderr.write(`prnr: from ${profile.source.kind === 'btf' ? 'BTF' : 'DWARF'}: task_struct.pid ${o.task_struct.pid}, tgid ${o.task_struct.tgid}, comm ${o.task_struct.comm}; thread_info.kernel_sp ${o.thread_info.kernel_sp}; pt_regs ${profile.sizes.pt_regs} bytes${opts.out ? `; written to ${opts.out}` : ''}\n`);
      if (opts.compare) {
        const diff = profileDifferences(profile, readProfileFile(opts.compare));
        if (diff.length === 0) process.stderr.write(`prnr: ${opts.compare} agrees with the debug info\n`);
        else {
          process.stderr.write(`prnr: ${opts.compare} disagrees with the debug info: ${diff.join('; ')}\n`);
          process.exitCode = 1;
        }
      }
    });
}
