import { packageConfig } from '../../tooling/tsup/package-config.js';

// The search worker is its own entry: piscina loads it by file name.
export default packageConfig({ entry: ['src/index.ts', 'src/search-worker.ts'] });
