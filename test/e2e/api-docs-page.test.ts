/**
 * /api/docs in a real browser (Debian's Chromium driven by playwright-core): Swagger UI renders
 * every operation of the served document, from the gateway alone (no request leaves its origin).
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startSystem, type RunningSystem } from '../support/system';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

jest.setTimeout(60_000);

describe('the API docs page', () => {
  let system: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    // a missing browser fails the suite, as in page.test.ts: a skipped test proves nothing
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    system = await startSystem();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('renders every operation of /api/openapi.json, and the webhook, with nothing fetched from elsewhere', async () => {
    const doc = (await (await fetch(`${system.baseUrl}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k)).map((method) => `${method.toUpperCase()} ${path}`));
    expect(expected.length).toBeGreaterThanOrEqual(7);

    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on('request', (req) => {
      const url = req.url();
      if (/^https?:/.test(url) && !url.startsWith(system.baseUrl)) foreign.push(url);
    });
    await page.goto(`${system.baseUrl}/api/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });

    const rendered = await page.$$eval('.opblock', (blocks) =>
      blocks.map((b) => `${b.querySelector('.opblock-summary-method')?.textContent?.trim()} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`));
    for (const operation of expected) expect(rendered).toContain(operation);
    expect(await page.locator('text=OSAGO quote aggregator: partner API').count()).toBeGreaterThan(0);
    expect(await page.locator('text=Webhooks').count()).toBeGreaterThan(0);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
