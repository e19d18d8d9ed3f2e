/**
 * A recording served over HTTP (by `prnr serve`): manifest, log segments and
 * objects fetched on demand, objects verified against their hash on arrival.
 * What a worker on another host replays from.
 */
import { decodeObjectFile, blake3Hex, blake3Ready, ObjectCorruptError, ObjectMissingError, type Hash, type ObjectReader } from '@prnr/snapshot';
import { parseManifest, RecordingError, type RecordingSource } from '@prnr/recording';

/** How a process reads recordings over HTTP: the token it sends, and what it is called in a refusal. */
export interface HttpReader {
  /** The bearer token a server started with `prnr serve --token` wants. Default: $PRNR_TOKEN. */
  token?: string;
  /** Who reads, as a message names it ("this worker", "the server"). Default: "this process". */
  who?: string;
}

/**
 * Readers by recording URL prefix: where a recording is opened by URL alone (a task's location,
 * through openSource), the process that knows the token (the server reading its own recordings,
 * a worker given one) says so here first.
 */
const readers = new Map<string, HttpReader>();

/** Reads recordings under `prefix` as `reader` from now on. */
export function readHttpRecordingsAs(prefix: string, reader: HttpReader): void {
  readers.set(prefix.replace(/\/+$/, ''), reader);
}

/** The reader for `url`: the one registered for the longest prefix of it, else the environment's. */
function readerFor(url: string): HttpReader {
  let best: [string, HttpReader] | undefined;
  for (const e of readers) if ((url === e[0] || url.startsWith(`${e[0]}/`)) && (!best || e[0].length > best[0].length)) best = e;
  return best?.[1] ?? {};
}

/** What a read sends and how a refusal is said: fixed when the recording is opened. */
interface Auth {
  headers: Record<string, string>;
  /** The one line a 401 answer becomes. */
  refused: (url: string) => string;
}

function auth(r: HttpReader): Auth {
  const token = r.token ?? process.env.PRNR_TOKEN;
  const who = r.who ?? 'this process';
  return token
    ? { headers: { authorization: `Bearer ${token}` }, refused: (url) => `${url}: the server refused the token ${who} sent` }
    : { headers: {}, refused: (url) => `${url}: the server wants a token, and ${who} has none: set PRNR_TOKEN for it` };
}

async function fetchBytes(url: string, a: Auth): Promise<Uint8Array | null> {
  let res: Response;
  try {
    res = await fetch(url, { headers: a.headers });
  } catch (e) {
    throw new RecordingError(`${url}: cannot connect (${(e as Error).message})`);
  }
  if (res.status === 404) return null;
  if (res.status === 401) throw new RecordingError(a.refused(url));
  if (!res.ok) throw new RecordingError(`${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

class HttpObjectReader implements ObjectReader {
  constructor(
    private readonly base: string,
    private readonly auth: Auth,
  ) {}

  async get(h: Hash): Promise<Uint8Array> {
    const url = `${this.base}/objects/${h}`;
    const file = await fetchBytes(url, this.auth);
    if (!file) throw new ObjectMissingError(h, url);
    const bytes = decodeObjectFile(file);
    await blake3Ready();
    if (blake3Hex(bytes) !== h) throw new ObjectCorruptError(h, url, 'content does not match its hash');
    return bytes;
  }

  async has(h: Hash): Promise<boolean> {
    const res = await fetch(`${this.base}/objects/${h}`, { method: 'HEAD', headers: this.auth.headers });
    return res.ok;
  }
}

/** `reader`: how to read it (default: as registered for its URL by readHttpRecordingsAs, else $PRNR_TOKEN). */
export async function openHttpRecording(url: string, reader?: HttpReader): Promise<RecordingSource> {
  const base = url.replace(/\/+$/, '');
  const a = auth(reader ?? readerFor(base));
  const text = await fetchBytes(`${base}/recording.json`, a);
  if (!text) throw new RecordingError(`${base} is not a prnr recording: recording.json is missing`);
  // Checked as a local recording.json is (JSON, format version, checksum, schema, slices).
  const manifest = parseManifest(Buffer.from(text).toString('utf8'), `${base}/recording.json`);
  return {
    location: base,
    manifest,
    store: new HttpObjectReader(base, a),
    readFile: async (path) => {
      const b = await fetchBytes(`${base}/${path}`, a);
      if (!b) throw new RecordingError(`${base}/${path} is missing (recording.json names it)`);
      return b;
    },
  };
}
