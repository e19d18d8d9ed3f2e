import { defineConfig } from 'tsup';

export default defineConfig({
  // The UDP packet backend is a separate entry: it imports node:dgram, which no device may.
  entry: ['src/index.ts', 'src/packet-backends/udp-packet-port.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
