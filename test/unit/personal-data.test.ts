/** The personal-data cipher, keyring and rotation, the split of an application, and the log mask. */
import { generateDataKey, Keyring, parseDataKey, parseOldKeys } from '../../lib/personal-data/keyring';
import { open, seal, sealedKeyId, SealOpenError } from '../../lib/personal-data/seal';
import { joinApplication, splitApplication } from '../../lib/personal-data/split';
import { maskPersonal } from '../../lib/personal-data/mask';
import { loadConfig, ConfigError } from '../../lib/config';
import { sampleApplication } from './fixtures/application';
import { openApplication } from '../../lib/personal-data/application-seal';
import { newApplication, quoteRequest } from '../../services/applications/new-application';

const personal = { owner: { lastName: 'Иванов', passport: { series: '4510', number: '123456' } } };

function openError(fn: () => unknown): SealOpenError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealOpenError) return err;
    throw err;
  }
  throw new Error('it opened');
}

describe('seal and open', () => {
  const keyring = new Keyring(generateDataKey());

  test('round trip; the blob holds no clear value and names its key', () => {
    const blob = seal(keyring, 'app-1', personal);
    expect(blob).not.toContain('Иванов');
    expect(Buffer.from(blob.split('.')[4], 'base64url').toString('utf8')).not.toContain('4510');
    expect(sealedKeyId(blob)).toBe(keyring.current.id);
    expect(open(keyring, 'app-1', blob)).toEqual(personal);
  });

  test('a fresh iv each time: the same value seals to different blobs', () => {
    expect(seal(keyring, 'app-1', personal)).not.toBe(seal(keyring, 'app-1', personal));
  });

  test('a blob moved to another record does not open', () => {
    const blob = seal(keyring, 'app-1', personal);
    expect(openError(() => open(keyring, 'app-2', blob)).type).toBe('PERSONAL_DATA_TAMPERED');
  });

  test('a tampered ciphertext, tag or key id does not open', () => {
    const blob = seal(keyring, 'app-1', personal);
    const parts = blob.split('.');
    const flipped = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0] ^= 1;
      return bytes.toString('base64url');
    };
    expect(openError(() => open(keyring, 'app-1', [...parts.slice(0, 4), flipped(parts[4])].join('.'))).type).toBe('PERSONAL_DATA_TAMPERED');
    expect(openError(() => open(keyring, 'app-1', [...parts.slice(0, 3), flipped(parts[3]), parts[4]].join('.'))).type).toBe('PERSONAL_DATA_TAMPERED');
    // relabelled with another key the ring holds: the key id is authenticated
    const other = generateDataKey();
    const both = new Keyring(keyring.current, [other]);
    expect(openError(() => open(both, 'app-1', [parts[0], other.id, ...parts.slice(2)].join('.'))).type).toBe('PERSONAL_DATA_TAMPERED');
    expect(openError(() => open(keyring, 'app-1', 'not a blob')).type).toBe('PERSONAL_DATA_MALFORMED');
  });

  test('a key id the ring does not hold is named as such', () => {
    const blob = seal(new Keyring(generateDataKey()), 'app-1', personal);
    const err = openError(() => open(keyring, 'app-1', blob));
    expect(err.type).toBe('PERSONAL_DATA_UNKNOWN_KEY');
    expect(err.message).toContain(sealedKeyId(blob));
  });

  test('rotation: records of the old key open while it is listed; new ones are sealed under the new key', () => {
    const oldKey = generateDataKey();
    const before = seal(new Keyring(oldKey), 'app-1', personal);
    const rotated = new Keyring(generateDataKey(), [oldKey]);
    expect(open(rotated, 'app-1', before)).toEqual(personal);
    const after = seal(rotated, 'app-2', personal);
    expect(sealedKeyId(after)).toBe(rotated.current.id);
    expect(sealedKeyId(after)).not.toBe(oldKey.id);
    expect(open(new Keyring(rotated.current), 'app-2', after)).toEqual(personal);
    expect(openError(() => open(new Keyring(rotated.current), 'app-1', before)).type).toBe('PERSONAL_DATA_UNKNOWN_KEY');
  });
});

describe('keys as configured', () => {
  const key = generateDataKey().secret.toString('base64');

  test('the same key gets the same id on every node; old keys are a comma list', () => {
    expect(parseDataKey(key).id).toBe(parseDataKey(key).id);
    expect(parseOldKeys(` ${key} ,${generateDataKey().secret.toString('base64url')}`)).toHaveLength(2);
  });

  test.each([['too short', Buffer.alloc(16).toString('base64')], ['not base64', 'hello world!'], ['too long', Buffer.alloc(33).toString('base64')]])(
    'a malformed DATA_KEY (%s) is refused everywhere, not only in production',
    (_case, raw) => {
      expect(() => loadConfig({ DATA_KEY: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_KEY: key, DATA_KEYS_OLD: raw })).toThrow(/DATA_KEYS_OLD/);
    },
  );

  test('production needs DATA_KEY; elsewhere it may be left to the generated key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PARTNER_KEYS: 'a:b', PARTNER_WEBHOOK_SECRETS: 'a:0123456789abcdef' })).toThrow(/DATA_KEY is required/);
    expect(loadConfig({ NODE_ENV: 'production', PARTNER_KEYS: 'a:b', PARTNER_WEBHOOK_SECRETS: 'a:0123456789abcdef', DATA_KEY: key }).personalData.keys.current?.id).toBe(parseDataKey(key).id);
    expect(loadConfig({}).personalData.keys.current).toBeUndefined();
    expect(loadConfig({}).personalData.retentionDays).toBe(30);
    expect(loadConfig({ RETENTION_DAYS: '0' }).personalData.retentionDays).toBe(0);
    expect(() => loadConfig({ RETENTION_DAYS: '-1' })).toThrow(ConfigError);
  });
});

describe('split and join', () => {
  test('the rest holds no personal value, and join gives back the application', () => {
    const application = sampleApplication();
    const { personal: part, rest } = splitApplication(application);
    const restJson = JSON.stringify(rest);
    for (const value of ['Иванов', 'Иван', 'Иванович', application.owner.birthDate, '4510', '9900']) expect(restJson).not.toContain(value);
    expect(rest.vehicle).toEqual(application.vehicle);
    expect(rest.owner.registrationRegion).toBe('77');
    expect(rest.drivers[0].experienceSince).toBe(application.drivers[0].experienceSince);
    expect(joinApplication(rest, part)).toEqual(application);
  });

  test('an unlimited policy (no drivers) and an owner without a middle name', () => {
    const application = { ...sampleApplication(), drivers: [], unlimitedDrivers: true };
    delete application.owner.middleName;
    const { personal: part, rest } = splitApplication(application);
    expect(joinApplication(rest, part)).toEqual(application);
  });
});

describe('maskPersonal', () => {
  test('personal keys keep at most their first character, wherever they are; the value is untouched', () => {
    const params = { body: sampleApplication(), partner: 'demo' };
    const masked = maskPersonal(params) as { body: ReturnType<typeof sampleApplication>; partner: string };
    expect(masked.body.owner.lastName).toBe('И*****');
    expect(masked.body.owner.passport.number).toBe('1*****');
    expect(masked.body.drivers[0].birthDate).toMatch(/^\d\*+$/);
    expect(masked.body.vehicle.make).toBe('LADA');
    expect(masked.partner).toBe('demo');
    expect(params.body.owner.lastName).toBe('Иванов');
    const text = JSON.stringify(masked);
    for (const value of ['Иванов', 'Иванович', '4510', params.body.owner.birthDate]) expect(text).not.toContain(value);
  });

  test('errors keep their message and class; their data is masked; cycles do not loop', () => {
    const err = Object.assign(new TypeError('bad'), { data: { lastName: 'Петров' } });
    const masked = maskPersonal(err) as TypeError & { data: { lastName: string } };
    expect(masked).toBeInstanceOf(TypeError);
    expect(masked.message).toBe('bad');
    expect(masked.data.lastName).toBe('П*****');
    const cyclic: Record<string, unknown> = { firstName: 'Анна' };
    cyclic.self = cyclic;
    expect(maskPersonal(cyclic)).toEqual({ firstName: 'А***', self: '[Circular]' });
  });
});

describe('the quote request on the bus', () => {
  test('carries the personal part sealed under the application id, and opens whole', () => {
    const keyring = new Keyring(generateDataKey());
    const application = sampleApplication();
    const doc = { ...newApplication(loadConfig({}), 'app-q', 'demo', application, Date.now()) };
    const request = quoteRequest(keyring, doc, ['alfa']);
    const wire = JSON.stringify(request);
    for (const value of ['Иванов', 'Иванович', '4510', application.owner.birthDate]) expect(wire).not.toContain(value);
    expect(openApplication(keyring, 'app-q', request.application)).toEqual(application);
    expect(() => openApplication(keyring, 'another-app', request.application)).toThrow(SealOpenError);
  });
});

test('an error whose message is its own enumerable field (as some libraries make them) is masked, not thrown on', () => {
  const err = Object.assign(new Error('The client is destroyed'), { code: 'UND_ERR_DESTROYED' });
  Object.defineProperty(err, 'message', { value: 'The client is destroyed', enumerable: true, writable: false });
  const masked = maskPersonal({ err, owner: { lastName: 'Иванов' } }) as { err: Error & { code: string }; owner: { lastName: string } };
  expect(masked.err.message).toBe('The client is destroyed');
  expect(masked.err.code).toBe('UND_ERR_DESTROYED');
  expect(masked.owner.lastName).toBe('И*****');
});
