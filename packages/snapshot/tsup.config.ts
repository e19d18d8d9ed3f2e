import { packageConfig } from '../../tooling/tsup/package-config.js';

// The capture worker is its own entry: BackgroundWriter starts it by file name. snapshot-thread is
// one too (@prnr/snapshot/prestart): a command line loads it before the rest of itself.
export default packageConfig({ entry: ['src/index.ts', 'src/capture-worker.ts', 'src/snapshot-thread.ts'] });
