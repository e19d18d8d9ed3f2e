import { packageConfig } from '../../tooling/tsup/package-config.js';

// The UDP packet backend is a separate entry: it imports node:dgram, which no device may.
export default packageConfig({ entry: ['src/index.ts', 'src/packet-backends/udp-packet-port.ts'] });
