import { packageConfig } from '../../tooling/tsup/package-config.js';

// v8-tuning is an entry of its own: a command line applies it before it loads anything else.
export default packageConfig({ entry: ['src/index.ts', 'src/v8-tuning.ts'] });
