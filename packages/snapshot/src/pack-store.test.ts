import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Hex, blake3Ready } from './hash.js';
import { ENTRY_HEADER_BYTES, PACK_HEADER_BYTES } from './pack-format.js';
import { Codec } from './schema.js';
import { prng, randomBytes } from './test-support.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-packs-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => blake3Ready());

const rand = prng(11);
/** Objects of mixed kinds: incompressible, compressible, tiny, empty. */
function objects(n: number): Uint8Array[] {
  const out: Uint8Array[] = [new Uint8Array(0), new TextEncoder().encode('tiny')];
  for (let i = out.length; i < n; i++) out.push(i % 2 ? randomBytes(rand, 4096) : new TextEncoder().encode(`page ${i} `.repeat(400)));
  return out;
}
const packFiles = (dir: string) => readdirSync(join(dir, 'objects', 'pack')).map((f) => join(dir, 'objects', 'pack', f));

async function putAll(store: FsObjectStore, objs: Uint8Array[]): Promise<string[]> {
  const hs: string[] = [];
  for (const o of objs) hs.push(await store.put(o));
  return hs;
}

describe('FsObjectStore with packs', () => {
  it('writes many objects into one pack file, reads them back verified, before and after the pack is closed', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const objs = objects(300);
    const hs = await putAll(store, objs);
    for (let i = 0; i < objs.length; i++) expect(hs[i]).toBe(blake3Hex(objs[i]));
    // Read while still buffered, then after a flush to the file.
    expect(Buffer.from(await store.get(hs[5])).equals(Buffer.from(objs[5]))).toBe(true);
    await store.sync();
    expect(packFiles(dir)).toHaveLength(1);
    expect(readdirSync(join(dir, 'objects'))).toEqual(['pack']); // no file per object
    const again = await store.put(objs[7]);
    expect(again).toBe(hs[7]);
    expect((await store.putHashed(hs[7], objs[7])).added).toBe(false);
    await store.close();
    // A new reader: through the index at the end of the pack.
    const reader = new FsObjectStore(dir);
    for (let i = 0; i < objs.length; i++) expect(Buffer.from(await reader.get(hs[i])).equals(Buffer.from(objs[i]))).toBe(true);
    expect(await reader.has(hs[0])).toBe(true);
    expect(await reader.has('f'.repeat(64))).toBe(false);
    const listed = new Set<string>();
    for await (const h of reader.list()) listed.add(h);
    expect(listed).toEqual(new Set(hs));
    const st = await reader.stats();
    expect(st.objects).toBe(new Set(hs).size);
    expect(st.logicalBytes).toBe(objs.reduce((a, o) => a + o.length, 0));
    expect(await reader.fileCount()).toEqual({ packs: 1, loose: 0 });
    expect(reader.packDamage()).toEqual([]);
  });

  it('reads that follow one another through a pack (read ahead) and reads that jump about give the same objects', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const objs = objects(400); // ~1 MiB of entries: several read-ahead windows
    const hs = await putAll(store, objs);
    await store.close();
    const orders = [hs.map((_, i) => i), hs.map((_, i) => hs.length - 1 - i), hs.map((_, i) => (i * 7919) % hs.length), hs.map((_, i) => (i % 2 ? i : hs.length - 1 - i))];
    for (const order of orders) {
      const reader = new FsObjectStore(dir);
      for (const i of order) expect(Buffer.from(await reader.get(hs[i])).equals(Buffer.from(objs[i]))).toBe(true);
    }
    // A byte flipped on disk after a window was read is not hidden by it from a new reader, which reports it.
    const reader = new FsObjectStore(dir);
    for (const h of hs.slice(0, 20)) await reader.get(h);
    const at = reader.locate(hs[10])!;
    const file = readFileSync(at.file);
    file[at.offset + 30] ^= 0xff;
    writeFileSync(at.file, file);
    const fresh = new FsObjectStore(dir);
    for (const h of hs.slice(0, 10)) await fresh.get(h);
    await expect(fresh.get(hs[10])).rejects.toThrow(ObjectCorruptError);
  });

  it('reads a store that mixes loose objects (recordings before packs) and packs', async () => {
    const dir = tempDir();
    const [a, b] = objects(4).slice(2);
    const loose = new FsObjectStore(dir, { packs: false });
    const ha = await loose.put(a);
    await loose.sync();
    const packed = new FsObjectStore(dir, { packs: true });
    const hb = await packed.put(b);
    await packed.close();
    const r = new FsObjectStore(dir);
    expect(Buffer.from(await r.get(ha)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(await r.get(hb)).equals(Buffer.from(b))).toBe(true);
    expect(await r.fileCount()).toEqual({ packs: 1, loose: 1 });
  });

  it('a pack cut short (a writer killed mid-append) keeps every whole object before the cut and says where it stops', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const objs = objects(40);
    const hs = await putAll(store, objs);
    await store.sync(); // written, no index: what a live or killed writer leaves
    const [pack] = packFiles(dir);
    const size = statSync(pack).size;
    // Cut in the middle of the last entry.
    truncateSync(pack, size - 100);
    const r = new FsObjectStore(dir);
    const last = hs[hs.length - 1];
    for (const h of hs.slice(0, -1)) expect((await r.get(h)).length).toBeGreaterThanOrEqual(0);
    const err = await r.get(last).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toMatch(new RegExp(`${pack}: the entry at offset \\d+ is cut short`));
    // A torn header after a whole entry: the same.
    const dir2 = tempDir();
    const s2 = new FsObjectStore(dir2, { packs: true });
    const h2 = await putAll(s2, objs.slice(0, 5));
    await s2.sync();
    appendFileSync(packFiles(dir2)[0], Buffer.from('prPE partial header'));
    const r2 = new FsObjectStore(dir2);
    for (const h of h2) await r2.get(h);
    expect(r2.packDamage()[0]).toMatch(/an entry header cut short at offset \d+/);
  });

  it('a flipped byte in a pack entry is reported with the pack file and the offset', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const objs = objects(20);
    const hs = await putAll(store, objs);
    await store.close();
    const [pack] = packFiles(dir);
    const reader = new FsObjectStore(dir);
    const at = reader.locate(hs[9])!;
    expect(at.file).toBe(pack);
    const bytes = readFileSync(pack);
    const flip = at.offset + 30; // inside the body (the object file)
    bytes[flip] ^= 0x40;
    writeFileSync(pack, bytes);
    const r = new FsObjectStore(dir);
    const err = await r.get(hs[9]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    const entryOffset = at.offset - ENTRY_HEADER_BYTES;
    expect((err as Error).message).toBe(
      `object ${hs[9]} in ${pack} at offset ${entryOffset} is corrupt: body checksum mismatch (bytes ${ENTRY_HEADER_BYTES}..${ENTRY_HEADER_BYTES + at.length} of the entry)`,
    );
    expect((err as Error).message).not.toMatch(/\n/);
    // Its neighbours are unaffected.
    await r.get(hs[8]);
    await r.get(hs[10]);
  });

  it('a large object (1 MiB and more) is decoded off the thread and checked like any other: the same bytes from a pack and from a loose file; a damaged loose one is named with its file', async () => {
    // Compressible (LZ4 is kept only where it saves 1/16), with random runs so that a wrong decode shows.
    const big = new Uint8Array(3 << 20);
    for (let at = 0; at < big.length; at += 8192) big.set(at % 65536 === 0 ? randomBytes(rand, 4096) : new TextEncoder().encode(`block ${at} `.repeat(300)).subarray(0, 4096), at);
    for (const packs of [true, false]) {
      const dir = tempDir();
      const store = new FsObjectStore(dir, { packs });
      const h = await store.put(big);
      await store.close();
      const got = await new FsObjectStore(dir).get(h);
      expect(blake3Hex(got)).toBe(h);
      expect(Buffer.compare(got, big)).toBe(0);
      if (packs) continue;
      const file = store.pathOf(h);
      const bytes = readFileSync(file);
      expect(bytes[5]).toBe(Codec.lz4); // the path under test
      // Another object's file in its place (decodes fine, to other bytes): caught by the hash.
      const other = big.slice();
      other[12345] ^= 1;
      const otherStore = new FsObjectStore(tempDir(), { packs: false });
      const o = await otherStore.put(other);
      await otherStore.close();
      writeFileSync(file, readFileSync(otherStore.pathOf(o)));
      const swapped = await new FsObjectStore(dir).get(h).catch((e: unknown) => e);
      expect(swapped).toBeInstanceOf(ObjectCorruptError);
      expect((swapped as Error).message).toContain(`${file} is corrupt: its content hashes to ${o}`);
      // A flipped byte: the payload no longer decodes to the length its header says.
      bytes[bytes.length >>> 1] ^= 0x40;
      writeFileSync(file, bytes);
      const err = await new FsObjectStore(dir).get(h).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectCorruptError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).not.toMatch(/\n/);
    }
  });

  it('a damaged index is ignored: the entries are scanned instead', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const hs = await putAll(store, objects(12));
    await store.close();
    const [pack] = packFiles(dir);
    const bytes = readFileSync(pack);
    bytes[bytes.length - 30] ^= 1; // in the last index row
    writeFileSync(pack, bytes);
    const r = new FsObjectStore(dir);
    for (const h of hs) await r.get(h);
    expect(r.packDamage()).toEqual([]);
  });

  it('a file that is not a pack, or a pack of another version, is named with what is wrong', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const [h] = await putAll(store, objects(3).slice(2));
    await store.close();
    const [pack] = packFiles(dir);
    const bytes = readFileSync(pack);
    bytes[4] = 9;
    writeFileSync(pack, bytes);
    const r = new FsObjectStore(dir);
    const err = await r.get(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toContain(`${pack}: pack format version 9; this reader understands version 1`);
  });

  it('a reader follows a live writer: packs that appear and grow', async () => {
    const dir = tempDir();
    const w = new FsObjectStore(dir, { packs: true });
    const objs = objects(30);
    const first = await putAll(w, objs.slice(0, 10));
    await w.sync();
    const r = new FsObjectStore(dir);
    for (const h of first) await r.get(h);
    const later = await putAll(w, objs.slice(10));
    await w.sync();
    for (const h of later) expect(await r.has(h)).toBe(true);
    for (const h of later) await r.get(h);
  });

  it('retainOnly rewrites packs without the dropped objects; the kept ones still read; loose ones are unlinked', async () => {
    const dir = tempDir();
    const loose = new FsObjectStore(dir, { packs: false });
    const objs = objects(50);
    const looseHs = await putAll(loose, objs.slice(40));
    const w = new FsObjectStore(dir, { packs: true });
    const hs = await putAll(w, objs.slice(0, 40));
    await w.close();
    const sizeBefore = statSync(packFiles(dir)[0]).size;
    const keep = new Set([...hs.filter((_, i) => i % 3 === 0), looseHs[0]]);
    const store = new FsObjectStore(dir);
    const r = await store.retainOnly(keep);
    expect(r.objectsRemoved).toBe(new Set([...hs, ...looseHs]).size - keep.size);
    expect(r.packsRewritten).toBe(1);
    expect(r.bytesFreed).toBeGreaterThan(0);
    const packs = packFiles(dir);
    expect(packs).toHaveLength(1);
    expect(statSync(packs[0]).size).toBeLessThan(sizeBefore);
    const fresh = new FsObjectStore(dir);
    for (const h of keep) await fresh.get(h);
    for (const h of [...hs, ...looseHs]) if (!keep.has(h)) expect(await fresh.has(h)).toBe(false);
    expect(fresh.packDamage()).toEqual([]);
    // Nothing to drop: nothing rewritten.
    expect((await fresh.retainOnly(keep)).packsRewritten).toBe(0);
  });

  it('retainOnly and checkRetain with a damaged kept object: one line naming the pack and offset, the new pack removed, nothing else changed', async () => {
    const dir = tempDir();
    const w = new FsObjectStore(dir, { packs: true });
    const objs = objects(20);
    const hs = await putAll(w, objs);
    await w.close();
    const [pack] = packFiles(dir);
    const at = new FsObjectStore(dir).locate(hs[15])!;
    const bytes = readFileSync(pack);
    bytes[at.offset + 200] ^= 0x01; // inside the body: its CRC fails when the rewrite copies it
    writeFileSync(pack, bytes);
    const keep = new Set([...hs.filter((_, i) => i % 2 === 0), hs[15]]);
    const line = `object ${hs[15]} in ${pack} at offset ${at.offset - ENTRY_HEADER_BYTES} is corrupt: body checksum mismatch (bytes ${ENTRY_HEADER_BYTES}..${ENTRY_HEADER_BYTES + at.length} of the entry)`;
    const store = new FsObjectStore(dir);
    // The check a merge makes first: the same error, and nothing written.
    await expect(store.checkRetain(keep)).rejects.toThrow(line);
    expect(packFiles(dir)).toEqual([pack]);
    const err = await store.retainOnly(keep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    expect((err as Error).message).toBe(line);
    // The pack being written (objects before the damaged one were copied into it) is gone; the old one is whole.
    expect(packFiles(dir)).toEqual([pack]);
    expect(readFileSync(pack).equals(bytes)).toBe(true);
    for (const [i, h] of hs.entries()) if (i !== 15) expect(Buffer.from(await store.get(h)).equals(Buffer.from(objs[i]))).toBe(true);
    // Without the damaged object the same store rewrites the pack.
    keep.delete(hs[15]);
    expect(await store.checkRetain(keep)).toBe(keep.size);
    expect((await store.retainOnly(keep)).packsRewritten).toBe(1);
    for (const h of keep) await new FsObjectStore(dir).get(h);
  });

  it('starts every pack with its header and appends nothing but whole entries before sync', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    await putAll(store, objects(3));
    await store.sync();
    const bytes = readFileSync(packFiles(dir)[0]);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('prPK');
    expect(bytes[4]).toBe(1);
    expect(bytes.length).toBeGreaterThan(PACK_HEADER_BYTES);
  });

  it('sync() fsyncs the pack whenever objects were appended since the last sync, also when they are already written out', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    await store.put(randomBytes(rand, 4096));
    expect((await store.sync()).files).toBe(1);
    expect((await store.sync()).files).toBe(0); // nothing new
    // Larger than the append buffer: written out by put() itself, before the sync (a sync that skipped it lost it on power loss).
    const big = randomBytes(rand, 3 << 20);
    const h = await store.put(big);
    const size = statSync(packFiles(dir)[0]).size;
    expect(size).toBeGreaterThan(3 << 20);
    expect((await store.sync()).files).toBe(1);
    // Many objects: the buffer is written out several times between syncs.
    const many = objects(700);
    const hs = await putAll(store, many);
    expect(statSync(packFiles(dir)[0]).size).toBeGreaterThan(size + (512 << 10)); // written out before the sync
    expect((await store.sync()).files).toBe(1);
    await store.close();
    const reader = new FsObjectStore(dir);
    expect(Buffer.from(await reader.get(h)).equals(Buffer.from(big))).toBe(true);
    for (let i = 0; i < many.length; i++) expect(Buffer.from(await reader.get(hs[i])).equals(Buffer.from(many[i]))).toBe(true);
  });

  it('putHashedNow stores at once in a pack store (the snapshot worker\'s path), and is absent where objects are loose files', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const bytes = new TextEncoder().encode('a page '.repeat(600));
    const h = blake3Hex(bytes);
    expect(store.putHashedNow!(h, bytes)).toEqual({ added: true, storedBytes: expect.any(Number) });
    bytes.fill(0); // the caller may reuse its bytes at once
    expect(store.putHashedNow!(h, new Uint8Array(0)).added).toBe(false);
    expect(new TextDecoder().decode(await store.get(h))).toBe('a page '.repeat(600));
    expect(() => store.putHashedNow!('not a hash', new Uint8Array(200))).toThrow(/not a hash/);
    expect(new FsObjectStore(tempDir()).putHashedNow).toBeUndefined();
  });

  /** getEach into a Map of copies (what it lends is valid only during the call), each hash seen once. */
  async function getEachCopies(store: FsObjectStore, hs: string[]): Promise<Map<string, Uint8Array>> {
    const got = new Map<string, Uint8Array>();
    await store.getEach(hs, (h, bytes) => {
      expect(got.has(h)).toBe(false);
      got.set(h, bytes.slice());
    });
    return got;
  }

  it('getEach gives the same bytes as one get each: closed packs (several spans, an entry larger than a span), the pack being written, loose files', async () => {
    const dir = tempDir();
    const loose = new FsObjectStore(dir, { packs: false });
    const looseObjs = objects(6).slice(2);
    const looseHs = await putAll(loose, looseObjs);
    const w = new FsObjectStore(dir, { packs: true });
    const big = [randomBytes(rand, 1_500_000), new TextEncoder().encode('a large compressible object '.repeat(60_000))];
    const objs = [...objects(500), ...big];
    const hs = await putAll(w, objs);
    await w.close();
    const w2 = new FsObjectStore(dir, { packs: true });
    const liveObjs = objects(520).slice(500);
    const liveHs = await putAll(w2, liveObjs); // buffered, not yet in the file
    const all = [...hs, ...looseHs, ...liveHs];
    const want = new Map<string, Uint8Array>();
    [...objs, ...looseObjs, ...liveObjs].forEach((o, i) => want.set(all[i], o));
    // In a shuffled order, as a restore asks; the writer's own store sees its buffered entries.
    const order = [...new Set(all.map((_, i) => all[(i * 7919) % all.length]))]; // a text object is both loose and packed: asked once
    for (const store of [w2, new FsObjectStore(dir)]) {
      const got = await getEachCopies(store, store === w2 ? order : order.filter((h) => !liveHs.includes(h)));
      for (const [h, bytes] of got) expect(Buffer.from(bytes).equals(Buffer.from(want.get(h)!)), h).toBe(true);
      expect(got.size).toBe(store === w2 ? order.length : order.length - liveHs.length);
    }
    await w2.sync(); // now written out, the pack still without its index
    expect((await getEachCopies(new FsObjectStore(dir), liveHs)).size).toBe(liveHs.length);
    // What the store lends is its own read or decode buffer; get() still hands out a copy the caller owns.
    const one = await w2.get(hs[10]);
    one.fill(0);
    expect(Buffer.from(await w2.get(hs[10])).equals(Buffer.from(objs[10]))).toBe(true);
    const missing = 'e'.repeat(64);
    const err = await new FsObjectStore(dir).getEach([hs[3], missing], () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toContain(`object ${missing} is missing`);
  });

  it('getEach reports a corrupt entry in the middle of a span with its pack file and offset, after delivering those before it', async () => {
    const dir = tempDir();
    const store = new FsObjectStore(dir, { packs: true });
    const objs = objects(60);
    const hs = await putAll(store, objs);
    await store.close();
    const [pack] = packFiles(dir);
    const at = new FsObjectStore(dir).locate(hs[30])!;
    const bytes = readFileSync(pack);
    bytes[at.offset + 40] ^= 0x10;
    writeFileSync(pack, bytes);
    const r = new FsObjectStore(dir);
    const seen: string[] = [];
    const err = await r.getEach(hs, (h) => seen.push(h)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    const entryOffset = at.offset - ENTRY_HEADER_BYTES;
    expect((err as Error).message).toBe(`object ${hs[30]} in ${pack} at offset ${entryOffset} is corrupt: body checksum mismatch (bytes ${ENTRY_HEADER_BYTES}..${ENTRY_HEADER_BYTES + at.length} of the entry)`);
    expect(seen).toEqual(hs.slice(0, 30)); // in file order, up to the bad one
    // The same message as a get() of it alone.
    expect(await r.get(hs[30]).catch((e: unknown) => (e as Error).message)).toBe((err as Error).message);

    // A pack cut short after its index was written: the entries past the cut are reported, with file and offset.
    const dir2 = tempDir();
    const s2 = new FsObjectStore(dir2, { packs: true });
    const h2 = await putAll(s2, objects(30));
    await s2.close();
    const [pack2] = packFiles(dir2);
    const cut = new FsObjectStore(dir2).locate(h2[20])!;
    const r2 = new FsObjectStore(dir2);
    await r2.has(h2[0]); // the index is read before the cut
    truncateSync(pack2, cut.offset + 10); // 10 bytes into its body
    const err2 = await r2.getEach(h2, () => {}).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ObjectCorruptError);
    expect((err2 as Error).message).toBe(`object ${h2[20]} in ${pack2} at offset ${cut.offset - ENTRY_HEADER_BYTES} is corrupt: entry cut short: ${ENTRY_HEADER_BYTES + 10} of ${ENTRY_HEADER_BYTES + cut.length} bytes`);
  });
});
