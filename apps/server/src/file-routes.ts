/**
 * /recordings/NAME/...: a recording's files as they are on disk, read only,
 * for `prnr worker`s on other hosts (@prnr/scheduler's openHttpRecording
 * fetches recording.json, log/SEGMENT, objects/HASH and code-cache.bin under this base).
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from './http-error.js';
import { RecordingsDir } from './recordings-dir.js';

export function fileRoutes(recordings: RecordingsDir) {
  const send = (reply: FastifyReply, path: string, type: string, missing: string, immutable: boolean) => {
    const size = RecordingsDir.fileSize(path);
    if (size === null) throw notFound(missing);
    reply.header('content-type', type).header('content-length', size);
    reply.header('cache-control', immutable ? 'private, max-age=31536000, immutable' : 'no-cache');
    return reply.send(createReadStream(path));
  };
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/recordings/:name/recording.json', async (req: FastifyRequest<{ Params: { name: string } }>, reply) =>
      send(reply, recordings.manifestPath(req.params.name), 'application/json; charset=utf-8', `no recording named "${req.params.name}"`, false),
    );
    app.get('/recordings/:name/log/:segment', async (req: FastifyRequest<{ Params: { name: string; segment: string } }>, reply) =>
      send(reply, recordings.segmentPath(req.params.name, req.params.segment), 'application/octet-stream', `recording "${req.params.name}" has no segment log/${req.params.segment}`, false),
    );
    app.get('/recordings/:name/code-cache.bin', async (req: FastifyRequest<{ Params: { name: string } }>, reply) =>
      send(reply, recordings.codeCachePath(req.params.name), 'application/octet-stream', `recording "${req.params.name}" has no code cache`, false),
    );
    // GET, and HEAD (Fastify answers HEAD for every GET route): what ObjectReader.has asks.
    app.get('/recordings/:name/objects/:hash', async (req: FastifyRequest<{ Params: { name: string; hash: string } }>, reply) =>
      send(reply, recordings.objectPath(req.params.name, req.params.hash), 'application/octet-stream', `recording "${req.params.name}" has no object ${req.params.hash}`, true),
    );
  };
}
