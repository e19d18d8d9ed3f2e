/** The guest console, reconstructed by replay, with the position of each line. Light. */
import type { AnalysisKind } from '../analysis.js';

export interface ConsoleOutput {
  /** Everything the guest wrote, as latin1 text. */
  text: string;
  /** icount at which each line started (the first byte after a newline). */
  lineStarts: number[];
}

export const consoleOutput: AnalysisKind<ConsoleOutput, void> = {
  name: 'console',
  weight: 'light',
  description: 'the guest console output, with the icount of each line',
  create() {
    const bytes: number[] = [];
    const lineStarts: number[] = [];
    let atLineStart = true;
    return {
      name: 'console',
      attach(view) {
        view.onConsole((b) => {
          if (atLineStart) lineStarts.push(view.hart.icount);
          atLineStart = b === 10;
          bytes.push(b);
        });
      },
      finish: () => ({ text: Buffer.from(bytes).toString('latin1'), lineStarts }),
    };
  },
  merge(parts) {
    // A line cut by a slice boundary continues in the next slice: it keeps its first start.
    let text = '';
    const lineStarts: number[] = [];
    for (const p of parts) {
      const continues = text.length > 0 && !text.endsWith('\n');
      lineStarts.push(...(continues ? p.lineStarts.slice(1) : p.lineStarts));
      text += p.text;
    }
    return { text, lineStarts };
  },
};
