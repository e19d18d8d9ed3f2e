/**
 * The host end of the guest console for `prnr run` and `prnr record`: either a
 * script typed one line per shell prompt, or the user's terminal in raw mode
 * (Ctrl-A x quits, as in QEMU). Output is batched to stdout.
 *
 * SIGINT (Ctrl-C where the terminal is not in raw mode: a script, input from a
 * pipe, or `kill -INT`) stops the same way as Ctrl-A x, at the end of the
 * current chunk, so that a recording ends complete rather than cut short; a
 * second SIGINT aborts at once (a recording then keeps its closed slices).
 */
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
  /** Flushes output and gives the terminal back. */
  close(): void;
}

export function openHostConsole(o: { script?: string; echo?: boolean }): HostConsole {
  const out = process.stdout;
  const echo = o.echo ?? true;
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
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      process.stderr.write('\nprnr: interrupted again: stopping now\n');
      process.exit(130);
    }
    interrupted = quit = true;
    process.stderr.write('\nprnr: interrupted: stopping (Ctrl-C again to abort)\n');
  };
  process.on('SIGINT', onSigint);
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
    interrupted: () => interrupted,
    close: () => {
      flush();
      clearInterval(timer);
      process.off('SIGINT', onSigint);
      if (interactive) {
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      }
    },
  };
}
