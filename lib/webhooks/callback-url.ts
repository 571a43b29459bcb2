/**
 * X-Callback-Url checks (CONTRACT §2). Outside production any http(s) URL goes, so a partner can
 * develop against a receiver on its own machine. In production only https to public addresses:
 * the name is resolved and every address checked when the application is submitted, and again by
 * the delivery's own connection (`publicOnlyLookup`), so a name that later resolves to an inside
 * address (DNS rebinding) still reaches nothing inside.
 */
import dns from 'node:dns';
import net from 'node:net';
import { BadRequestError } from '../errors';

const FIELD = 'X-Callback-Url';
const MAX_LENGTH = 2_048;

/** Loopback, private, link-local, shared (CGNAT), multicast, reserved and documentation ranges. */
const NOT_PUBLIC = (() => {
  const list = new net.BlockList();
  for (const [prefix, bits] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
    ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) list.addSubnet(prefix, bits, 'ipv4');
  for (const [prefix, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['100::', 64]] as const) {
    list.addSubnet(prefix, bits, 'ipv6');
  }
  return list;
})();

export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1]);
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return !NOT_PUBLIC.check(address, 'ipv4');
}

function refuse(message: string): never {
  throw new BadRequestError(`${FIELD} is not a URL deliveries may go to: ${message}`, [{ field: FIELD, message }]);
}

async function addressesOf(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  try {
    return (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return refuse(`the host ${host} does not resolve`);
  }
}

/** The URL as deliveries will use it, or a 400 naming X-Callback-Url. */
export async function checkCallbackUrl(raw: string, options: { publicHttpsOnly: boolean }): Promise<string> {
  if (raw.length > MAX_LENGTH) refuse(`longer than ${MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse('only http and https are delivered to');
  if (url.username || url.password) refuse('credentials in the URL are not accepted; deliveries are signed instead');
  if (url.hash) refuse('a fragment is never sent; leave it out');
  if (!options.publicHttpsOnly) return url.href;
  if (url.protocol !== 'https:') refuse('only https in production');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await addressesOf(host);
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) refuse(`${host} resolves to a loopback, private or link-local address`);
  return url.href;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for the delivery's connection that refuses what is not public, whatever DNS says now. */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, found) => {
    if (err) return callback(err, []);
    const addresses = found as dns.LookupAddress[];
    const inside = addresses.find((a) => !isPublicAddress(a.address));
    if (inside) return callback(Object.assign(new Error(`${hostname} resolves to ${inside.address}, which is not public`), { code: 'ENOTPUBLIC' }), []);
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}
