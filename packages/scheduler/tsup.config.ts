import { packageConfig } from '../../tooling/tsup/package-config.js';

// The thread worker is its own entry: piscina loads it by file name. prestart is one too: a
// command line loads it (and nothing else of the package) before the rest of itself.
export default packageConfig({ entry: ['src/index.ts', 'src/thread-worker.ts', 'src/prestart.ts'] });
