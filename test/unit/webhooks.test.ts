/** The pure parts of webhooks: URL checks (SSRF), signatures, backoff, the delivery body. */
import { checkCallbackUrl, isPublicAddress, publicOnlyLookup } from '../../lib/webhooks/callback-url';
import { signatureOf, verifySignature } from '../../lib/webhooks/signature';
import { retryDelayMs } from '../../lib/webhooks/backoff';
import { parseWebhookSecrets, ConfigError } from '../../lib/config';

const production = { publicHttpsOnly: true };
const development = { publicHttpsOnly: false };

async function refusal(url: string, options = production): Promise<string> {
  try {
    await checkCallbackUrl(url, options);
  } catch (err) {
    const { data } = err as { data?: { errors?: Array<{ field: string; message: string }> } };
    expect(data?.errors?.[0]?.field).toBe('X-Callback-Url');
    return data?.errors?.[0]?.message ?? '';
  }
  throw new Error(`${url} was accepted`);
}

describe('X-Callback-Url in production: https to public addresses only', () => {
  test.each([
    'http://93.184.216.34/hook', // not https
    'https://127.0.0.1/hook',
    'https://localhost/hook', // resolves to loopback
    'https://10.1.2.3/hook',
    'https://172.20.0.1/hook',
    'https://192.168.1.10/hook',
    'https://169.254.169.254/latest/meta-data', // cloud metadata
    'https://100.64.0.1/hook',
    'https://0.0.0.0/hook',
    'https://[::1]/hook',
    'https://[fe80::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:127.0.0.1]/hook', // IPv4-mapped loopback
    'https://no-such-host.invalid/hook',
  ])('%s is refused', async (url) => {
    expect(await refusal(url)).not.toBe('');
  });

  test('a public address over https is accepted as written', async () => {
    await expect(checkCallbackUrl('https://93.184.216.34:8443/hooks/osago?partner=1', production)).resolves.toBe('https://93.184.216.34:8443/hooks/osago?partner=1');
    await expect(checkCallbackUrl('https://[2606:4700::1111]/hook', production)).resolves.toBe('https://[2606:4700::1111]/hook');
  });
});

describe('X-Callback-Url anywhere', () => {
  test.each(['ftp://example.com/x', 'javascript:alert(1)', 'not a url', '/relative', 'http://u:p@example.com/', 'http://example.com/#frag', `http://example.com/${'a'.repeat(2100)}`])(
    '%s is refused',
    async (url) => {
      expect(await refusal(url, development)).not.toBe('');
    },
  );

  test('outside production a receiver on this machine is fine', async () => {
    await expect(checkCallbackUrl('http://127.0.0.1:5555/hook', development)).resolves.toBe('http://127.0.0.1:5555/hook');
  });
});

test('address classes', () => {
  expect(['8.8.8.8', '93.184.216.34', '2606:4700::1111'].map(isPublicAddress)).toEqual([true, true, true]);
  expect(['127.0.0.1', '10.0.0.1', '192.168.0.1', '172.31.255.255', '169.254.1.1', '::1', 'fe80::1', 'fc00::1', '::ffff:10.0.0.1', 'nonsense'].some(isPublicAddress)).toBe(false);
});

test("the delivery's own lookup refuses a name that resolves inside (DNS rebinding)", async () => {
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup('localhost', {}, (e) => resolve(e)));
  expect(err?.code).toBe('ENOTPUBLIC');
});

describe('signatures', () => {
  const body = '{"id":"a.1","type":"quote"}';
  test('what we sign verifies; a changed body, secret or time does not', () => {
    const header = signatureOf('s3cret-s3cret-s3cret', body, 1_800_000_000);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('s3cret-s3cret-s3cret', header, body, 1_800_000_010)).toBe(true);
    expect(verifySignature('s3cret-s3cret-s3cret', header, `${body} `, 1_800_000_010)).toBe(false);
    expect(verifySignature('another-secret-000', header, body, 1_800_000_010)).toBe(false);
    expect(verifySignature('s3cret-s3cret-s3cret', header.replace('t=1800000000', 't=1800000001'), body, 1_800_000_010)).toBe(false);
    expect(verifySignature('s3cret-s3cret-s3cret', header, body, 1_800_000_000 + 301)).toBe(false); // replayed too late
    expect(verifySignature('s3cret-s3cret-s3cret', 'garbage', body, 1_800_000_000)).toBe(false);
  });
});

test('backoff doubles from the first delay, is capped, and jitters ±20 %', () => {
  const settings = { firstRetryMs: 1_000, maxRetryMs: 3_600_000 };
  expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 0.5))).toEqual([1_000, 2_000, 4_000, 8_000]);
  expect(retryDelayMs(40, settings, () => 0.5)).toBe(3_600_000);
  expect(retryDelayMs(1, settings, () => 0)).toBe(800);
  expect(retryDelayMs(1, settings, () => 0.999999)).toBe(1_200);
  // retried for 24 hours: the attempts that fit
  let at = 0;
  let attempts = 0;
  while (at < 24 * 3_600_000) at += retryDelayMs(++attempts, settings, () => 0.5);
  expect(attempts).toBeGreaterThan(20);
  expect(attempts).toBeLessThan(40);
});

test('PARTNER_WEBHOOK_SECRETS: partner:secret pairs, short secrets refused without echoing them', () => {
  expect(parseWebhookSecrets('a:0123456789abcdef, b:fedcba9876543210xyz')).toEqual(new Map([['a', '0123456789abcdef'], ['b', 'fedcba9876543210xyz']]));
  expect(() => parseWebhookSecrets('a:short')).toThrow(ConfigError);
  expect(() => parseWebhookSecrets('a:short')).not.toThrow(/short/);
  expect(() => parseWebhookSecrets(':0123456789abcdef')).toThrow(ConfigError);
});
