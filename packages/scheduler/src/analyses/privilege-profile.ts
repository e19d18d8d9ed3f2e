/**
 * Where the instructions went: steps spent in each privilege mode, and traps
 * by cause. Light: it listens to traps and returns only.
 */
import type { AnalysisKind } from '../analysis.js';

export interface PrivilegeProfile {
  /** Steps by privilege mode: U, S, M. */
  steps: { U: number; S: number; M: number };
  /** Exceptions by cause code (8 = ecall from U: syscalls). */
  exceptions: Record<string, number>;
  /** Interrupts by cause code (5 = S timer, 9 = S external, ...). */
  interrupts: Record<string, number>;
}

const MODE = ['U', 'S', '?', 'M'] as const;

export const privilegeProfile: AnalysisKind<PrivilegeProfile, void> = {
  name: 'profile',
  weight: 'light',
  description: 'instructions per privilege mode, traps and interrupts by cause',
  create() {
    const r: PrivilegeProfile = { steps: { U: 0, S: 0, M: 0 }, exceptions: {}, interrupts: {} };
    let hart: { priv: number; icount: number } | undefined;
    let mode = 0;
    let since = 0;
    const account = (now: number) => {
      const m = MODE[mode];
      if (m !== '?') r.steps[m] += now - since;
      since = now;
    };
    return {
      name: 'profile',
      attach(view) {
        hart = view.hart;
        mode = view.hart.priv;
        since = view.hart.icount;
        view.onTrap((e) => {
          // Steps so far ran in the old mode; the trap entry (a step) counts in the new one.
          account(view.hart.icount);
          const table = e.interrupt ? r.interrupts : r.exceptions;
          table[e.cause] = (table[e.cause] ?? 0) + 1;
          mode = view.hart.priv;
        });
        view.onXret((e) => {
          account(view.hart.icount);
          mode = e.toPriv;
        });
      },
      finish() {
        if (hart) account(hart.icount);
        return r;
      },
    };
  },
  merge(parts) {
    const out: PrivilegeProfile = { steps: { U: 0, S: 0, M: 0 }, exceptions: {}, interrupts: {} };
    for (const p of parts) {
      out.steps.U += p.steps.U;
      out.steps.S += p.steps.S;
      out.steps.M += p.steps.M;
      for (const [k, v] of Object.entries(p.exceptions)) out.exceptions[k] = (out.exceptions[k] ?? 0) + v;
      for (const [k, v] of Object.entries(p.interrupts)) out.interrupts[k] = (out.interrupts[k] ?? 0) + v;
    }
    return out;
  },
};
