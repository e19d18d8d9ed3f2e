import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { defaultImageDir } from '../session/default-images.js';
import { UsageError } from '../usage-error.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run the benchmarks of this checkout (bench/run.mjs): tables on stdout, results in bench/results/')
    .argument('[args...]', 'passed to bench/run.mjs, e.g. --suite record, --list')
    .allowUnknownOption()
    .addHelpText('after', '\nNeeds a built checkout (pnpm build).\n\nExamples:\n  prnr bench --list\n  prnr bench --suite cpu,boot\n  prnr bench --suite record --record-threads 2\n')
    .action((args: string[]) => {
      const root = dirname(dirname(defaultImageDir()));
      const runner = join(root, 'bench', 'run.mjs');
      if (!existsSync(runner)) throw new UsageError(`${runner} not found: prnr bench runs from a prnr checkout`);
      const r = spawnSync(process.execPath, [runner, ...args], { stdio: 'inherit', cwd: root });
      process.exitCode = r.status ?? 1;
    });
}
