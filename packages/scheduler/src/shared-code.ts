/**
 * Translated code shared between the replay threads of one process. A
 * compiled WebAssembly.Module posted to another thread is the same machine
 * code there (and a function V8 optimizes is optimized for both), whereas
 * each thread compiling the same bytes pays for it again (V8 does not share
 * them by itself: measured, a second thread compiling the demo's 527 modules
 * took as long as the first). So one replay thread compiles the recording's
 * code cache, uses the compiled modules itself and hands them to the others.
 * The receiver still checks every block against the guest bytes before
 * using it (@prnr/cpu's CodeCache): nothing here is trusted more than the file.
 */
import { CodeCache, type CodeCacheSnapshot } from '@prnr/cpu';

// Node has WebAssembly; @types/node does not declare it (TypeScript's DOM library does).
const Wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

/**
 * A snapshot of `cache` with every module compiled (post it to other threads of this process;
 * `adoptCodeCache` of @prnr/recording takes it there), and whether any module was compiled here.
 * A module that does not compile is left as bytes: the engine that meets it rejects it as usual.
 */
export function compiledCodeSnapshot(cache: CodeCache = CodeCache.shared): { snapshot: CodeCacheSnapshot; compiledHere: boolean } {
  const snap = cache.snapshot();
  let fresh = 0;
  const modules = snap.modules.map((m) => {
    if (m.module !== null) return m;
    try {
      const module = new Wasm.Module(m.bytes);
      fresh++;
      return { ...m, module };
    } catch {
      return m; // left uncompiled: compiled (and rejected) where it is used
    }
  });
  return { snapshot: { ...snap, modules }, compiledHere: fresh > 0 };
}

/**
 * Has `cache` hold the compiled modules of `snapshot` (made from it by compiledCodeSnapshot), so
 * that this thread runs the very code it handed out. Only before this thread has run any of it.
 */
export function useCompiled(snapshot: CodeCacheSnapshot, cache: CodeCache = CodeCache.shared): void {
  cache.clear();
  cache.merge(snapshot);
}
