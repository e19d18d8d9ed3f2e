/**
 * Reading a recording over HTTP from a server that wants a token: the token
 * given (or registered for the URL) is sent, the environment's only where
 * none is, and a refusal names who lacks the token.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHttpRecording, readHttpRecordingsAs } from './http-recording.js';

let server: Server;
let base = '';
/** The Authorization header of each request, in order. */
const seen: Array<string | undefined> = [];
/** What the server answers: 401 (wants a token), or 404 (no recording there: enough to see the header sent). */
let status = 404;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/recordings`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const env = process.env.PRNR_TOKEN;
afterEach(() => {
  seen.length = 0;
  status = 404;
  if (env === undefined) delete process.env.PRNR_TOKEN;
  else process.env.PRNR_TOKEN = env;
});

describe('openHttpRecording and tokens', () => {
  it('sends the token it is given, not the environment\'s', async () => {
    process.env.PRNR_TOKEN = 'from-env';
    await expect(openHttpRecording(`${base}/a.rec`, { token: 'given' })).rejects.toThrow('is not a prnr recording');
    expect(seen).toEqual(['Bearer given']);
  });

  it('a URL opened by location alone (as a task names it) is read with the token registered for it; others with the environment\'s', async () => {
    process.env.PRNR_TOKEN = 'from-env';
    readHttpRecordingsAs(`${base}/b.rec/`, { token: 'registered', who: 'the server running the job' });
    await expect(openHttpRecording(`${base}/b.rec`)).rejects.toThrow('is not a prnr recording');
    await expect(openHttpRecording(`${base}/b.rec2`)).rejects.toThrow('is not a prnr recording');
    expect(seen).toEqual(['Bearer registered', 'Bearer from-env']);
  });

  it('a 401 names who has no token, or whose token was refused, in one line', async () => {
    delete process.env.PRNR_TOKEN;
    status = 401;
    readHttpRecordingsAs(`${base}/c.rec`, { who: 'the server running the job' });
    await expect(openHttpRecording(`${base}/c.rec`)).rejects.toThrow(`${base}/c.rec/recording.json: the server wants a token, and the server running the job has none: set PRNR_TOKEN for it`);
    await expect(openHttpRecording(`${base}/d.rec`, { token: 'wrong', who: 'this worker' })).rejects.toThrow(`${base}/d.rec/recording.json: the server refused the token this worker sent`);
    expect(seen).toEqual([undefined, 'Bearer wrong']);
  });
});
