/** /api: recordings (list, inspect, upload), jobs (start, read, follow), and what this server can do. */
import type { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Analyses } from './analyses.js';
import type { JobEvent, ServerFeatures } from './api-types.js';
import { HttpError } from './http-error.js';
import { jobRequestSchema, uploadQuerySchema } from './job-request.js';
import type { JobManager } from './jobs.js';
import type { RecordingsDir } from './recordings-dir.js';
import { checkRecordingName } from './safe-paths.js';
import { UPLOAD_TYPES, receiveRecording, type UploadLimits } from './upload.js';
import { validate } from './validate.js';

export interface ApiContext {
  recordings: RecordingsDir;
  jobs: JobManager;
  analyses: () => Analyses;
  executor: ServerFeatures['executor'];
  maxConcurrentJobs: number;
  upload: UploadLimits;
}

type Named = FastifyRequest<{ Params: { name: string } }>;
type WithId = FastifyRequest<{ Params: { id: string } }>;

/** SSE keep-alive comment interval. */
const HEARTBEAT_MS = 15_000;
/** Uploads received at once: each holds a temporary copy of a recording on disk while it is checked. */
export const MAX_CONCURRENT_UPLOADS = 2;

const notAnUpload = () => new HttpError(415, `send the recording as a tar or tar.gz with Content-Type ${UPLOAD_TYPES[0]}`);

export function apiRoutes(c: ApiContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/features', async (): Promise<ServerFeatures> => {
      const a = c.analyses();
      return {
        analyses: a.registry.list().map((k) => ({ name: k.name, weight: k.weight, description: k.description })),
        diagnosis: a.diagnosis,
        ...(a.diagnosisNote ? { diagnosisNote: a.diagnosisNote } : {}),
        executor: c.executor,
        maxConcurrentJobs: c.maxConcurrentJobs,
      };
    });

    app.get('/api/recordings', async () => ({ recordings: await c.recordings.list() }));

    app.get('/api/recordings/:name', async (req: Named) => c.recordings.detail(req.params.name));

    app.get('/api/recordings/:name/jobs', async (req: Named) => {
      await c.recordings.dir(req.params.name);
      return { jobs: c.jobs.list(req.params.name).map(({ result: _r, ...j }) => j) };
    });

    app.post('/api/recordings/:name/jobs', async (req: Named, reply: FastifyReply) => {
      await c.recordings.dir(req.params.name);
      const body = validate(jobRequestSchema, req.body, 'job request');
      const job = await c.jobs.start(req.params.name, body);
      return reply.code(202).send({ id: job.id });
    });

    app.get('/api/jobs', async () => ({ jobs: c.jobs.list().map(({ result: _r, ...j }) => j) }));

    app.get('/api/jobs/:id', async (req: WithId) => c.jobs.get(req.params.id));

    app.delete('/api/jobs/:id', async (req: WithId) => c.jobs.cancel(req.params.id));

    app.get('/api/jobs/:id/events', async (req: WithId, reply: FastifyReply) => {
      c.jobs.get(req.params.id); // 404 before the stream starts
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      let closed = false;
      let unsubscribe = () => {};
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const end = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        res.end();
      };
      res.on('close', end);
      const send = (e: JobEvent) => {
        if (closed) return;
        // The state event is for catching up; the result (possibly large) is read from /api/jobs/:id.
        const data = e.type === 'state' ? { ...e, job: { ...e.job, result: undefined } } : e;
        res.write(`event: ${e.type}\ndata: ${JSON.stringify(data)}\n\n`);
        if (e.type === 'done') end();
      };
      unsubscribe = c.jobs.subscribe(req.params.id, send);
      if (closed) unsubscribe();
    });

    // Upload: a tar or tar.gz of a recording directory, streamed.
    let uploading = 0;
    await app.register(async (upload) => {
      // Every body reaches the route as it streams (none is parsed as JSON here): the route's own check answers any content type.
      upload.removeAllContentTypeParsers();
      upload.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
      // A Content-Type too malformed for Fastify to look up gets the same answer.
      upload.setErrorHandler((err: FastifyError) => {
        throw err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? notAnUpload() : err;
      });
      upload.post('/api/recordings', async (req: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply: FastifyReply) => {
        // A refused upload is not read to its end: the connection closes after the answer.
        reply.header('connection', 'close');
        const { name } = validate(uploadQuerySchema, req.query, 'query');
        checkRecordingName(name);
        const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (!UPLOAD_TYPES.includes(type)) throw notAnUpload();
        const length = Number(req.headers['content-length']);
        if (Number.isFinite(length) && length > c.upload.maxBytes) throw new HttpError(413, `the upload is larger than the limit of ${c.upload.maxBytes} bytes`);
        if (uploading >= MAX_CONCURRENT_UPLOADS) throw new HttpError(429, `${uploading} uploads are running, the limit is ${MAX_CONCURRENT_UPLOADS}: try again when one finishes`, { 'retry-after': '10' });
        uploading++;
        try {
          await receiveRecording(c.recordings.root, name, req.body as Readable, c.upload);
        } catch (e) {
          // A client that stopped sending is not waited for: the connection ends once the answer is out.
          if (e instanceof HttpError && e.statusCode === 408) reply.raw.once('finish', () => req.raw.socket?.destroy());
          throw e;
        } finally {
          uploading--;
        }
        reply.removeHeader('connection');
        return reply.code(201).send(await c.recordings.summary(name));
      });
    });
  };
}
