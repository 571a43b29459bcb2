/**
 * The address a per-client limit counts: the TCP peer, unless that peer is a proxy we were told to
 * trust (TRUSTED_PROXIES), in which case the nearest address in X-Forwarded-For that is not itself a
 * trusted proxy. Without the setting the header is ignored: anybody can write it.
 */
import net from 'node:net';

export type TrustedProxies = net.BlockList;

/** `10.0.0.5,172.28.0.0/16,::1`: addresses and subnets, IPv4 or IPv6. */
export function parseTrustedProxies(raw: string | undefined): TrustedProxies {
  const list = new net.BlockList();
  for (const entry of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address, bits] = entry.split('/');
    const family = net.isIP(address);
    if (family === 0) throw new RangeError(`"${entry}" is not an address or a subnet`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const prefix = bits === undefined ? undefined : Number(bits);
    if (prefix === undefined) list.addAddress(address, type);
    else if (Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 6 ? 128 : 32)) list.addSubnet(address, prefix, type);
    else throw new RangeError(`"${entry}" has no valid prefix length`);
  }
  return list;
}

/** IPv4 peers often arrive as `::ffff:a.b.c.d`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function trusted(proxies: TrustedProxies, address: string): boolean {
  const family = net.isIP(address);
  return family !== 0 && proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, proxies: TrustedProxies): string {
  let address = plain(peer);
  if (!trusted(proxies, address) || forwardedFor === undefined) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => plain(s.trim())).filter(Boolean);
  // walk from the hop nearest to us: each trusted proxy vouches for the one before it
  for (let i = hops.length - 1; i >= 0; i--) {
    address = hops[i];
    if (!net.isIP(address)) return plain(peer); // a garbled header is not believed at all
    if (!trusted(proxies, address)) return address;
  }
  return address;
}
