/**
 * The customer's page in a real browser (Debian's Chromium driven by playwright-core) against the
 * real system: the CONTRACT §7 hooks, a full quoting run, field errors the page shows, and an
 * offer's "why this price" breakdown.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
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

/** Submits the form as it stands and waits for the completed event to reach the page. */
async function quoteAndWait(page: Page): Promise<void> {
  await page.locator('form [type="submit"]').click();
  await page.waitForSelector('[data-state="completed"]', { timeout: 15_000 });
}

/** The cheapest offer's row: the one the customer looks at first. */
async function bestOfferRow(page: Page): Promise<Locator> {
  const best = page.locator('[data-insurer][data-best="true"]');
  await expect(best.count()).resolves.toBe(1);
  await expect(best.getAttribute('data-status')).resolves.toBe('offer');
  return best;
}

/** The row's breakdown button and the element it controls, checked folded; then unfolded. */
async function unfold(row: Locator): Promise<{ button: Locator; breakdown: Locator }> {
  const button = row.locator('button[aria-controls]');
  const breakdown = row.locator('[data-breakdown]');
  await expect(button.count()).resolves.toBe(1);
  await expect(breakdown.count()).resolves.toBe(1);
  await expect(button.getAttribute('type')).resolves.toBe('button');
  await expect(button.getAttribute('aria-controls')).resolves.toBe(await breakdown.getAttribute('id'));
  await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');
  await expect(breakdown.isHidden()).resolves.toBe(true);
  await button.click();
  await expect(breakdown.isVisible()).resolves.toBe(true);
  await expect(button.getAttribute('aria-expanded')).resolves.toBe('true');
  return { button, breakdown };
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

  test('an offer unfolds why its price is what it is: every coefficient, each driver, the applied one marked', async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.locator('#add-driver').click();
    const second = { 'drivers.1.lastName': 'Петрова', 'drivers.1.firstName': 'Анна', 'drivers.1.birthDate': '2001-07-15', 'drivers.1.license.series': '9901', 'drivers.1.license.number': '654321', 'drivers.1.license.issuedAt': '2022-08-20', 'drivers.1.experienceSince': '2022-08-20' };
    for (const [name, value] of Object.entries(second)) await page.locator(`[name="${name}"]`).fill(value);
    await quoteAndWait(page);

    const offerRows = page.locator('[data-insurer][data-status="offer"]');
    const premiums = await offerRows.evaluateAll((els) => els.map((e) => e.querySelector('.quote-premium')?.textContent ?? ''));
    const roubles = premiums.map((text) => Number(text.replace(/[^\d,]/g, '').replace(',', '.')));
    expect(roubles.length).toBeGreaterThan(0);
    expect(roubles).toEqual([...roubles].sort((a, b) => a - b));
    const row = await bestOfferRow(page);
    await expect(offerRows.first().getAttribute('data-insurer')).resolves.toBe(await row.getAttribute('data-insurer'));

    const { button, breakdown } = await unfold(row);
    await expect(breakdown.getAttribute('role')).resolves.toBe('region');
    expect(((await breakdown.getAttribute('aria-label')) ?? '').trim()).not.toBe('');
    const text = (await breakdown.textContent()) ?? '';
    for (const factor of ['ТБ', 'КТ', 'КБМ', 'КВС', 'КО', 'КМ', 'КС']) expect(text).toContain(factor);
    expect(text).toMatch(/КБМ[^]*класс (М|\d{1,2})/);
    expect(text).toMatch(/\d,\d/); // Russian decimals…
    expect(text).not.toMatch(/\d\.\d/); // …and no English ones

    const drivers = await breakdown.locator('[data-driver]').evaluateAll((els) =>
      els.map((e) => ({ index: e.getAttribute('data-driver'), applied: e.getAttribute('data-applied'), text: e.textContent ?? '' })),
    );
    expect(drivers.map((d) => d.index)).toEqual(['0', '1']);
    expect(drivers[0]?.text).toMatch(/^Водитель 1 \(Иван Иванов\): класс КБМ (М|\d{1,2}) → КБМ \d(,\d+)?, КВС \d(,\d+)?/);
    expect(drivers[1]?.text).toMatch(/^Водитель 2 \(Анна Петрова\): класс КБМ (М|\d{1,2}) → КБМ \d(,\d+)?, КВС \d(,\d+)?/);
    const applied = drivers.filter((d) => d.applied === 'true');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.text).toContain('определяет цену');
    for (const other of drivers.filter((d) => d.applied !== 'true')) expect(other.text).not.toContain('определяет цену');

    const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(width.scroll).toBeLessThanOrEqual(width.viewport);
    await row.screenshot({ path: `${system.dataDir}/page-breakdown.png` });

    await button.click();
    await expect(breakdown.isHidden()).resolves.toBe(true);
    await expect(button.getAttribute('aria-expanded')).resolves.toBe('false');

    // By keyboard: the button takes the focus and Space / Enter fold and unfold it.
    await button.focus();
    await page.keyboard.press('Space');
    await expect(breakdown.isVisible()).resolves.toBe(true);
    await page.keyboard.press('Enter');
    await expect(breakdown.isHidden()).resolves.toBe(true);
  });

  test('an unlimited policy in Novosibirsk: КТ with its correction multiplier, КБМ the owner\'s, no driver list', async () => {
    await page.locator('[name="unlimitedDrivers"]').check();
    await page.locator('[name="owner.registrationRegion"]').fill('54');
    await quoteAndWait(page);

    const { breakdown } = await unfold(await bestOfferRow(page));
    const text = (await breakdown.textContent()) ?? '';
    expect(text).toContain('3,12 = 1,56 × 2 (поправочный коэффициент)');
    expect(text).toContain('КБМ собственника');
    await expect(breakdown.locator('[data-driver]').count()).resolves.toBe(0);
  });

  // The page now refuses these itself, with the server's own rules (build/rules.js): the marking is the same.
  test('a field the rules refuse is marked aria-invalid with a linked, visible message', async () => {
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
