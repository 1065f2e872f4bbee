import { describe, expect, it } from 'vitest';
import { clientAddress, regionOf } from '../../src/services/risk';

describe('the client address and region risk control keys on', () => {
  it('reads an IPv4 client of a dual-stack listener as plain IPv4, and refuses what is not an address', () => {
    expect(clientAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(clientAddress('not-an-ip')).toBeNull();
    expect(clientAddress('')).toBeNull();
    expect(clientAddress(undefined)).toBeNull();
  });

  it('takes the IPv4 /16 whichever way the address arrives', () => {
    expect(regionOf('203.0.113.7', {})).toBe('203.0.0.0/16');
    expect(regionOf('::ffff:203.0.113.7', {})).toBe('203.0.0.0/16');
  });

  it('takes one IPv6 /48 however the address is written', () => {
    const region = regionOf('2001:db8:0:1::5', {});
    expect(region).toBe('2001:db8:0::/48');
    expect(regionOf('2001:db8::1:5', {})).toBe(region);
    expect(regionOf('2001:0db8:0000:ffff:0000:0000:0000:0001', {})).toBe(region);
    expect(regionOf('2001:db8:1::5', {})).not.toBe(region);
    expect(regionOf('::1', {})).toBe('0:0:0::/48');
  });

  it('prefers the region a proxy sets', () => {
    expect(regionOf('203.0.113.7', { region: 'CN' })).toBe('CN');
  });
});
