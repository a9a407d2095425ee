import { describe, expect, it } from 'vitest';
import { addressRefusal, classifyAddress, DEFAULT_OUTBOUND_POLICY, hostKey, type OutboundPolicy, urlRefusal } from './policy.ts';

describe('classifyAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700::1111', '2a00:1450:4001:81b::200e'])('allows the public address %s', (address) => {
    expect(classifyAddress(address)).toEqual({ address, range: 'unicast', blocked: false });
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['169.254.169.254', 'linkLocal'],
    ['169.254.0.1', 'linkLocal'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['febf::1', 'linkLocal'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['ff02::1', 'multicast'],
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378::1', 'teredo'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['::7f00:1', 'ipv4Compatible'],
  ])('blocks %s as %s', (address, range) => {
    const verdict = classifyAddress(address);
    expect(verdict.range).toBe(range);
    expect(verdict.blocked).toBe(true);
  });

  it.each([
    ['::ffff:10.0.0.1', '10.0.0.1', 'private'],
    ['::ffff:7f00:1', '127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', '169.254.169.254', 'linkLocal'],
  ])('unwraps the IPv4-mapped %s and judges %s', (address, inner, range) => {
    expect(classifyAddress(address)).toEqual({ address: inner, range, blocked: true });
  });

  it('does not block a mapped public address', () => {
    expect(classifyAddress('::ffff:8.8.8.8')).toEqual({ address: '8.8.8.8', range: 'unicast', blocked: false });
  });

  it('fails closed on something that is not an address', () => {
    expect(classifyAddress('example.com')).toEqual({ address: 'example.com', range: 'invalid', blocked: true });
  });
});

describe('urlRefusal', () => {
  const lan: OutboundPolicy = { ...DEFAULT_OUTBOUND_POLICY, allowHttp: true, allowPrivateHosts: ['mirror.lan:8080', '10.0.0.5:443'] };

  it('allows an https URL on a public name or address', () => {
    expect(urlRefusal(new URL('https://feeds.example.org/kev.json'), DEFAULT_OUTBOUND_POLICY)).toBeNull();
    expect(urlRefusal(new URL('https://8.8.8.8/x'), DEFAULT_OUTBOUND_POLICY)).toBeNull();
  });

  it('refuses plain http unless the policy allows it', () => {
    expect(urlRefusal(new URL('http://feeds.example.org/'), DEFAULT_OUTBOUND_POLICY)).toBe('plain http is not allowed (https only)');
    expect(urlRefusal(new URL('http://feeds.example.org/'), lan)).toBeNull();
  });

  it.each(['file:///etc/passwd', 'ftp://feeds.example.org/x', 'gopher://feeds.example.org/', 'data:text/plain,hi'])('refuses %s', (url) => {
    expect(urlRefusal(new URL(url), lan)).toMatch(/^the scheme .* is not allowed$/);
  });

  it('refuses credentials in the URL', () => {
    expect(urlRefusal(new URL('https://user:secret@feeds.example.org/'), DEFAULT_OUTBOUND_POLICY)).toBe(
      'URLs with credentials are not allowed',
    );
    expect(urlRefusal(new URL('https://token@feeds.example.org/'), DEFAULT_OUTBOUND_POLICY)).toBe('URLs with credentials are not allowed');
  });

  it.each([
    ['https://2130706433/', '127.0.0.1 is a loopback address'],
    ['https://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['https://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['https://[::1]/', '::1 is a loopback address'],
    ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address (it maps to 127.0.0.1)'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254 is a link-local address (where cloud metadata services answer)'],
    ['https://10.0.0.1/', '10.0.0.1 is a private address'],
    ['https://0.0.0.0/', '0.0.0.0 is the unspecified address'],
  ])('judges the literal host of %s before connecting', (url, reason) => {
    expect(urlRefusal(new URL(url), DEFAULT_OUTBOUND_POLICY)).toBe(reason);
  });

  it('lets only the exact allow-listed host:port reach a private address', () => {
    expect(urlRefusal(new URL('https://10.0.0.5/feed'), lan)).toBeNull();
    expect(urlRefusal(new URL('https://10.0.0.5:444/feed'), lan)).toBe('10.0.0.5 is a private address');
    expect(urlRefusal(new URL('http://10.0.0.5/feed'), lan)).toBe('10.0.0.5 is a private address');
    expect(urlRefusal(new URL('https://10.0.0.6/feed'), lan)).toBe('10.0.0.6 is a private address');
  });

  it('never allows the unspecified or multicast address, even for an allow-listed host', () => {
    const policy = { ...lan, allowPrivateHosts: ['0.0.0.0:443', '224.0.0.1:443'] };
    expect(urlRefusal(new URL('https://0.0.0.0/'), policy)).toBe('0.0.0.0 is the unspecified address');
    expect(urlRefusal(new URL('https://224.0.0.1/'), policy)).toBe('224.0.0.1 is a multicast address');
  });
});

describe('addressRefusal', () => {
  const lan: OutboundPolicy = { ...DEFAULT_OUTBOUND_POLICY, allowPrivateHosts: ['Mirror.LAN:8080'] };

  it('allows private answers only for the allow-listed name and port', () => {
    expect(addressRefusal('192.168.1.20', new URL('https://mirror.lan:8080/'), lan)).toBeNull();
    expect(addressRefusal('192.168.1.20', new URL('https://mirror.lan/'), lan)).toBe('192.168.1.20 is a private address');
    expect(addressRefusal('192.168.1.20', new URL('https://other.lan:8080/'), lan)).toBe('192.168.1.20 is a private address');
  });

  it('allows public answers for any host', () => {
    expect(addressRefusal('8.8.8.8', new URL('https://feeds.example.org/'), DEFAULT_OUTBOUND_POLICY)).toBeNull();
  });
});

describe('hostKey', () => {
  it('fills in the default port of the scheme', () => {
    expect(hostKey(new URL('https://A.example/'))).toBe('a.example:443');
    expect(hostKey(new URL('http://a.example/'))).toBe('a.example:80');
    expect(hostKey(new URL('http://[::1]:8080/'))).toBe('[::1]:8080');
  });
});

describe('DEFAULT_OUTBOUND_POLICY', () => {
  it('is https only, private-free and bounded', () => {
    expect(DEFAULT_OUTBOUND_POLICY).toEqual({
      allowHttp: false,
      allowPrivateHosts: [],
      maxBytes: 2 * 1024 ** 3,
      timeoutMs: 600_000,
      idleTimeoutMs: 30_000,
      maxRedirects: 5,
    });
    expect(Object.isFrozen(DEFAULT_OUTBOUND_POLICY)).toBe(true);
  });
});
