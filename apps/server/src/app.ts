/**
 * The server, assembled: the recordings directory, the analyses, the job
 * manager, the routes (API, recording files, web UI), the token check and
 * one error shape. Nothing here replays: jobs run on @prnr/scheduler.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { loadAnalyses, type Analyses } from './analyses.js';
import { apiRoutes } from './api-routes.js';
import { isLoopback, requireToken, tokenProblem } from './auth.js';
import { answerClientError } from './client-error.js';
import { logInternalError } from './error-log.js';
import { fileRoutes } from './file-routes.js';
import { hostGuard } from './host-guard.js';
import { HttpError } from './http-error.js';
import { JobManager, type ExecutorChoice } from './jobs.js';
import { parseJsonBody } from './json-body.js';
import { RecordingsDir } from './recordings-dir.js';

export interface ServerOptions {
  /** The directory whose subdirectories are recordings (uploads land here too). */
  recordingsDir: string;
  /** Bearer token for /api and /recordings; required when `host` is not loopback. */
  token?: string;
  /** Where it listens (also decides whether a token is required). */
  host: string;
  /** Largest upload, in bytes as sent (default 1 GiB); once extracted it may be 4 times that. */
  maxUploadBytes?: number;
  /** Entries (files and directories) an upload may hold (default 1,000,000). */
  maxUploadEntries?: number;
  /** Longest an upload's body may take to arrive, in ms (default 15 minutes). */
  uploadTimeoutMs?: number;
  /** Longest an upload may send nothing, in ms (default 60 s). */
  uploadIdleMs?: number;
  /** Jobs running at once (default 4); more get 429. */
  maxConcurrentJobs?: number;
  /** Where replay tasks run (default: worker threads). */
  executor?: ExecutorChoice;
  /**
   * Jobs run a recording's own copy of a device module that is not at its recorded path with its
   * recorded hash, on this host's threads and on workers (default false: such a job fails, saying
   * so). Code from the recording: only where every recording, uploads included, is trusted.
   */
  recordedModules?: boolean;
  /** The built web UI (default: this package's dist/web). */
  webDir?: string;
  /** A guest profile (profile.json) for diagnosing recordings that carry none; a recording's own always wins. */
  profilePath?: string;
  /** Log requests (pino, to stdout). Without it an internal error (a 500) is still written to stderr, one line. */
  logger?: boolean;
  /** Without `logger`: write an internal error's stack after its line (`prnr serve` sets it from PRNR_DEBUG). */
  debug?: boolean;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 1 << 30;
export const DEFAULT_MAX_UPLOAD_ENTRIES = 1_000_000;
export const DEFAULT_MAX_CONCURRENT_JOBS = 4;
/** Longest a request may take to arrive, an upload included (ms); uploads also have their own, tighter, limits. */
export const REQUEST_TIMEOUT_MS = 15 * 60 * 1000;
export const DEFAULT_UPLOAD_IDLE_MS = 60 * 1000;
/** The longest recording name (RECORDING_NAME) and then some: a route parameter this long is still routed, so names and routes agree. */
const MAX_PARAM_LENGTH = 160;
/** Longest error message sent (one line). */
const MAX_ERROR_CHARS = 300;
/** JSON request bodies (job requests) are small. */
const JSON_BODY_LIMIT = 64 * 1024;

/** The built UI: dist/web beside the built server, also when this file runs from src/ (tests). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL(import.meta.url.includes('/src/') ? '../dist/web/' : './web/', import.meta.url));

export function buildApp(options: ServerOptions): FastifyInstance {
  const problem = tokenProblem(options.host, options.token);
  if (problem) throw new Error(`refusing to start: ${problem}`);
  const root = resolve(options.recordingsDir);
  if (!existsSync(root)) throw new Error(`refusing to start: the recordings directory ${root} does not exist`);

  // maxParamLength: a recording name may be 128 characters (RECORDING_NAME); Fastify's default of 100 answered 414 to longer ones.
  // requestTimeout: a request that trickles in cannot hold a connection forever.
  // clientErrorHandler: what Node's parser refuses (a malformed request, headers too large, a timeout) gets the same JSON error as the rest.
  // requireHostHeader: Node's own answer to a request without Host is a bare 400; the host guard says what is wrong.
  const app = Fastify({
    logger: options.logger ?? false,
    http: { requireHostHeader: false },
    bodyLimit: JSON_BODY_LIMIT,
    exposeHeadRoutes: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: REQUEST_TIMEOUT_MS,
    clientErrorHandler: answerClientError,
    // The router's own refusals (a URL that does not decode, a part longer than any name) in the same shape.
    frameworkErrors: (err, _req, reply) => {
      const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `a part of the URL is longer than ${MAX_PARAM_LENGTH} characters: no name is that long` : err.code === 'FST_ERR_BAD_URL' ? 'the URL has a malformed %-escape' : err.message;
      return (reply as FastifyReply).code(400).send({ error: oneLine(message) });
    },
  });
  const recordings = new RecordingsDir(root);
  let analyses: Analyses | undefined;
  const getAnalyses = (): Analyses => {
    if (!analyses) throw new HttpError(503, 'the server is starting');
    return analyses;
  };
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const maxConcurrentJobs = options.maxConcurrentJobs ?? DEFAULT_MAX_CONCURRENT_JOBS;
  // With Redis the server reads its recordings over HTTP as the workers do: with its own token.
  const executor = typeof options.executor === 'object' ? { token: options.token, ...options.executor } : (options.executor ?? 'threads');
  const jobs = new JobManager({ recordings, analyses: getAnalyses, executor, maxConcurrent: maxConcurrentJobs, recordedModules: options.recordedModules === true });

  // JSON only, parsed by the server's own parser (it says where a body is malformed); text/plain is no job request (415).
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

  app.register(async () => {
    analyses = await loadAnalyses({ profilePath: options.profilePath });
  });
  app.addHook('onClose', async () => jobs.close());

  app.addHook('onRequest', hostGuard(options.host));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).headers(err.headers).send({ error: oneLine(recordings.clean(err.message)) });
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) return reply.code(status).send({ error: oneLine(recordings.clean(clientMessage(err, status))) });
    if (options.logger) req.log.error(err);
    else logInternalError(err, req, options.debug ?? false);
    return reply.code(500).send({ error: 'internal server error (see the server log)' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}` }));

  // Token-protected: the API and the recording files. Each scope carries its own hook, so how a URL is spelled cannot get around it.
  const guarded = (plugin: (app: FastifyInstance) => Promise<void>) => async (scope: FastifyInstance) => {
    if (options.token) scope.addHook('onRequest', requireToken(options.token));
    await plugin(scope);
  };
  const upload = {
    maxBytes: maxUploadBytes,
    maxExtractedBytes: maxUploadBytes * 4,
    maxEntries: options.maxUploadEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES,
    timeoutMs: options.uploadTimeoutMs ?? REQUEST_TIMEOUT_MS,
    idleMs: options.uploadIdleMs ?? DEFAULT_UPLOAD_IDLE_MS,
  };
  app.register(guarded(apiRoutes({ recordings, jobs, analyses: getAnalyses, executor: typeof executor === 'object' ? 'redis' : executor, maxConcurrentJobs, upload })));
  app.register(guarded(fileRoutes(recordings)));

  // The web UI: public files (it asks for the token itself when the API wants one).
  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  if (existsSync(resolve(webDir, 'index.html'))) {
    app.register(fastifyStatic, { root: resolve(webDir), wildcard: false, index: 'index.html', decorateReply: false });
  } else {
    app.get('/', async (_req, reply) => reply.code(503).send({ error: 'the web UI is not built: run `pnpm build` (it builds apps/server/dist/web)' }));
  }
  return app;
}

/** A 4xx from Fastify itself (body parsing, limits), said plainly. */
function clientMessage(err: FastifyError, status: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than ${JSON_BODY_LIMIT} bytes`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send JSON with Content-Type: application/json';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the Content-Length does not match the body';
  }
  return status === 404 ? 'not found' : err.message;
}

/** Error messages are one line, and not long. */
function oneLine(message: string): string {
  const line = message.split(/\r?\n/)[0].trim();
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}…` : line || 'bad request';
}

export interface RunningServer {
  /** Base URL, e.g. http://127.0.0.1:8080 (the recording files of NAME are under URL/recordings/NAME). */
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the app and listens on `host:port` (port 0: any free port). */
export async function startServer(options: ServerOptions & { port: number }): Promise<RunningServer> {
  const app = buildApp(options);
  await app.listen({ host: options.host, port: options.port });
  const a = app.server.address() as AddressInfo;
  const host = options.host === 'localhost' ? 'localhost' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return { url: `http://${host}:${a.port}`, app, close: () => app.close() };
}

export { isLoopback };
