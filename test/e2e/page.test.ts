/**
 * The customer's page in a real browser (Debian's Chromium driven by playwright-core) against the
 * real system: the CONTRACT §7 hooks, a full quoting run, and field errors the page shows.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSystem, type RunningSystem } from '../support/system';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

jest.setTimeout(60_000);

/** A missing browser fails the suite: a skipped page test would let CI pass without ever opening the page. */
function requireChromium(): void {
  if (fs.existsSync(CHROMIUM)) return;
  throw new Error(
    `the page tests cannot run: no Chromium at ${CHROMIUM}. Install it (Debian: apt-get install chromium; .ci/run does) ` +
      'or point CHROMIUM_PATH at one; to leave the browser out of a local run, use jest --testPathIgnorePatterns page.test',
  );
}

describe('the page', () => {
  let system: RunningSystem;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    requireChromium();
    system = await startSystem({ env: { QUOTE_DEADLINE_MS: '6000' } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(system.baseUrl + '/');
  });

  afterEach(async () => {
    await page?.close(); // undefined when beforeAll failed
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  test('keeps the §7 hooks: named inputs, one submit button, idle results', async () => {
    for (const name of ['vehicle.vin', 'vehicle.document.issuedAt', 'owner.passport.number', 'owner.registrationRegion', 'drivers.0.license.issuedAt', 'drivers.0.experienceSince', 'policy.startDate', 'policy.periodMonths']) {
      await expect(page.locator(`[name="${name}"]`).count()).resolves.toBe(1);
    }
    await expect(page.locator('input[name="unlimitedDrivers"]').getAttribute('type')).resolves.toBe('checkbox');
    await expect(page.locator('form [type="submit"]').count()).resolves.toBe(1);
    const otherButtons = await page.locator('form button:not([type="submit"])').evaluateAll((els) => els.map((e) => e.getAttribute('type')));
    expect(otherButtons.every((t) => t === 'button')).toBe(true);
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
  });

  test('a submitted application shows every insurer and ends completed with premiums in roubles', async () => {
    await page.locator('form [type="submit"]').click();
    const results = page.locator('[data-state]');
    await page.waitForSelector('[data-state="quoting"], [data-state="completed"]', { timeout: 5_000 });
    await expect(page.locator('[data-insurer]').count()).resolves.toBeGreaterThanOrEqual(8);
    await page.waitForSelector('[data-state="completed"]', { timeout: 10_000 });
    expect(await results.getAttribute('data-state')).toBe('completed');

    const rows = await page.locator('[data-insurer]').evaluateAll((els) =>
      els.map((e) => ({ code: e.getAttribute('data-insurer'), status: e.getAttribute('data-status'), text: e.textContent ?? '' })),
    );
    for (const row of rows) expect(['offer', 'declined', 'failed', 'unavailable', 'timeout']).toContain(row.status);
    const offers = rows.filter((r) => r.status === 'offer');
    expect(offers.length).toBeGreaterThan(0);
    for (const offer of offers) expect(offer.text).toMatch(/\d[\d\s\u00a0\u202f]*,\d{2}\s?₽/);
    await page.screenshot({ path: `${system.dataDir}/page-completed.png`, fullPage: true });
  });

  test('a field the server refuses is marked aria-invalid with a linked, visible message', async () => {
    await page.locator('[name="owner.passport.series"]').fill('12');
    await page.locator('[name="policy.periodMonths"]').fill('2');
    await page.locator('form [type="submit"]').click();
    for (const name of ['owner.passport.series', 'policy.periodMonths']) {
      const input = page.locator(`[name="${name}"]`);
      await page.waitForSelector(`[name="${name}"][aria-invalid="true"]`, { timeout: 5_000 });
      const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
      const messages = await Promise.all(
        describedBy.split(/\s+/).filter(Boolean).map((id) => page.locator(`[id="${id}"]`)).map(async (el) => ({ visible: await el.isVisible(), text: (await el.textContent()) ?? '' })),
      );
      expect(messages.some((m) => m.visible && m.text.trim().length > 0 && !/^Например/.test(m.text))).toBe(true);
    }
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
  });
});
