/**
 * A recording served over HTTP (by `prnr serve`): manifest, log segments and
 * objects fetched on demand, objects verified against their hash on arrival.
 * What a worker on another host replays from.
 */
import { decodeObjectFile, blake3Hex, blake3Ready, ObjectCorruptError, ObjectMissingError, type Hash, type ObjectReader } from '@prnr/snapshot';
import { parseManifest, RecordingError, type RecordingSource } from '@prnr/recording';

/** A server started with a token (`prnr serve --token`) wants it from workers too: PRNR_TOKEN. */
function authHeaders(): Record<string, string> {
  const token = process.env.PRNR_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
}

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders() });
  } catch (e) {
    throw new RecordingError(`${url}: cannot connect (${(e as Error).message})`);
  }
  if (res.status === 404) return null;
  if (res.status === 401) throw new RecordingError(`${url}: the server wants a token: set PRNR_TOKEN for this worker`);
  if (!res.ok) throw new RecordingError(`${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

class HttpObjectReader implements ObjectReader {
  constructor(private readonly base: string) {}

  async get(h: Hash): Promise<Uint8Array> {
    const url = `${this.base}/objects/${h}`;
    const file = await fetchBytes(url);
    if (!file) throw new ObjectMissingError(h, url);
    const bytes = decodeObjectFile(file);
    await blake3Ready();
    if (blake3Hex(bytes) !== h) throw new ObjectCorruptError(h, url, 'content does not match its hash');
    return bytes;
  }

  async has(h: Hash): Promise<boolean> {
    const res = await fetch(`${this.base}/objects/${h}`, { method: 'HEAD', headers: authHeaders() });
    return res.ok;
  }
}

export async function openHttpRecording(url: string): Promise<RecordingSource> {
  const base = url.replace(/\/+$/, '');
  const text = await fetchBytes(`${base}/recording.json`);
  if (!text) throw new RecordingError(`${base} is not a prnr recording: recording.json is missing`);
  // Checked as a local recording.json is (JSON, format version, checksum, schema, slices).
  const manifest = parseManifest(Buffer.from(text).toString('utf8'), `${base}/recording.json`);
  return {
    location: base,
    manifest,
    store: new HttpObjectReader(base),
    readFile: async (path) => {
      const b = await fetchBytes(`${base}/${path}`);
      if (!b) throw new RecordingError(`${base}/${path} is missing (recording.json names it)`);
      return b;
    },
  };
}
