/** Small helpers for the server's tests: temp directories, SSE parsing, tar streams built by hand. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Header } from 'tar';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `prnr-server-${prefix}-`));
}

export interface SseEvent {
  event: string;
  data: any;
}

export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length) out.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return out;
}

/** A tar of exactly these entries (paths and types as given, unchecked): for uploads no well-behaved tool would make. */
export function rawTar(entries: { path: string; type?: 'File' | 'Directory' | 'SymbolicLink'; body?: string | Buffer; linkpath?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : e.body ?? Buffer.alloc(0);
    const h = new Header({ path: e.path, type: e.type ?? 'File', size: e.type && e.type !== 'File' ? 0 : body.length, mode: 0o644, mtime: new Date(0), linkpath: e.linkpath, uid: 0, gid: 0, uname: '', gname: '' });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (!e.type || e.type === 'File') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
