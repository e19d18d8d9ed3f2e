import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugSession, readSystemMap, serveGdb, symbolFile, threadSearcher, type GdbSessionEnd } from '@prnr/debugger';
import { defaultImageDir } from '../session/default-images.js';
import { localLocation, openRecordingDir, RECORDED_MODULES_OPTION } from '../session/open-recording.js';
import { parseParallel } from '../session/executor.js';
import { UsageError } from '../usage-error.js';
import { wholeNumberOption } from '../number-options.js';

/** Why `prnr gdb` exits, by how the debugger's session ended. */
const EXIT_REASON: Record<GdbSessionEnd, string> = {
  detached: 'debugger disconnected (it detached)',
  killed: 'debugger disconnected (it killed the session)',
  disconnected: 'debugger disconnected (its connection closed)',
};

export function registerGdb(program: Command): void {
  program
    .command('gdb')
    .description('serve a recording to gdb (remote serial protocol): breakpoints, watchpoints, stepi, continue, reverse-stepi, reverse-continue')
    .argument('<recording>', 'recording directory')
    .option('--port <n>', 'TCP port to listen on (0: any free port, printed)', wholeNumberOption('--port', 0, 65535), 1234)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--icount <n>', 'where the debugger starts (default: the start of the recording)', wholeNumberOption('--icount', 0, undefined, 'instructions'))
    .option('--symbol-file <file>', 'first write an ELF symbol file for gdb made from the guest kernel\'s System.map (gdb-multiarch FILE)')
    .option('--system-map <file>', 'the System.map (plain or .zst) for --symbol-file', join(defaultImageDir(), 'System.map.zst'))
    .option(...RECORDED_MODULES_OPTION)
    .option('-j, --parallel <n>', `slices reverse-continue searches at once on replay threads (default: the number of cores, ${availableParallelism()}; 1 searches in this process)`, parseParallel)
    .addHelpText('after', '\nServes one debugger and exits when it detaches, kills or disconnects. A connection that closes\n'
      + 'without sending a packet (a port probe) does not count; a second debugger is refused with a message.\n'
      + '\nExample:\n  prnr gdb demo.rec --port 1234 &\n  prnr gdb demo.rec --symbol-file /tmp/vmlinux.sym &\n  gdb-multiarch /tmp/vmlinux.sym -ex "target remote :1234" -ex "break do_sys_openat2" -ex continue\n')
    .action(async (dir: string, opts: { port: number; host: string; icount?: number; parallel?: number; symbolFile?: string; systemMap: string; useRecordedModules?: boolean }) => {
      if (opts.symbolFile) {
        let syms;
        try {
          syms = readSystemMap(opts.systemMap);
        } catch (e) {
          throw new UsageError(`--system-map ${opts.systemMap}: ${(e as Error).message}`);
        }
        writeFileSync(opts.symbolFile, symbolFile(syms));
        process.stderr.write(`prnr: wrote ${syms.length} kernel symbols from ${opts.systemMap} to ${opts.symbolFile}\n`);
      }
      const rec = openRecordingDir(dir, { recordedModules: opts.useRecordedModules });
      const threads = opts.parallel ?? availableParallelism();
      const dbg = new DebugSession(rec, threads > 1 ? { searcher: threadSearcher({ ...localLocation(rec), dir: resolve(dir) }, threads) } : {});
      const say = (s: string) => process.stderr.write(`prnr: ${s}\n`);
      try {
        const at = opts.icount ?? dbg.start;
        if (at < dbg.start || at > dbg.end) throw new UsageError(`--icount ${at} is outside the recording (${dbg.start}..${dbg.end})`);
        await dbg.seek(at);
        let server;
        try {
          server = await serveGdb(dbg, { port: opts.port, host: opts.host, log: say });
        } catch (e) {
          throw new UsageError(`cannot listen on ${opts.host}:${opts.port}: ${(e as Error).message}`);
        }
        say(`serving ${dir} at icount ${at} on ${opts.host}:${server.port} (reverse-continue searches ${threads} slice(s) at once)`);
        say(`connect with: gdb-multiarch -ex "target remote ${opts.host}:${server.port}"`);
        const end = await server.done;
        await server.close();
        say(`${EXIT_REASON[end]}; exiting`);
      } finally {
        await dbg.close();
      }
    });
}
