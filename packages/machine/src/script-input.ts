/**
 * A console script as guest input, paced by the guest: the next line is
 * offered only once the guest has printed a shell prompt after the previous
 * one, so typed-ahead text never interleaves with output and never overflows
 * the UART's receive FIFO.
 */
import type { ConsoleInputPort } from '@prnr/devices';

const PROMPT = /[#$] $/;

export class ScriptInput implements ConsoleInputPort {
  private readonly lines: string[];
  private pending: number[] = [];
  private seen = '';
  private started = false;

  /** `readyMarker`: text the guest prints once it accepts input (the default guest prints "prnr-guest: ready"). */
  constructor(script: string, private readonly readyMarker = 'prnr-guest: ready') {
    this.lines = script.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  }

  /** Feed every byte the guest prints. */
  observe(byte: number): void {
    this.seen = (this.seen + String.fromCharCode(byte)).slice(-256);
    if (!this.started && this.seen.includes(this.readyMarker)) this.started = true;
  }

  get done(): boolean {
    return this.lines.length === 0 && this.pending.length === 0;
  }

  next(): number | null {
    if (this.pending.length === 0) {
      if (!this.started || this.lines.length === 0 || !PROMPT.test(this.seen)) return null;
      this.pending = [...new TextEncoder().encode(this.lines.shift()! + '\n')];
      this.seen = '';
    }
    return this.pending.shift() ?? null;
  }
}
