/**
 * The CLI's exit status and its one-line message on each way a replay or a
 * run can go wrong: 4 for a replay that does not match its recording (an end
 * state, events left over, a guest that powers off before the slice ends, a
 * log that steers the guest elsewhere, a segment that is gone), 3 for a guest
 * that hangs, 2 for input that is not a usable recording. One small recording
 * of the default guest (boot, `poweroff -f`) is made once; each case damages
 * a copy of it. Never a stack trace.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '@prnr/recording';
import { reachableObjects } from '@prnr/snapshot';
import { copyRecording, editManifest, expectBadInput, expectFailure, literal, prnr, readManifestJson, recordPoweroff, rewriteSegment, type Manifest } from './testing/cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'prnr-exit-'));
const base = join(tmp, 'base.rec');
let manifest: Manifest;
let copies = 0;
/** A fresh copy of the base recording. */
const damaged = () => copyRecording(base, join(tmp, `copy-${copies++}.rec`));

beforeAll(() => {
  const r = recordPoweroff(base, tmp);
  expect(r.status, r.stderr).toBe(0);
  manifest = readManifestJson(base);
  expect(manifest.end?.reason).toBe('poweroff');
  expect(manifest.slices.length).toBe(3);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('exit status 4: a replay that does not match its recording', () => {
  it('an end state that does not match (recording.json edited): the slice, both hashes', () => {
    const rec = damaged();
    const last = manifest.slices[2];
    const wrong = 'f'.repeat(64);
    editManifest(rec, (m) => void (m.slices[2].endState = wrong));
    const line = new RegExp(`^prnr: slice 2 DIVERGED between icount \\d+ and ${last.endIcount}: .*hashes to ${last.endState}, the recording says ${wrong}$`);
    expectFailure(prnr(['replay', rec, '-q', '--slice', '2', '-j', '1']), 4, 'stderr', line);
    // verify says it on its report (stdout), and the other slices still verify.
    const v = prnr(['verify', rec, '-j', '1']);
    expectFailure(v, 4, 'stdout', new RegExp(`^slice +2 .*DIVERGED between icount \\d+ and ${last.endIcount}: .*the recording says ${wrong}$`));
    expect(v.stdout.split('\n').filter((l) => /^slice +\d .* ok$/.test(l))).toHaveLength(2);
    expect(v.stdout).toContain('1 of 3 slice(s) did not verify');
  }, 120_000);

  it('events never consumed: an extra event after the last the guest takes', async () => {
    const rec = damaged();
    const s = manifest.slices[1];
    await rewriteSegment(rec, 1, (events, end) => ({ events: [...events, { icount: end, channel: 20, kind: 0, payload: Uint8Array.of(1) }], endIcount: end }));
    const line = new RegExp(`^prnr: slice 1 DIVERGED between icount \\d+ and ${s.endIcount}: .*1 recorded events? never consumed.*channel 20 at icount ${s.endIcount}`);
    expectFailure(prnr(['replay', rec, '-q', '--slice', '1', '-j', '1']), 4, 'stderr', line);
  }, 120_000);

  it('a guest that powers off before its slice ends (the last slice made longer, in recording.json and its segment)', async () => {
    const rec = damaged();
    const last = manifest.slices[2];
    const longer = last.endIcount + 1_000_000;
    await rewriteSegment(rec, 2, (events) => ({ events, endIcount: BigInt(longer) }));
    editManifest(rec, (m) => {
      m.slices[2].endIcount = longer;
      m.end!.icount = longer;
    });
    const line = new RegExp(`^prnr: slice 2 DIVERGED between icount \\d+ and ${last.endIcount}: .*powered off .*before the slice's end at icount ${longer}`);
    expectFailure(prnr(['replay', rec, '-q', '--slice', '2', '-j', '1']), 4, 'stderr', line);
  }, 120_000);

  it('a slice longer in recording.json than its segment: the segment and both ranges', () => {
    const rec = damaged();
    const last = manifest.slices[2];
    editManifest(rec, (m) => void (m.slices[2].endIcount = last.endIcount + 1_000_000));
    const seg = literal(join(rec, last.log));
    expectFailure(prnr(['replay', rec, '-q', '--slice', '2', '-j', '1']), 4, 'stderr', new RegExp(`^prnr: slice 2 FAILED: ${seg}: .*${last.endIcount}.*${last.endIcount + 1_000_000}`));
  }, 120_000);

  it('a divergence: entropy the guest was not given (an event payload changed, checksums valid)', async () => {
    const rec = damaged();
    const s = manifest.slices[1];
    let changed = 0;
    await rewriteSegment(rec, 1, (events, end) => ({
      events: events.map((ev) => {
        if (ev.channel !== 3 || changed++ > 0) return ev; // the first entropy event
        const payload = Uint8Array.from(ev.payload, (b) => b ^ 0x5a);
        return { ...ev, payload };
      }),
      endIcount: end,
    }));
    expect(changed, 'slice 1 has an entropy event').toBeGreaterThan(0);
    const line = new RegExp(`^prnr: slice 1 DIVERGED between icount \\d+ and \\d+: `);
    const hit = expectFailure(prnr(['replay', rec, '-q', '--slice', '1', '-j', '1']), 4, 'stderr', line);
    const [, from, to] = /between icount (\d+) and (\d+)/.exec(hit)!.map(Number);
    expect(from).toBeGreaterThanOrEqual(s.startIcount);
    expect(to).toBeLessThanOrEqual(s.endIcount);
    expect(from).toBeLessThanOrEqual(to);
  }, 120_000);

  it('an object only a later snapshot has, damaged: verify fails that slice with the pack and offset, with one lane as with two', async () => {
    const rec = damaged();
    const { store } = openRecording(rec);
    // Slice 2's snapshot is never restored by one lane running straight through from slice 0.
    const before = await reachableObjects([manifest.slices[0].snapshot, manifest.slices[1].snapshot], store);
    const only = [...(await reachableObjects(manifest.slices[2].snapshot, store))].find((h) => !before.has(h))!;
    const at = store.locate(only)!;
    expect(at.file).toMatch(/\.pack$/);
    const bytes = readFileSync(at.file);
    bytes[at.offset + at.length - 1] ^= 0x40; // the last byte of its body
    writeFileSync(at.file, bytes);
    const line = new RegExp(`^slice +2 .*FAILED: its stored snapshot cannot be restored: (snapshot [0-9a-f]{64}: .*: )?object ${only} in ${literal(at.file)} at offset \\d+ is corrupt`);
    for (const j of ['1', '2']) {
      const v = prnr(['verify', rec, '-j', j, '--all-lanes']);
      expectFailure(v, 4, 'stdout', line);
      expect(v.stdout).toContain('1 of 3 slice(s) did not verify');
    }
    // A restore of that slice says it in the same words as the read-back (a lane of -j 2 may do either).
    const restored = new RegExp(`^prnr: slice 2 FAILED: its stored snapshot cannot be restored: snapshot ${manifest.slices[2].snapshot}: .*object ${only} in ${literal(at.file)} at offset \\d+ is corrupt`);
    expectFailure(prnr(['replay', rec, '-q', '--slice', '2', '-j', '1']), 4, 'stderr', restored);
  }, 120_000);

  it('a segment that is missing: the file, named by recording.json; the other slices verify', () => {
    const rec = damaged();
    unlinkSync(join(rec, manifest.slices[1].log));
    const seg = literal(join(rec, manifest.slices[1].log));
    expectFailure(prnr(['replay', rec, '-q', '--slice', '1', '-j', '1']), 4, 'stderr', new RegExp(`^prnr: slice 1 FAILED: ${seg} is missing`));
    const v = prnr(['verify', rec, '-j', '1']);
    expectFailure(v, 4, 'stdout', new RegExp(`^slice +1 .*FAILED: ${seg} is missing`));
    expect(v.stdout).toContain('1 of 3 slice(s) did not verify');
  }, 120_000);
});

/**
 * A guest image set whose firmware is `wfi; j .-4` with no timer armed: the
 * hart idles at once and nothing can wake it. The kernel is a bare Image
 * header (never reached).
 */
function hangingImage(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const firmware = Uint8Array.of(0x73, 0x00, 0x50, 0x10, 0x6f, 0xf0, 0xdf, 0xff); // wfi (0x10500073); jal x0, -4 (0xffdff06f)
  const kernel = new Uint8Array(64);
  kernel.set([0x52, 0x53, 0x43, 0x05], 0x38); // "RSC\x05": a RISC-V Linux Image header
  const file = (name: string, role: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    return { name, role, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), stored: name, compression: 'none' };
  };
  const files = [file('fw.bin', 'firmware', firmware), file('Image', 'kernel', kernel)];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'hangs', arch: 'riscv64', cmdline: 'console=ttyS0', memory_default_mib: 16, files }));
  return dir;
}

describe('exit status 3: a guest that hangs', () => {
  it('prnr run and prnr record stop a guest idle with no timer and no input, and say so', () => {
    const image = hangingImage(join(tmp, 'hang-image'));
    const script = join(tmp, 'one-line.sh');
    writeFileSync(script, 'echo\n');
    const run = prnr(['run', '--image', image, '--script', script], 60_000);
    expectFailure(run, 3, 'stderr', /^prnr: the guest is idle with no timer and no input left after \d+ steps: stopping$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const out = join(tmp, 'hang.rec');
    const rec = prnr(['record', '-o', out, '--image', image, '--script', script, '-q'], 60_000);
    expectFailure(rec, 3, 'stderr', new RegExp(`^prnr: recorded .* into ${literal(out)}: .*ended by hung$`));
    expect(readManifestJson(out).end?.reason).toBe('hung');
    // The recording of a hang replays: it ends where, and as, the recorded run did.
    const v = prnr(['verify', out, '-j', '1'], 60_000);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/verified: 1 slice\(s\) end in their recorded state/);
  }, 120_000);
});

describe('exit status 2: not a usable recording', () => {
  it('a directory that is not a recording, a file, a path that does not exist', () => {
    const images = join(tmp, 'images');
    mkdirSync(images);
    writeFileSync(join(images, 'manifest.json'), '{}');
    expectBadInput(prnr(['verify', images]), new RegExp(`^prnr: ${literal(images)} is not a prnr recording: recording.json is missing$`));
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a recording');
    expectBadInput(prnr(['replay', file]), new RegExp(`^prnr: ${literal(file)}`));
    const nowhere = join(tmp, 'nowhere.rec');
    expectBadInput(prnr(['slices', nowhere]), new RegExp(`^prnr: ${literal(nowhere)} does not exist: give a recording directory \\(made by prnr record\\)$`));
  });

  it('replay, seek and diagnose on a file, or a path that does not exist: which of the two, in one line', () => {
    const file = join(tmp, 'not-a-dir');
    writeFileSync(file, 'not a recording');
    const nowhere = join(tmp, 'nowhere-at-all.rec');
    for (const command of [['replay'], ['seek', '--icount', '5'], ['diagnose']]) {
      expectBadInput(prnr([...command, file]), new RegExp(`^prnr: ${literal(file)} is a file, not a recording directory$`));
      expectBadInput(prnr([...command, nowhere]), new RegExp(`^prnr: ${literal(nowhere)} does not exist: give a recording directory \\(made by prnr record\\)$`));
    }
  });

  it('replay --watch on a range outside the recording\'s RAM: one line that gives the RAM', () => {
    for (const watch of ['0x1000:8', '0x80a00000:99999999999']) {
      expectBadInput(prnr(['replay', base, '-q', '--slice', '1', '--watch', watch]), new RegExp(`^prnr: --watch ${watch}: the range is not in the recording's RAM \\(0x80000000 to 0x[0-9a-f]+\\)$`));
    }
  });

  it('another format, a newer format version', () => {
    const rec = damaged();
    const json = join(rec, 'recording.json');
    editManifest(rec, (m) => void (m.format = 'something-else'));
    expectBadInput(prnr(['verify', rec]), new RegExp(`^prnr: ${literal(json)}: format: .*prnr-recording`));
    editManifest(rec, (m) => {
      m.format = 'prnr-recording';
      m.version = 3;
    });
    for (const command of ['verify', 'replay', 'slices']) {
      expectBadInput(prnr([command, rec]), new RegExp(`^prnr: ${literal(json)}: recording format version 3 is not supported \\(this prnr reads versions 1 and 2\\)$`));
    }
  });

  it('a truncated recording.json, and one with a slice field missing', () => {
    const rec = damaged();
    const json = join(rec, 'recording.json');
    const whole = readFileSync(json);
    writeFileSync(json, whole.subarray(0, Math.floor(whole.length / 2)));
    expectBadInput(prnr(['verify', rec]), new RegExp(`^prnr: ${literal(json)}: not valid JSON`));
    writeFileSync(json, whole);
    editManifest(rec, (m) => void delete (m.slices[1] as Partial<Manifest['slices'][number]>).snapshot);
    expectBadInput(prnr(['replay', rec]), new RegExp(`^prnr: ${literal(json)}: slices\\.1\\.snapshot: `));
  });
});
