/** Which address a per-client limit counts, with and without trusted proxies in front. */
import { clientAddress, parseTrustedProxies } from '../../lib/client-address';

const none = parseTrustedProxies(undefined);
const lb = parseTrustedProxies('10.0.0.5, 172.28.0.0/16');

describe('clientAddress', () => {
  it.each([
    ['no trusted proxy: the header is ignored', '10.0.0.5', '1.2.3.4', none, '10.0.0.5'],
    ['a trusted proxy: the client it names', '10.0.0.5', '1.2.3.4', lb, '1.2.3.4'],
    ['IPv4 peers written as IPv6-mapped', '::ffff:10.0.0.5', '1.2.3.4', lb, '1.2.3.4'],
    ['an untrusted peer cannot pick its own address', '8.8.8.8', '1.2.3.4', lb, '8.8.8.8'],
    ['a chain: the nearest hop that is not a trusted proxy', '10.0.0.5', '9.9.9.9, 1.2.3.4, 172.28.3.4', lb, '1.2.3.4'],
    ['a forged first hop stays behind the real client', '10.0.0.5', '6.6.6.6, 1.2.3.4', lb, '1.2.3.4'],
    ['a garbled header is not believed', '10.0.0.5', 'not-an-ip', lb, '10.0.0.5'],
    ['a trusted proxy without the header', '10.0.0.5', undefined, lb, '10.0.0.5'],
    ['repeated headers read as one list', '10.0.0.5', ['1.2.3.4', '172.28.0.9'], lb, '1.2.3.4'],
  ])('%s', (_what, peer, header, proxies, expected) => {
    expect(clientAddress(peer, header, proxies)).toBe(expected);
  });

  it('refuses entries that are no address or subnet', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/prefix/);
    expect(() => parseTrustedProxies('localhost')).toThrow(/not an address/);
    expect(parseTrustedProxies('::1,fd00::/8').check('fd00::1', 'ipv6')).toBe(true);
  });
});
