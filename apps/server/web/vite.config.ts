// The web UI: built into ../dist/web, which the server serves.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `vite --config web/vite.config.ts` for UI work: the API comes from a running `prnr serve`.
    proxy: { '/api': 'http://127.0.0.1:8080', '/recordings': 'http://127.0.0.1:8080' },
  },
});
