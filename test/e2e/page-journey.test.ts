/**
 * The customer's page as a new user meets it, in a real browser (Debian's Chromium through
 * playwright-core) against the real system: on a phone the results come into view, a countdown
 * runs, the rows turn into offers whose breakdown reads in plain words; the form checks with the
 * server's own rules before sending anything; the results live at an address that another browser
 * can open; a dropped connection loses and doubles nothing; axe finds nothing serious.
 *
 * With PAGE_SCREENSHOTS=1 (`npm run screenshots`) the finished quote is also saved, desktop and
 * phone, to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startSystem, eventually, type RunningSystem } from '../support/system';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.PAGE_SCREENSHOTS === '1' ? path.join(__dirname, '..', '..', 'docs', 'screenshots') : undefined;
const PHONE = { width: 360, height: 780 };
const DESKTOP = { width: 1280, height: 900 };
const FINAL = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];

jest.setTimeout(90_000);

function requireChromium(): void {
  if (fs.existsSync(CHROMIUM)) return;
  throw new Error(`the page tests cannot run: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium), or set CHROMIUM_PATH`);
}

interface Row {
  code: string;
  status: string;
  premium: string;
  best: boolean;
}

/** The rows as the page shows them, in their order. */
function rowsOf(page: Page): Promise<Row[]> {
  return page.locator('[data-insurer]').evaluateAll((els) =>
    els.map((e) => ({
      code: e.getAttribute('data-insurer') ?? '',
      status: e.getAttribute('data-status') ?? '',
      premium: e.querySelector('.quote-premium')?.textContent ?? '',
      best: e.getAttribute('data-best') === 'true',
    })),
  );
}

function roubles(text: string): number {
  return Number(text.replace(/[^\d,]/g, '').replace(',', '.'));
}

/** The id and token the results' address carries: `#/quote/<id>/<token>`. */
function linkOf(url: string): { id: string; token: string } {
  const m = /#\/quote\/([^/]+)\/([^/]+)$/.exec(url);
  if (!m) throw new Error(`no results address in ${url}`);
  return { id: decodeURIComponent(m[1]), token: decodeURIComponent(m[2]) };
}

/** Every frame and request body the page sends to the server, to tell whether an `apply` went out. */
function recordSent(page: Page): string[] {
  const sent: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
  page.on('request', (request) => {
    const body = request.postData();
    if (body) sent.push(body);
  });
  return sent;
}

const applied = (sent: string[]) => sent.some((s) => /^\d*\["apply"/.test(s) || s.includes('["apply",'));

/** Makes the page's Socket.IO socket reachable as window.__socket, so a test can cut its transport. */
async function exposeSocket(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    let real: unknown;
    Object.defineProperty(w, 'io', {
      configurable: true,
      get: () => real,
      set: (io: (...args: unknown[]) => unknown) => {
        real = Object.assign((...args: unknown[]) => (w.__socket = io(...args)), io);
      },
    });
  });
}

async function noHorizontalScroll(page: Page): Promise<void> {
  const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth }));
  expect(width.scroll).toBeLessThanOrEqual(width.viewport);
}

/** axe-core on the page as it stands: no violation of impact serious or critical. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${what}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

async function submit(page: Page): Promise<void> {
  await page.locator('form [type="submit"]').click();
}

async function waitCompleted(page: Page): Promise<void> {
  await page.waitForSelector('[data-state="completed"]', { timeout: 20_000 });
}

describe('the page, as a customer goes through it', () => {
  let system: RunningSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let slow: string; // an insurer that does not answer before the deadline, so quoting lasts

  beforeAll(async () => {
    requireChromium();
    system = await startSystem({ env: { QUOTE_DEADLINE_MS: '6000' }, latencyScale: 0.05 });
    slow = system.sandbox.list()[0].code;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  beforeEach(async () => {
    system.sandbox.setMode(slow, 'slow');
    context = await browser.newContext({ viewport: PHONE });
    page = await context.newPage();
  });

  afterEach(async () => {
    await context?.close();
    system?.sandbox.setMode(slow, 'normal');
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  test('on a phone: after «Рассчитать» the results come into view, the countdown runs, the rows turn into offers and one unfolds in plain words', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(system.baseUrl + '/');
    await noHorizontalScroll(page);
    await expectAccessible(page, 'the form');

    await submit(page);
    await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
    // The focus is on the results' heading, and the results stand at the top of the screen, not
    // below the long form.
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('results-title');
    await page.waitForFunction(() => {
      const box = document.getElementById('results-title')!.getBoundingClientRect();
      return box.top >= 0 && box.top <= window.innerHeight * 0.25;
    }, undefined, { timeout: 3_000 });

    // The countdown shows whole seconds left, and they go down.
    const countdown = page.locator('[data-countdown]');
    await expect(countdown.isVisible()).resolves.toBe(true);
    const seconds = async () => Number(/(\d+)\s*с/.exec((await countdown.textContent()) ?? '')?.[1]);
    const first = await seconds();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(6);
    await eventually(async () => ((await seconds()) < first ? true : undefined), 3_000, 100);

    // The slow insurer's row waits with a spinner (hidden from screen readers) and says so in words.
    const waiting = page.locator(`[data-insurer="${slow}"]`);
    await expect(waiting.getAttribute('data-status')).resolves.toBe('pending');
    await expect(waiting.locator('.quote-spinner').isVisible()).resolves.toBe(true);
    await expect(waiting.locator('.quote-spinner').getAttribute('aria-hidden')).resolves.toBe('true');
    await expect(waiting.textContent()).resolves.toContain('ждём ответа');
    await page.waitForSelector('[data-insurer][data-status="offer"]', { timeout: 5_000 });
    await expect(page.locator('[data-insurer][data-status="offer"] .quote-spinner:visible').count()).resolves.toBe(0);

    // While they stream in, the offers already stand cheapest first, the cheapest so far marked.
    const streaming = await eventually(async () => {
      const now = await rowsOf(page);
      return now.filter((r) => r.status === 'offer').length >= 3 ? now : undefined;
    }, 5_000);
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('quoting');
    const soFar = streaming.filter((r) => r.status === 'offer');
    expect(streaming.slice(0, soFar.length)).toEqual(soFar); // offers above every other row
    expect(soFar.map((r) => roubles(r.premium))).toEqual(soFar.map((r) => roubles(r.premium)).sort((a, b) => a - b));
    expect(streaming.filter((r) => r.best).map((r) => r.code)).toEqual([soFar[0].code]);
    await noHorizontalScroll(page);

    await waitCompleted(page);
    await expect(countdown.isVisible()).resolves.toBe(false);
    // A screen reader hears each new offer and the end, from a polite live region of the results.
    const heard = (await page.locator('#results [aria-live="polite"]').textContent()) ?? '';
    expect(heard).toMatch(/Предложение: [^,]+, \d[\d\s\u00a0\u202f]*,\d{2}\s?₽\./);
    expect(heard).toContain('Готово. Предложений:');
    const rows = await rowsOf(page);
    for (const row of rows) expect(FINAL).toContain(row.status);
    expect(rows.find((r) => r.code === slow)?.status).toBe('timeout');
    const offers = rows.filter((r) => r.status === 'offer').map((r) => roubles(r.premium));
    expect(offers.length).toBeGreaterThan(0);
    expect(offers).toEqual([...offers].sort((a, b) => a - b));
    expect(rows[0].status).toBe('offer');

    const best = page.locator('[data-insurer][data-best="true"]');
    await expect(best.count()).resolves.toBe(1);
    await expect(best.getAttribute('data-insurer')).resolves.toBe(rows[0].code);
    await best.locator('button[aria-controls]').click();
    const breakdown = best.locator('[data-breakdown]');
    await expect(breakdown.isVisible()).resolves.toBe(true);
    const text = (await breakdown.textContent()) ?? '';
    for (const label of ['Базовая ставка страховщика', 'Территория: Москва', 'Бонус-малус (стаж без аварий)', 'Возраст и стаж водителей', 'Ограничение списка водителей', 'Мощность двигателя', 'Период использования']) {
      expect(text).toContain(label);
    }
    expect(text).toMatch(/Бонус-малус[^]*класс (М|\d{1,2}) по водителю 1 \(Иван Иванов\)/);
    expect(text).toMatch(/Территория: Москва КТ1,8 — надбавка 80\u00a0%по коду региона регистрации 77; поправочный коэффициент не применяется/);
    expect(text).toMatch(/\d,\d/);
    expect(text).not.toMatch(/\d\.\d/);

    // The address now carries the quote, and the page shows it as a link to keep.
    const link = linkOf(page.url());
    expect(link.id).not.toBe('');
    await expect(page.locator('#quote-link-box').isVisible()).resolves.toBe(true);
    await expect(page.locator('#quote-link-box').textContent()).resolves.toContain('Ссылка на расчёт');
    await expect(page.locator('#quote-link').evaluate((a) => (a as HTMLAnchorElement).href)).resolves.toBe(page.url());
    await expect(page.locator('#quote-link').textContent()).resolves.toBe('Ссылка на расчёт');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.baseUrl });
    await page.locator('#copy-link').click();
    await page.waitForFunction(() => document.getElementById('copy-status')!.textContent === 'Ссылка скопирована.', undefined, { timeout: 3_000 });
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(page.url());

    await noHorizontalScroll(page);
    await expectAccessible(page, 'the results on a phone');
    if (SCREENSHOTS) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.locator('#results').scrollIntoViewIfNeeded();
      await page.evaluate(() => document.getElementById('results')!.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: path.join(SCREENSHOTS, 'quote-phone.png') });
    }
    expect(errors).toEqual([]);
  });

  test('on a desktop: the results beside the form, axe-clean with a breakdown open', async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(system.baseUrl + '/');
    await expectAccessible(page, 'the form on a desktop');
    await submit(page);
    await waitCompleted(page);
    await page.locator('[data-insurer][data-best="true"] button[aria-controls]').click();
    await expectAccessible(page, 'the results on a desktop');
    if (SCREENSHOTS) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(SCREENSHOTS, 'quote-desktop.png') });
    }
  });

  test('a wrong VIN is refused by the shared rules before anything is sent, next to its field', async () => {
    const sent = recordSent(page);
    await page.goto(system.baseUrl + '/');
    const createsBefore = system.sandbox.list().reduce((n, i) => n + i.creates, 0);
    const vin = page.locator('[name="vehicle.vin"]');
    await vin.fill('XTA21901OK0123456'); // an O: no VIN has one
    await submit(page);

    await page.waitForSelector('[name="vehicle.vin"][aria-invalid="true"]', { timeout: 2_000 });
    const describedBy = ((await vin.getAttribute('aria-describedby')) ?? '').split(/\s+/);
    const message = page.locator(`[id="${describedBy.find((id) => id.endsWith('-error'))}"]`);
    await expect(message.isVisible()).resolves.toBe(true);
    await expect(message.textContent()).resolves.toContain('VIN');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('name'))).resolves.toBe('vehicle.vin');
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
    await new Promise((r) => setTimeout(r, 500));
    expect(applied(sent)).toBe(false);
    expect(system.sandbox.list().reduce((n, i) => n + i.creates, 0)).toBe(createsBefore);
    expect(page.url()).not.toContain('#/quote/');

    // The same VIN typed in Cyrillic look-alikes is one the server accepts: so does the page. And
    // the recorder above does see an `apply` when one goes out.
    await vin.fill('ХТА219010К0123456');
    await expect(vin.getAttribute('aria-invalid')).resolves.toBeNull();
    await submit(page);
    await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
    expect(applied(sent)).toBe(true);
  });

  test('a second driver without a licence: each blank licence field is marked next to itself, nothing is sent', async () => {
    const sent = recordSent(page);
    await page.goto(system.baseUrl + '/');
    await page.getByRole('button', { name: /Добавить водителя/ }).click();
    await page.locator('[name="drivers.1.lastName"]').fill('Петров');
    await page.locator('[name="drivers.1.firstName"]').fill('Пётр');
    await page.locator('[name="drivers.1.birthDate"]').fill('1990-04-02');
    await page.locator('[name="drivers.1.experienceSince"]').fill('2012-05-01');
    await submit(page);

    // The rules name the group (drivers.1.license: the page sends no empty object), the page its fields.
    for (const field of ['series', 'number', 'issuedAt']) {
      const input = page.locator(`[name="drivers.1.license.${field}"]`);
      await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
      const id = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).find((t) => t.endsWith('-error'));
      const message = page.locator(`[id="${id}"]`);
      await expect(message.isVisible()).resolves.toBe(true);
      await expect(message.textContent()).resolves.toBe('Обязательное поле.');
    }
    await expect(page.evaluate(() => document.activeElement?.getAttribute('name'))).resolves.toBe('drivers.1.license.series');
    await expect(page.locator('#form-alert').textContent()).resolves.not.toContain('права');
    await new Promise((r) => setTimeout(r, 300));
    expect(applied(sent)).toBe(false);
  });

  test('an error with no input of its own (the driver list, the whole application) shows in the form\'s alert', async () => {
    await page.goto(system.baseUrl + '/');
    await page.evaluate(() => {
      const form = (window as unknown as { OsagoForm: { showErrors(e: unknown[]): void } }).OsagoForm;
      form.showErrors([{ field: 'drivers', message: 'не больше 5 водителей' }, { field: '', message: 'заявка должна быть JSON-объектом' }]);
    });
    const alert = page.locator('#form-alert');
    await expect(alert.isVisible()).resolves.toBe(true);
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Водители: Не больше 5 водителей.');
    expect(text).toContain('Заявка должна быть JSON-объектом.');
  });

  test('when the rules bundle is missing, the server refuses and its field errors show the same way', async () => {
    await page.route('**/build/rules.js', (route) => route.abort());
    await page.goto(system.baseUrl + '/');
    await page.locator('[name="owner.passport.series"]').fill('12');
    await submit(page);
    const input = page.locator('[name="owner.passport.series"]');
    await page.waitForSelector('[name="owner.passport.series"][aria-invalid="true"]', { timeout: 5_000 });
    const id = ((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).find((t) => t.endsWith('-error'));
    await expect(page.locator(`[id="${id}"]`).isVisible()).resolves.toBe(true);
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
  });

  test('the results address, opened in a fresh browser (no storage), shows the quote: while pending, then completed', async () => {
    await page.goto(system.baseUrl + '/');
    await submit(page);
    await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
    const url = page.url();
    const link = linkOf(url);

    const other = await browser.newContext({ viewport: PHONE });
    try {
      const fresh = await other.newPage();
      const sent = recordSent(fresh);
      await fresh.goto(url);
      await fresh.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
      await eventually(async () => ((await rowsOf(fresh)).length >= 8 ? true : undefined), 5_000);
      await expect(fresh.locator(`[data-insurer="${slow}"]`).getAttribute('data-status')).resolves.toBe('pending');
      await expect(fresh.evaluate(() => document.activeElement?.id)).resolves.toBe('results-title');
      await waitCompleted(fresh);
      await waitCompleted(page);
      expect(await rowsOf(fresh)).toEqual(await rowsOf(page));
      // The token went to the server only inside the socket's subscribe, never in an address.
      expect(sent.some((s) => s.includes('"subscribe"') && s.includes(link.token))).toBe(true);

      // Opened again once completed: the snapshot, straight away.
      const later = await other.newPage();
      await later.goto(url);
      await waitCompleted(later);
      expect(await rowsOf(later)).toEqual(await rowsOf(page));
      await expect(later.locator('[data-insurer][data-best="true"]').count()).resolves.toBe(1);
      await expectAccessible(later, 'the results opened from their address');
    } finally {
      await other.close();
    }
  });

  test('a reload mid-quote picks the quote up again, countdown and all, and twice over', async () => {
    await page.goto(system.baseUrl + '/');
    await submit(page);
    await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
    const url = page.url();
    for (let i = 0; i < 2; i++) {
      await page.reload();
      expect(page.url()).toBe(url);
      await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
      await expect(page.locator('[data-countdown]').isVisible()).resolves.toBe(true);
      await expect(page.locator('[data-countdown]').textContent()).resolves.toMatch(/\d+ с/);
    }
    await waitCompleted(page);
    const rows = await rowsOf(page);
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(8);
  });

  test('a malformed or unknown results address says so; «Новый расчёт» goes back to the form and clears the address', async () => {
    await page.goto(system.baseUrl + '/#/quote/only-one-part');
    await expect(page.locator('#results-summary').textContent()).resolves.toContain('не распознана');
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
    await expect(page.locator('form [type="submit"]').isEnabled()).resolves.toBe(true);

    await page.goto(system.baseUrl + '/#/quote/no-such-application/no-such-token');
    await page.waitForFunction(() => /не найден/.test(document.getElementById('results-summary')!.textContent ?? ''), undefined, { timeout: 10_000 });
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
    expect(page.url()).not.toContain('#/quote/');

    await submit(page);
    await waitCompleted(page);
    const address = page.url();
    expect(address).toContain('#/quote/');
    // The skip link, followed with Enter, takes the focus to the form and leaves the results' address alone.
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('form-title');
    expect(page.url()).toBe(address);

    await page.locator('#new-quote').click();
    await expect(page.locator('[data-state]').getAttribute('data-state')).resolves.toBe('idle');
    expect(page.url()).toBe(system.baseUrl + '/');
    await expect(page.locator('[data-insurer]').count()).resolves.toBe(0);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('form-title');
  });

  test('a connection dropped mid-quote: after it comes back, every insurer is there exactly once, as the server has it', async () => {
    await exposeSocket(context);
    await page.goto(system.baseUrl + '/');
    await page.waitForFunction(() => (window as unknown as { __socket?: { connected: boolean } }).__socket?.connected === true);
    await submit(page);
    await page.waitForSelector('[data-state="quoting"]', { timeout: 5_000 });
    const { id, token } = linkOf(page.url());

    // Cut the network and the socket's transport while the insurers are answering.
    await context.setOffline(true);
    await page.evaluate(() => (window as unknown as { __socket: { io: { engine: { close(): void } } } }).__socket.io.engine.close());
    await page.waitForSelector('#connection:not([hidden])', { timeout: 5_000 });
    await new Promise((r) => setTimeout(r, 2_500));
    await context.setOffline(false);

    await waitCompleted(page);
    const snapshot = await system.broker.call<{ status: string; quotes: Array<{ insurer: { code: string }; status: string; premium?: number }> }, unknown>('applications.snapshot', { id, token });
    expect(snapshot.status).toBe('completed');
    const rows = await rowsOf(page);
    const codes = rows.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual(snapshot.quotes.map((q) => q.insurer.code).sort());
    for (const quote of snapshot.quotes) {
      const row = rows.find((r) => r.code === quote.insurer.code)!;
      expect(row.status).toBe(quote.status);
      if (quote.status === 'offer') expect(roubles(row.premium)).toBeCloseTo(quote.premium!, 2);
    }
    await expect(page.locator('#connection').isHidden()).resolves.toBe(true);
  });
});
