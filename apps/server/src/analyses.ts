/**
 * The analyses this server can run: the scheduler's built-in ones, plus those
 * of @prnr/diagnosis when it is installed and exports `analysisKinds` (the
 * `syscalls` analysis is what makes diagnose jobs possible). Workers load the
 * same modules by URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnalysisRegistry, type AnalysisKind } from '@prnr/scheduler';
import type { AnomalyInfo } from './api-types.js';

const DIAGNOSIS = '@prnr/diagnosis';

export interface Analyses {
  registry: AnalysisRegistry;
  /** Module URLs handed to replay tasks run in this process (the inline executor imports them). */
  modules: string[];
  /** The same, for worker threads and queue workers: plain Node, so built JavaScript. */
  workerModules: string[];
  /** The `syscalls` analysis is registered. */
  diagnosis: boolean;
  diagnosisNote?: string;
  /** Anomaly rules over a merged syscall trace, when the diagnosis package has them. */
  findAnomalies?: (trace: unknown) => AnomalyInfo[];
  /** The warning that the guest profile `which` names looks wrong for a merged syscall trace, or null. */
  attributionWarning?: (trace: unknown, which: string) => string | null;
  /** A guest profile for recordings that carry none (recordings made by `prnr record` carry theirs). */
  fallbackProfile?: unknown;
}

interface DiagnosisModule {
  analysisKinds?: AnalysisKind[];
  findAnomalies?: (trace: unknown) => AnomalyInfo[];
  attributionWarning?: (trace: unknown, which: string) => string | null;
}

export async function loadAnalyses(o: { profilePath?: string } = {}): Promise<Analyses> {
  const registry = new AnalysisRegistry();
  const out: Analyses = { registry, modules: [], workerModules: [], diagnosis: false };
  if (o.profilePath) out.fallbackProfile = JSON.parse(readFileSync(o.profilePath, 'utf8')) as unknown;
  let url: string;
  let mod: DiagnosisModule;
  try {
    // A variable specifier: the server builds and runs without the diagnosis package.
    const spec: string = DIAGNOSIS;
    url = import.meta.resolve(spec);
    mod = (await import(url)) as DiagnosisModule;
  } catch (e) {
    out.diagnosisNote = `${DIAGNOSIS} is not installed (${(e as Error).message.split('\n')[0]})`;
    return out;
  }
  if (!Array.isArray(mod.analysisKinds)) {
    out.diagnosisNote = `${DIAGNOSIS} exports no analysisKinds yet`;
    return out;
  }
  for (const k of mod.analysisKinds) if (!registry.list().some((x) => x.name === k.name)) registry.add(k);
  out.modules.push(url);
  out.workerModules.push(builtModuleUrl(url));
  out.diagnosis = registry.list().some((k) => k.name === 'syscalls');
  if (!out.diagnosis) out.diagnosisNote = `${DIAGNOSIS} exports no syscalls analysis`;
  if (typeof mod.findAnomalies === 'function') out.findAnomalies = mod.findAnomalies;
  if (typeof mod.attributionWarning === 'function') out.attributionWarning = mod.attributionWarning;
  return out;
}

/**
 * Worker threads run plain Node: when this server runs from source under a
 * test runner (the package resolved to src/index.ts), hand them the package's
 * built entry instead, as the scheduler does for its own thread worker.
 */
function builtModuleUrl(url: string): string {
  if (!url.endsWith('/src/index.ts')) return url;
  const built = new URL('../dist/index.js', url);
  return existsSync(fileURLToPath(built)) ? built.href : url;
}
