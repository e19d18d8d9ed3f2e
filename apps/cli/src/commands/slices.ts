import type { Command } from 'commander';
import { spaceReport } from '@prnr/recording';
import { openRecordingDir } from '../session/open-recording.js';
import { formatBytes, formatCount } from '../format.js';
import { warnIfIncomplete } from './replay.js';

const TICKS_PER_SECOND = 10_000_000;

export function registerSlices(program: Command): void {
  program
    .command('slices')
    .description('list the slices of a recording: icount and virtual-time ranges, log and snapshot sizes')
    .argument('<recording>', 'recording directory')
    .option('--space', 'also report logical vs stored bytes (deduplication and compression)')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExamples:\n  prnr slices smoke.rec\n  prnr slices smoke.rec --space\n')
    .action((dir: string, opts: { space?: boolean; json?: boolean }) => {
      const rec = openRecordingDir(dir, { replay: false }); // works without the recording's device modules
      const m = rec.manifest;
      const added = new Map(m.snapshots.map((s) => [s.root, s]));
      const space = spaceReport(rec);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ recording: dir, status: m.status, slices: m.slices, ...(opts.space ? { space } : {}) }, null, 2) + '\n');
        return;
      }
      warnIfIncomplete(rec);
      const rows = [['slice', 'icount', 'virtual time (s)', 'events', 'log', 'objects added', 'bytes added']];
      for (const s of m.slices) {
        const snap = added.get(s.endState);
        rows.push([
          String(s.index),
          `${formatCount(s.startIcount)} .. ${formatCount(s.endIcount)}`,
          `${(s.startMtime / TICKS_PER_SECOND).toFixed(2)} .. ${(s.endMtime / TICKS_PER_SECOND).toFixed(2)}`,
          String(s.events),
          formatBytes(s.logBytes),
          snap ? String(snap.objectsAdded) : '-',
          snap ? formatBytes(snap.storedBytes) : '-',
        ]);
      }
      printTable(rows);
      if (opts.space) {
        const ratio = (a: number, b: number) => (b === 0 ? '-' : `${(a / b).toFixed(1)}x`);
        process.stdout.write(
          `\n${space.snapshots} snapshots: logical ${formatBytes(space.logicalBytes)}, unique ${formatBytes(space.uniqueBytes)} (dedupe ${ratio(space.logicalBytes, space.uniqueBytes)}), ` +
            `stored ${formatBytes(space.storedBytes)} (compression ${ratio(space.uniqueBytes, space.storedBytes)}; overall ${ratio(space.logicalBytes, space.storedBytes)}); log ${formatBytes(space.logBytes)}\n`,
        );
      }
    });
}

export function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) process.stdout.write(r.map((cell, c) => (c === 0 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd() + '\n');
}
