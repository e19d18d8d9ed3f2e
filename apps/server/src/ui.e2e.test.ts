/// <reference lib="dom" />
/**
 * The web UI end to end, in a real browser (Debian's chromium through
 * playwright-core): open the server's page, start a diagnosis (or a verify
 * where the diagnosis package is absent) of a recording of the default guest
 * running a failing command, watch every slice turn verified, see the anomaly,
 * move the time-travel slider and see the console change. Takes a
 * screenshot, into docs/ui.png only when PRNR_UPDATE_SCREENSHOT=1 asks for it.
 * Without chromium it is skipped, or fails under CI=true (testing/host-tools.ts).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { readManifest } from '@prnr/recording';
import { startServer, type RunningServer } from './app.js';
import type { ServerFeatures } from './api-types.js';
import { FAILING_SCRIPT, recordFixture } from './testing/fixture-recording.js';
import { tempDir } from './testing/helpers.js';
import { CHROMIUM, chromium as chromiumTool } from './testing/host-tools.js';

/** The README's picture of the UI: rewritten only on request, so a test run leaves the checkout alone. */
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../docs/ui.png', import.meta.url));
const SLICE_STEPS = 15_000_000;

describe.skipIf(chromiumTool.skip)('the web UI in a real browser', () => {
  const root = tempDir('ui');
  const screenshot = process.env.PRNR_UPDATE_SCREENSHOT === '1' ? DOCS_SCREENSHOT : join(root, 'ui.png');
  const web = tempDir('ui-web');
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let end = 0;
  let slices = 0;
  let features: ServerFeatures;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    chromiumTool.require();
    await recordFixture({ dir: join(root, 'boot.rec'), script: FAILING_SCRIPT, steps: 400_000_000, sliceSteps: SLICE_STEPS });
    const m = readManifest(join(root, 'boot.rec'));
    expect(m.end?.reason).toBe('poweroff');
    end = m.slices.at(-1)!.endIcount;
    slices = m.slices.length;
    // The UI as the sources are now, not whatever dist/web holds.
    const { build } = await import('vite');
    await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn', build: { outDir: web, emptyOutDir: true, sourcemap: false } });
    server = await startServer({ recordingsDir: root, host: '127.0.0.1', port: 0, executor: 'threads', webDir: web });
    features = (await (await fetch(`${server.url}/api/features`)).json()) as ServerFeatures;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(web, { recursive: true, force: true });
  });

  it('lists the recording and opens it', async () => {
    await page.goto(server.url);
    const row = page.locator('tr[data-recording="boot.rec"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('poweroff');
    await row.locator('a').click();
    await page.locator('[data-testid="timeline"] .cell').first().waitFor();
    expect(await page.locator('.cell').count()).toBe(slices);
    expect(await page.locator('.cell[data-state="idle"]').count()).toBe(slices);
    expect(await page.locator('.facts').textContent()).toContain(`hart behaviour v${HART_BEHAVIOUR_VERSION}`);
  });

  it('a diagnose job (a verify without diagnosis): slices light up live and all turn verified', async () => {
    // Every state a cell passes through, as the page shows it.
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { seenStates: Set<string> }).seenStates = seen;
      new MutationObserver((records) => {
        for (const r of records) seen.add((r.target as HTMLElement).dataset.state ?? '');
      }).observe(document.querySelector('[data-testid="timeline"]')!, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await page.click(features.diagnosis ? '[data-testid="start-diagnose"]' : '[data-testid="start-verify"]');
    await page.waitForFunction((n) => document.querySelectorAll('.cell[data-state="verified"]').length === n, slices, { timeout: 240_000 });
    await page.locator('[data-testid="job-status"][data-status="done"]').waitFor();
    // The result comes with the job's final fetch, just after its 'done' event: wait for it to show.
    await page.locator('[data-testid="job-status"]', { hasText: ' · ' }).waitFor();
    const seen = await page.evaluate(() => [...(window as unknown as { seenStates: Set<string> }).seenStates]);
    expect(seen).toContain('running');
    expect(seen).toContain('verified');
    expect(await page.locator('[data-testid="job-status"]').textContent()).toContain('every slice reached its recorded state');
    expect(await page.locator('.cell').first().textContent()).toMatch(/\d+\.\d MIPS/);
  });

  it('the diagnosis shows the anomaly first, then per-process syscall tables with a filter', async () => {
    if (!features.diagnosis) {
      console.warn(`diagnosis part not run: the server has no syscalls analysis (${features.diagnosisNote})`);
      return;
    }
    const first = page.locator('[data-testid="anomaly"]').first();
    await first.waitFor();
    // The recording's own profile fits it: nothing above the anomalies.
    expect(await page.locator('[data-testid="diagnosis-warning"]').count()).toBe(0);
    const anomalies = await page.locator('[data-testid="anomaly"]').allTextContents();
    expect(anomalies.some((a) => /cat \(pid \d+\)/.test(a) && /ENOENT|status 1/.test(a))).toBe(true);
    expect(await first.locator('.badge').textContent()).not.toBe('info');
    const processes = await page.locator('details.process').count();
    expect(processes).toBeGreaterThan(3);
    await page.fill('[data-testid="syscall-filter"]', 'nonexistent');
    await page.waitForFunction((n) => document.querySelectorAll('details.process').length < n, processes);
    const cat = page.locator('details.process', { has: page.locator('summary', { hasText: 'cat' }) });
    expect(await cat.locator('table').textContent()).toContain('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT');
  });

  /** Types `icount` into the position box and waits for the console of that point. */
  async function travel(p: Page, icount: number): Promise<string> {
    await p.locator('[data-testid="tt-icount"]').fill(String(icount));
    await p.locator(`[data-testid="tt-console"][data-icount="${icount}"]`).waitFor({ timeout: 60_000 });
    return (await p.locator('[data-testid="tt-console"]').textContent()) ?? '';
  }

  it('the time-travel slider shows the console as it was', async () => {
    const late = await travel(page, end);
    expect(late).toContain('cat /nonexistent');
    expect(late).toContain('time-travel-marker');
    const early = await travel(page, Math.floor(end / 4));
    expect(early.length).toBeGreaterThan(0);
    expect(early).not.toContain('time-travel-marker');
    expect(late.startsWith(early.trimEnd().slice(0, 200))).toBe(true);
    expect(await page.locator('[data-testid="tt-status"]').textContent()).toMatch(/at icount [\d,]+ \(slice \d+\), replayed in \d+ ms/);
    expect(await page.locator('.registers').textContent()).toContain('sp');

    if (features.diagnosis) {
      // From the anomaly to the moment it happened: the process is the one that failed.
      await page.locator('[data-testid="anomaly"]').first().locator('button').click();
      await page.waitForFunction(() => (document.querySelector('[data-testid="tt-process"]')?.textContent ?? '').includes('cat'), undefined, { timeout: 60_000 });
      const there = (await page.locator('[data-testid="tt-console"]').textContent()) ?? '';
      expect(there).toContain('cat /nonexistent');
      expect(there).not.toContain('time-travel-marker');
      // The anomaly's position is just before its syscall: the pc is at the ecall, and the call is not made yet.
      expect(await page.locator('.machine .insn').textContent()).toMatch(/^ecall\b/);
      expect(await page.locator('[data-testid="tt-call-at"]').textContent()).toContain('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT');
      expect(await page.locator('[data-testid="tt-call-before"]').textContent()).not.toContain('/nonexistent');
    }
    await page.fill('[data-testid="syscall-filter"]', '').catch(() => {});
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("the slider's last position is the recording's end", async () => {
    const slider = page.locator('[data-testid="tt-slider"]');
    await slider.fill((await slider.getAttribute('max'))!);
    expect(await page.locator('[data-testid="tt-icount"]').inputValue()).toBe(String(end));
    await page.locator(`[data-testid="tt-console"][data-icount="${end}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="tt-console"]').textContent()).toContain('time-travel-marker');
  });

  it('a seek that fails leaves the previous point greyed out and says so; the next one that works clears it', async () => {
    const before = Number(await page.locator('[data-testid="tt-console"]').getAttribute('data-icount'));
    const errors = pageErrors.length;
    const seekRoute = `${server.url}/api/recordings/boot.rec/jobs`;
    await page.route(seekRoute, (route) =>
      route.request().method() === 'POST' && (route.request().postData() ?? '').includes('"seek"')
        ? route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal server error' }) })
        : route.continue(),
    );
    const target = Math.floor(end / 3);
    await page.locator('[data-testid="tt-icount"]').fill(String(target));
    await page.locator('[data-testid="tt-stale"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="tt-stale"]').textContent()).toBe(
      `The seek to icount ${target.toLocaleString('en-US')} failed: below is the previous position, icount ${before.toLocaleString('en-US')}.`,
    );
    expect(await page.locator('.tt-body').getAttribute('data-stale')).toBe('true');
    expect(await page.locator('[data-testid="tt-console"]').getAttribute('data-icount')).toBe(String(before));
    expect(await page.locator('[data-testid="tt-status"]').textContent()).toContain('internal server error');
    await page.unroute(seekRoute);
    await travel(page, target + 1);
    expect(await page.locator('[data-testid="tt-stale"]').count()).toBe(0);
    expect(await page.locator('.tt-body').getAttribute('data-stale')).toBe('false');
    // The browser logs the refused request; nothing else went wrong.
    expect(pageErrors.slice(errors).filter((e) => !/status of 500/.test(e))).toEqual([]);
  });

  it('a diagnosis that failed on one slice still shows what the others found, under the failure', async () => {
    if (!features.diagnosis) {
      console.warn(`partial diagnosis not run: the server has no syscalls analysis (${features.diagnosisNote})`);
      return;
    }
    // A copy of the recording with one byte of slice 1's log changed: that slice cannot replay, the others can.
    const cut = join(root, 'cut.rec');
    cpSync(join(root, 'boot.rec'), cut, { recursive: true });
    const m = JSON.parse(readFileSync(join(cut, 'recording.json'), 'utf8')) as { slices: Array<{ log: string }> };
    const seg = join(cut, m.slices[1].log);
    const bytes = readFileSync(seg);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(seg, bytes);
    await page.goto(`${server.url}/#/r/cut.rec`);
    await page.locator('[data-testid="start-diagnose"]').click();
    await page.locator('[data-testid="job-status"][data-status="failed"]').waitFor({ timeout: 240_000 });
    const partial = page.locator('[data-testid="diagnosis-partial"]');
    await partial.waitFor();
    expect(await partial.textContent()).toMatch(new RegExp(`^diagnose failed: 1 of ${slices} slice\\(s\\) did not replay to their recorded state; slice 1: .*The diagnosis below covers the ${slices - 1} of ${slices} slices that replayed to their recorded state\\.$`));
    expect(await page.locator('.cell[data-state="failed"]').count()).toBe(1);
    const anomalies = await page.locator('[data-testid="anomaly"]').allTextContents();
    expect(anomalies.some((a) => /cat \(pid \d+\)/.test(a) && /ENOENT|status 1/.test(a))).toBe(true);
    expect(await page.locator('details.process').count()).toBeGreaterThan(0);
  });
});
