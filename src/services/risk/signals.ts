import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Config } from '../../config';

/** What a request tells risk control about where it comes from, besides its IP address. */
export interface RiskSignals {
  /** The client's device id (the `X-Device-Id` header: 1–200 printable ASCII characters), else undefined. */
  deviceId?: string;
  /** The client's region from RISK_REGION_HEADER (set by a proxy or CDN, e.g. cf-ipcountry), else undefined. */
  region?: string;
}

const PRINTABLE = /^[\x21-\x7e]{1,200}$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value && PRINTABLE.test(value) ? value : undefined;
}

export function riskSignals(headers: IncomingHttpHeaders, config: Config): RiskSignals {
  return {
    deviceId: header(headers, 'x-device-id'),
    region: config.risk.regionHeader ? header(headers, config.risk.regionHeader)?.toUpperCase() : undefined,
  };
}

/**
 * The client's address as risk control keys it: an IPv4 client of a dual-stack listener
 * (`::ffff:203.0.113.7`) as plain IPv4, so blacklist networks and velocity keys match whichever
 * way the server listens; null when it is not an IP address.
 */
export function clientAddress(ip: string | null | undefined): string | null {
  const plain = ip?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return plain && isIP(plain) !== 0 ? plain : null;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, an embedded IPv4 tail converted), or null. */
function ipv6Groups(ip: string): number[] | null {
  let text = ip.split('%')[0];
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail, extra] = text.split('::');
  if (extra !== undefined) return null;
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const left = part(head);
  const right = part(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => Number.parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * The region a sign-in counts as coming from: the proxy's region header when configured and sent,
 * else the IP's network (IPv4 /16, IPv6 /48, however the address is written) as a rough stand-in.
 */
export function regionOf(ip: string, signals: RiskSignals): string {
  if (signals.region) return signals.region;
  const address = clientAddress(ip);
  if (!address) return ip || 'unknown';
  if (isIP(address) === 4) {
    const [a, b] = address.split('.');
    return `${a}.${b}.0.0/16`;
  }
  const groups = ipv6Groups(address);
  return groups ? `${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}::/48` : address;
}
