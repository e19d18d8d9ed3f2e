import { packageConfig } from '../../tooling/tsup/package-config.js';

export default packageConfig({ entry: ['src/index.ts'] });
