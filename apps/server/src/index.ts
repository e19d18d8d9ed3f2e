export { buildApp, startServer, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_MAX_UPLOAD_ENTRIES, DEFAULT_MAX_CONCURRENT_JOBS, DEFAULT_UPLOAD_IDLE_MS, DEFAULT_WEB_DIR, REQUEST_TIMEOUT_MS } from './app.js';
export type { ServerOptions, RunningServer } from './app.js';
export type { ExecutorChoice } from './jobs.js';
export { isLoopback, MIN_TOKEN_LENGTH } from './auth.js';
export { RECORDING_NAME } from './safe-paths.js';
export type * from './api-types.js';
