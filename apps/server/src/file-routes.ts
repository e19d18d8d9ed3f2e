/**
 * /recordings/NAME/...: a recording's files as they are on disk, read only,
 * for `prnr worker`s on other hosts (@prnr/scheduler's openHttpRecording
 * fetches recording.json, log/SEGMENT, objects/HASH and code-cache.bin under this base).
 * Only regular files reached by no link are served (RecordingsDir.open).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from './http-error.js';
import type { RecordingFile, RecordingsDir } from './recordings-dir.js';

export function fileRoutes(recordings: RecordingsDir) {
  const send = async (req: FastifyRequest, reply: FastifyReply, name: string, file: RecordingFile, type: string, missing: string, immutable: boolean) => {
    const f = await recordings.open(name, file);
    if (!f) throw notFound(missing);
    reply.header('content-type', type).header('content-length', f.size);
    reply.header('cache-control', immutable ? 'private, max-age=31536000, immutable' : 'no-cache');
    // HEAD (what ObjectReader.has asks): the size, without reading the file.
    if (req.method === 'HEAD' || f.size === 0) {
      f.close();
      return reply.send(Readable.from([]));
    }
    // The stream closes the descriptor when it ends or is destroyed (a client that goes away).
    return reply.send(f.stream());
  };
  type Named<P = object> = FastifyRequest<{ Params: { name: string } & P }>;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/recordings/:name/recording.json', async (req: Named, reply) =>
      send(req, reply, req.params.name, { kind: 'manifest' }, 'application/json; charset=utf-8', `no recording named "${req.params.name}"`, false),
    );
    app.get('/recordings/:name/log/:segment', async (req: Named<{ segment: string }>, reply) =>
      send(req, reply, req.params.name, { kind: 'segment', segment: req.params.segment }, 'application/octet-stream', `recording "${req.params.name}" has no segment log/${req.params.segment}`, false),
    );
    app.get('/recordings/:name/code-cache.bin', async (req: Named, reply) =>
      send(req, reply, req.params.name, { kind: 'code-cache' }, 'application/octet-stream', `recording "${req.params.name}" has no code cache`, false),
    );
    // GET, and HEAD (Fastify answers HEAD for every GET route).
    app.get('/recordings/:name/objects/:hash', async (req: Named<{ hash: string }>, reply) =>
      send(req, reply, req.params.name, { kind: 'object', hash: req.params.hash }, 'application/octet-stream', `recording "${req.params.name}" has no object ${req.params.hash}`, true),
    );
  };
}
