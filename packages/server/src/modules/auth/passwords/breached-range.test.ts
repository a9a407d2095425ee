import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkBreachedRange, countInRange, type FetchText, sha1Hex } from './breached-range.ts';

// SHA-1("password1234") = E6B6AFBD6D76BB5D2041542D7D2E3FAC5BB05593
const BREACHED = 'password1234';
const BREACHED_SHA1 = 'E6B6AFBD6D76BB5D2041542D7D2E3FAC5BB05593';

let server: Server;
let baseUrl: string;
let paths: string[] = [];
let status = 200;

const fetchText: FetchText = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
};

beforeAll(async () => {
  server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.statusCode = status;
    // Lower-case suffix on purpose: the comparison must not depend on case.
    response.end(
      status === 200
        ? [
            '0018A45C4D1DEF81644B54AB7F969B88D65:1',
            `${BREACHED_SHA1.slice(5).toLowerCase()}:24157`,
            '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0',
          ].join('\r\n')
        : 'upstream failure',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  paths = [];
  status = 200;
});

describe('checkBreachedRange', () => {
  it('computes the SHA-1 the range API expects', () => {
    expect(sha1Hex(BREACHED)).toBe(BREACHED_SHA1);
  });

  it('finds a breached password and its count, sending only the 5-character prefix', async () => {
    expect(await checkBreachedRange(BREACHED, { baseUrl, fetchText })).toEqual({ checked: true, breached: true, count: 24157 });
    expect(paths).toEqual([`/range/${BREACHED_SHA1.slice(0, 5)}`]);
  });

  it('answers not breached when the suffix is absent', async () => {
    const result = await checkBreachedRange('correct horse battery staple', { baseUrl, fetchText });
    expect(result).toEqual({ checked: true, breached: false, count: 0 });
    expect(paths).toHaveLength(1);
    expect(paths[0]).toMatch(/^\/range\/[0-9A-F]{5}$/);
  });

  it('answers checked false on a server error instead of throwing', async () => {
    status = 503;
    expect(await checkBreachedRange(BREACHED, { baseUrl, fetchText })).toEqual({ checked: false });
    expect(paths).toHaveLength(1);
  });

  it('answers checked false when the server cannot be reached', async () => {
    const refused: FetchText = async () => {
      throw new Error('ECONNREFUSED');
    };
    expect(await checkBreachedRange(BREACHED, { baseUrl, fetchText: refused })).toEqual({ checked: false });
  });
});

describe('countInRange', () => {
  it('treats padding entries (count 0) as absent', () => {
    expect(countInRange('ABC:0\nDEF:3', 'abc')).toBe(0);
    expect(countInRange('ABC:0\nDEF:3', 'def')).toBe(3);
  });
});
