/**
 * Who may open /ops (CONTRACT §8) over real HTTP and Socket.IO: off (403) in production without
 * OPS_KEY; with it, the key form, `X-Ops-Key` for scripts, a session cookie that cannot be forged
 * or outlive its expiry, and a limit on guessing.
 */
import crypto from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { OPS_COOKIE, sessionCookie } from '../../lib/ops/session';
import { startSystem, type RunningSystem } from '../support/system';

jest.setTimeout(60_000);

const KEY = 'a-long-enough-operator-key';

function opsSocketRefusal(baseUrl: string, cookie?: string): Promise<string> {
  const socket = connect(`${baseUrl}/ops`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: cookie ? { Cookie: cookie } : {} });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err.message);
    });
  });
}

function cookiePair(setCookie: string | null): string {
  return (setCookie ?? '').split(';')[0];
}

describe('production without OPS_KEY', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({
      env: { NODE_ENV: 'production', PARTNER_KEYS: 'demo:demo-key', PARTNER_WEBHOOK_SECRETS: 'demo:a-webhook-secret-long-enough', DATA_KEY: crypto.randomBytes(32).toString('base64') },
    });
  });
  afterAll(() => system?.stop());

  test('the view, its state and its socket are off (403), whatever is sent', async () => {
    const page = await fetch(`${system.baseUrl}/ops`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('OPS_KEY');
    expect((await fetch(`${system.baseUrl}/ops/state`, { headers: { 'X-Ops-Key': 'anything' } })).status).toBe(403);
    const login = await fetch(`${system.baseUrl}/ops/session`, { method: 'POST', body: new URLSearchParams({ key: 'anything' }), redirect: 'manual' });
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
    expect(await opsSocketRefusal(system.baseUrl)).toBe('forbidden');
  });
});

describe('with OPS_KEY', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ env: { OPS_KEY: KEY } });
  });
  afterAll(() => system?.stop());

  test('without a session: the key form (no figures), 401 on the state, the socket refused', async () => {
    const page = await fetch(`${system.baseUrl}/ops`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('name="key"');
    expect(html).not.toContain('insurers-table');
    expect((await fetch(`${system.baseUrl}/ops/state`)).status).toBe(401);
    expect(await opsSocketRefusal(system.baseUrl)).toBe('login');
  });

  test('the right key sets a Strict, HttpOnly session that opens the view, its state and its socket', async () => {
    const login = await fetch(`${system.baseUrl}/ops/session`, { method: 'POST', body: new URLSearchParams({ key: KEY }), redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/ops');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${OPS_COOKIE}=\\d+\\.[A-Za-z0-9_-]{43}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict$`));
    const cookie = cookiePair(setCookie);
    const view = await fetch(`${system.baseUrl}/ops`, { headers: { Cookie: cookie } });
    expect(await view.text()).toContain('insurers-table');
    const state = await fetch(`${system.baseUrl}/ops/state`, { headers: { Cookie: `other=1; ${cookie}` } });
    expect(state.status).toBe(200);
    expect(((await state.json()) as { insurers: unknown[] }).insurers.length).toBeGreaterThan(0);
    expect(await opsSocketRefusal(system.baseUrl, cookie)).toBe('connected');
  });

  test('X-Ops-Key opens the state for scripts; a wrong one does not', async () => {
    expect((await fetch(`${system.baseUrl}/ops/state`, { headers: { 'X-Ops-Key': KEY } })).status).toBe(200);
    expect((await fetch(`${system.baseUrl}/ops/state`, { headers: { 'X-Ops-Key': `${KEY}x` } })).status).toBe(401);
  });

  test('a forged, altered or expired cookie is no session', async () => {
    const good = cookiePair(sessionCookie({ access: 'key', key: KEY, sessionMs: 60_000 }, Date.now(), false));
    const [name, value] = good.split('=');
    const [expires, signature] = value.split('.');
    const forged = cookiePair(sessionCookie({ access: 'key', key: 'some-other-key-entirely', sessionMs: 60_000 }, Date.now(), false));
    const stretched = `${name}=${Number(expires) + 86_400_000}.${signature}`;
    const expired = cookiePair(sessionCookie({ access: 'key', key: KEY, sessionMs: 1 }, Date.now() - 10_000, false));
    expect((await fetch(`${system.baseUrl}/ops/state`, { headers: { Cookie: good } })).status).toBe(200);
    for (const cookie of [forged, stretched, expired, `${name}=`, `${name}=garbage`]) {
      expect((await fetch(`${system.baseUrl}/ops/state`, { headers: { Cookie: cookie } })).status).toBe(401);
      expect(await opsSocketRefusal(system.baseUrl, cookie)).toBe('login');
    }
  });

  test('a socket whose session runs out while it is open is let go', async () => {
    const cookie = cookiePair(sessionCookie({ access: 'key', key: KEY, sessionMs: 1_500 }, Date.now(), false));
    const socket = connect(`${system.baseUrl}/ops`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { Cookie: cookie } });
    try {
      const states: unknown[] = [];
      socket.on('state', (state) => states.push(state));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
      expect(states.length).toBeGreaterThan(0); // it was served while the session lasted
      expect(await opsSocketRefusal(system.baseUrl, cookie)).toBe('login');
    } finally {
      socket.close();
    }
  });

  test('a wrong key: 401 with the form again and no cookie; the eleventh try in a minute: 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i += 1) {
      const wrong = await fetch(`${system.baseUrl}/ops/session`, { method: 'POST', body: new URLSearchParams({ key: `guess-${i}` }), redirect: 'manual' });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      expect(await wrong.text()).toContain('aria-invalid="true"');
    }
    const limited = await fetch(`${system.baseUrl}/ops/session`, { method: 'POST', body: new URLSearchParams({ key: KEY }), redirect: 'manual' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('set-cookie')).toBeNull();
    // no body, a JSON body, an empty key: the form again, nothing thrown
  });
});

describe('with OPS_KEY: bad login bodies', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ env: { OPS_KEY: KEY } });
  });
  afterAll(() => system?.stop());

  test('no body, JSON, an empty key or one too large: refused with a clear answer, the node keeps serving', async () => {
    const post = (body: BodyInit | undefined, type?: string) =>
      fetch(`${system.baseUrl}/ops/session`, { method: 'POST', body, headers: type ? { 'Content-Type': type } : {}, redirect: 'manual' });
    expect((await post(undefined)).status).toBe(401);
    expect((await post(JSON.stringify({ key: KEY }), 'application/json')).status).toBe(401);
    expect((await post(new URLSearchParams({ key: '' }))).status).toBe(401);
    expect((await post(new URLSearchParams({ key: 'x'.repeat(10_000) }))).status).toBe(413);
    expect((await fetch(`${system.baseUrl}/api/v1/health`)).status).toBe(200);
  });
});
