/**
 * The host end of the guest console for `prnr run` and `prnr record`: either a
 * script typed one line per shell prompt, or the user's terminal in raw mode
 * (Ctrl-A x quits, as in QEMU). Output is batched to stdout.
 *
 * SIGINT (Ctrl-C where the terminal is not in raw mode: a script, input from a
 * pipe, or `kill -INT`) stops the same way as Ctrl-A x, at the end of the
 * current chunk, so that a recording ends complete rather than cut short; a
 * second SIGINT aborts at once (a recording then keeps its closed slices).
 * `stopOn` adds other signals that stop the same way (a recorder also takes
 * SIGTERM, as from `kill` or a service manager, and SIGHUP, a closed terminal).
 */
import { constants as osConstants } from 'node:os';
import type { ConsoleInputPort, ConsoleOutputSink } from '@prnr/devices';
import { ScriptInput } from '@prnr/machine';
import { readNamedFile } from '../named-files.js';

const CTRL_A = 0x01;

export interface HostConsole {
  input: ConsoleInputPort;
  output: ConsoleOutputSink;
  /** Interactive: idle time should follow the wall clock. */
  interactive: boolean;
  quitRequested(): boolean;
  /** The quit came from SIGINT (the command exits 130, as an interrupted program does). */
  interrupted(): boolean;
  /** The signal that stopped it (null: none); the command exits 128 + its number, as one killed by it would. */
  stopSignal(): NodeJS.Signals | null;
  /** Flushes output and gives the terminal back. */
  close(): void;
}

export function openHostConsole(o: { script?: string; echo?: boolean; stopOn?: readonly NodeJS.Signals[] }): HostConsole {
  const out = process.stdout;
  let echo = o.echo ?? true;
  let quit = false;
  let input: ConsoleInputPort;
  let observe = (_b: number) => {};
  const interactive = !o.script;
  if (o.script) {
    const s = new ScriptInput(readNamedFile(o.script, '--script').toString('utf8'));
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
  const flush = () => {
    if (buf.length) {
      if (echo) out.write(Buffer.from(buf));
      buf.length = 0;
    }
  };
  const timer = setInterval(flush, 20);
  let stoppedBy: NodeJS.Signals | null = null;
  const say = (text: string) => {
    try {
      process.stderr.write(text);
    } catch {
      // a terminal that hung up: nobody to tell
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy !== null) {
      say(signal === 'SIGINT' ? '\nprnr: interrupted again: stopping now\n' : `\nprnr: ${signal} again: stopping now\n`);
      process.exit(exitStatusOf(signal));
    }
    stoppedBy = signal;
    quit = true;
    if (signal === 'SIGHUP') {
      if (out.isTTY) echo = false; // the terminal is gone: writes to it would fail
      process.stdout.on('error', () => {});
      process.stderr.on('error', () => {});
    }
    say(signal === 'SIGINT' ? '\nprnr: interrupted: stopping (Ctrl-C again to abort)\n' : `\nprnr: ${signal}: stopping (again to abort)\n`);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', ...(o.stopOn ?? []).filter((s) => s !== 'SIGINT')];
  for (const s of signals) process.on(s, onSignal);
  return {
    input,
    output: {
      write: (b) => {
        observe(b);
        buf.push(b);
        if (buf.length > 4096) flush();
      },
    },
    interactive,
    quitRequested: () => quit,
    interrupted: () => stoppedBy === 'SIGINT',
    stopSignal: () => stoppedBy,
    close: () => {
      flush();
      clearInterval(timer);
      for (const s of signals) process.off(s, onSignal);
      if (interactive) {
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      }
    },
  };
}

/** What a process killed by `signal` exits with: 128 + the signal's number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function exitStatusOf(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}
