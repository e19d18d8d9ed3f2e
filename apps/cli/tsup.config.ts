import { packageConfig } from '../../tooling/tsup/package-config.js';

export default packageConfig({ entry: ['src/main.ts', 'src/index.ts'], dts: { entry: 'src/index.ts' } });
