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
    expect(loadConfig({ NODE_ENV: 'production', PARTNER_KEYS: 'bank:k1' }).partnerKeys.get('k1')).toBe('bank');
  });

  test.each([
    ['PORT', 'abc'],
    ['QUOTE_DEADLINE_MS', '0'],
    ['RATE_LIMIT_PER_MINUTE', '-5'],
    ['SERVICES', 'gateway,teleport'],
    ['PARTNER_KEYS', 'nocolon'],
    ['SANDBOX_LATENCY_SCALE', 'fast'],
    ['DISABLED_INSURERS', 'no-such-insurer'],
  ])('%s=%s is a clear configuration error', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  test('SERVICES picks parts', () => {
    expect(loadConfig({ SERVICES: 'gateway, offers-stream' }).services).toEqual(['gateway', 'offers-stream']);
  });

  test('PARTNER_KEYS parses several pairs', () => {
    const keys = parsePartnerKeys('bank:k1, dealer:k2');
    expect([...keys.entries()]).toEqual([['k1', 'bank'], ['k2', 'dealer']]);
  });
});
