import { packageConfig } from '../../tooling/tsup/package-config.js';

// The capture worker is its own entry: BackgroundWriter starts it by file name.
export default packageConfig({ entry: ['src/index.ts', 'src/capture-worker.ts'] });
