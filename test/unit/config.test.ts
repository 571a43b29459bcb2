import { loadConfig, parsePartnerKeys, ConfigError, SERVICE_PARTS } from '../../lib/config';

describe('loadConfig', () => {
  test('embedded defaults need no variables', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, sandboxPort: 4000, insurersUrl: 'http://127.0.0.1:4000', quoteDeadlineMs: 60_000, rateLimitPerMinute: 600 });
    expect(config.services).toEqual([...SERVICE_PARTS]);
    expect(config.transporter).toBeUndefined();
    expect(config.mongoUri).toBeUndefined();
    expect(config.partnerKeys.get('demo-key')).toBe('demo');
  });

  test('INSURERS_URL follows SANDBOX_PORT unless given', () => {
    expect(loadConfig({ SANDBOX_PORT: '4100' }).insurersUrl).toBe('http://127.0.0.1:4100');
    expect(loadConfig({ INSURERS_URL: 'http://x:1/' }).insurersUrl).toBe('http://x:1');
  });

  test('production refuses to start without PARTNER_KEYS', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    const production = { NODE_ENV: 'production', PARTNER_KEYS: 'bank:k1', DATA_KEY: Buffer.alloc(32, 7).toString('base64'), PARTNER_WEBHOOK_SECRETS: 'bank:0123456789abcdef' };
    expect(loadConfig(production).partnerKeys.get('k1')).toBe('bank');
    expect(loadConfig(production).webhooks).toMatchObject({ publicHttpsOnly: true, secrets: new Map([['bank', '0123456789abcdef']]) });
    expect(() => loadConfig({ ...production, PARTNER_WEBHOOK_SECRETS: '' })).toThrow(/PARTNER_WEBHOOK_SECRETS is required/);
    expect(loadConfig({}).webhooks).toMatchObject({ publicHttpsOnly: false, timeoutMs: 10_000, firstRetryMs: 1_000, retryForMs: 86_400_000 });
  });

  test.each([
    ['PORT', 'abc'],
    ['QUOTE_DEADLINE_MS', '0'],
    ['RATE_LIMIT_PER_MINUTE', '-5'],
    ['SERVICES', 'gateway,teleport'],
    ['PARTNER_KEYS', 'nocolon'],
    ['SANDBOX_LATENCY_SCALE', 'fast'],
    ['DISABLED_INSURERS', 'no-such-insurer'],
    ['POLL_LAG_BUDGET_MS', '0'],
    ['CLUSTER_STREAM_MAX_AGE_MS', '90000'], // below the deadline (60 s) and a minute
  ])('%s=%s is a clear configuration error', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  test('adaptive polling is on unless ADAPTIVE_POLLING is 0 or false; a stream outlives any quote by a minute', () => {
    expect(loadConfig({}).insurerCalls.polling).toEqual({ adaptive: true, lagBudgetMs: 250 });
    for (const off of ['0', 'false']) expect(loadConfig({ ADAPTIVE_POLLING: off }).insurerCalls.polling.adaptive).toBe(false);
    expect(loadConfig({}).cluster.streamMaxAgeMs).toBe(3_600_000);
    expect(loadConfig({ QUOTE_DEADLINE_MS: '7200000' }).cluster.streamMaxAgeMs).toBe(7_260_000);
  });

  test('SERVICES picks parts', () => {
    expect(loadConfig({ SERVICES: 'gateway, offers-stream' }).services).toEqual(['gateway', 'offers-stream']);
  });

  test('PARTNER_KEYS parses several pairs', () => {
    const keys = parsePartnerKeys('bank:k1, dealer:k2');
    expect([...keys.entries()]).toEqual([['k1', 'bank'], ['k2', 'dealer']]);
  });
});
