import { packageConfig } from '../../tooling/tsup/package-config.js';

export default packageConfig();
