/**
 * Analyses by name. The built-in ones are always there; others come from
 * modules that export `analysisKinds: AnalysisKind[]` (e.g. @prnr/diagnosis),
 * loaded by URL so that worker threads and remote workers can load them too.
 */
import type { AnalysisKind } from './analysis.js';
import { consoleOutput } from './analyses/console-output.js';
import { memoryWatch } from './analyses/memory-watch.js';
import { privilegeProfile } from './analyses/privilege-profile.js';

/** Kinds with their own option and result types, held side by side (each is checked by its own name). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SomeAnalysisKind = AnalysisKind<any, any>;

export class AnalysisRegistry {
  private readonly kinds = new Map<string, AnalysisKind>();

  constructor(kinds: readonly SomeAnalysisKind[] = BUILTIN_ANALYSES) {
    for (const k of kinds) this.add(k);
  }

  add(kind: SomeAnalysisKind): void {
    if (this.kinds.has(kind.name)) throw new Error(`analysis "${kind.name}" is registered twice`);
    this.kinds.set(kind.name, kind as AnalysisKind);
  }

  get(name: string): AnalysisKind {
    const k = this.kinds.get(name);
    if (!k) throw new UnknownAnalysisError(name, [...this.kinds.keys()]);
    return k;
  }

  list(): AnalysisKind[] {
    return [...this.kinds.values()];
  }

  /** Adds the kinds a module exports as `analysisKinds`. */
  async load(moduleUrl: string): Promise<void> {
    const mod = (await import(moduleUrl)) as { analysisKinds?: AnalysisKind[] };
    if (!Array.isArray(mod.analysisKinds)) throw new Error(`${moduleUrl} exports no analysisKinds`);
    for (const k of mod.analysisKinds) if (!this.kinds.has(k.name)) this.add(k);
  }
}

export class UnknownAnalysisError extends Error {
  constructor(name: string, known: string[]) {
    super(`unknown analysis "${name}" (known: ${known.join(', ')})`);
    this.name = 'UnknownAnalysisError';
  }
}

export const BUILTIN_ANALYSES: readonly SomeAnalysisKind[] = [privilegeProfile, consoleOutput, memoryWatch];
