/**
 * The Node options of a thread that runs a package's built code (replay threads, the read-back
 * thread): resolution flags inherited from a test runner (e.g. --conditions=source) are dropped, so
 * that its imports of other packages find their dist/, as in production. Otherwise none are given,
 * so that the thread inherits the process's own: a V8 flag (`node --max-old-space-size=4096 prnr verify`) is refused
 * when passed to a thread explicitly (ERR_WORKER_INVALID_EXEC_ARGV), and applies to the whole
 * process anyway.
 */
export function threadExecArgv(execArgv: readonly string[]): { execArgv?: string[] } {
  const condition = (a: string | undefined) => a === '--conditions' || a === '-C';
  const kept = execArgv.filter((a, i, all) => !condition(a) && !a.startsWith('--conditions=') && !(a.startsWith('-C') && a.length > 2) && !condition(all[i - 1]));
  if (kept.length === execArgv.length) return {};
  // Passed explicitly, so without V8 flags (Node refuses them there; they apply to every thread anyway).
  return { execArgv: kept.filter((a) => !(a.startsWith('--') && (!process.allowedNodeEnvironmentFlags.has(a.split('=')[0]) || V8_FLAGS_IN_NODE_OPTIONS.has(a.split('=')[0])))) };
}

/** V8 flags that Node also takes in NODE_OPTIONS (allowedNodeEnvironmentFlags lists them) but refuses for a thread. */
const V8_FLAGS_IN_NODE_OPTIONS = new Set(['--max-old-space-size', '--max-semi-space-size', '--stack-trace-limit', '--abort-on-uncaught-exception', '--disallow-code-generation-from-strings', '--huge-max-old-generation-size', '--interpreted-frames-native-stack', '--jitless', '--perf-basic-prof', '--perf-basic-prof-only-functions', '--perf-prof', '--perf-prof-unwinding-info']);
