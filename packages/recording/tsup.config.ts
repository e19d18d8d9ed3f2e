import { packageConfig } from '../../tooling/tsup/package-config.js';

// The read-back thread is its own entry: checkStoredSnapshotsInThread starts it by file name.
export default packageConfig({ entry: ['src/index.ts', 'src/check-snapshots-worker.ts'] });
