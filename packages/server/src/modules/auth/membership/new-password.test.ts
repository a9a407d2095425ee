import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectFailure } from '../../../../test/helpers/factories.ts';
import { loadConfig } from '../../../config/config.ts';
import { sha1Hex } from '../passwords/breached-range.ts';
import { createNewPasswordCheck } from './new-password.ts';

/**
 * The check every newly chosen password goes through, with the optional k-anonymity range
 * check against a real HTTP server on 127.0.0.1, fetched through the outbound guard.
 */

const BREACHED = 'Plausible-Passphrase-2024!';
const FINE = 'Another-Decent-Passphrase-77';
let server: Server;
let port: number;
const requests: string[] = [];
let mode: 'ok' | 'error' | 'huge' = 'ok';

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (mode === 'error') return response.writeHead(500).end();
    if (mode === 'huge') return response.writeHead(200).end('A'.repeat(600 * 1024));
    const digest = sha1Hex(BREACHED);
    const listed = request.url === `/range/${digest.slice(0, 5)}` ? `${digest.slice(5)}:4242\r\n` : '';
    response.writeHead(200, { 'content-type': 'text/plain' }).end(`0000000000000000000000000000000000A:0\r\n${listed}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  mode = 'ok';
});

function config(opts: { rangeUrl: string | null; allowPrivate: boolean }) {
  const base = loadConfig({});
  return {
    auth: { ...base.auth, passwordRangeCheckUrl: opts.rangeUrl },
    outbound: { ...base.outbound, allowHttp: true, allowPrivateHosts: opts.allowPrivate ? [`127.0.0.1:${port}`] : [] },
  };
}

const check = (allowPrivate = true) => createNewPasswordCheck({ config: config({ rangeUrl: `http://127.0.0.1:${port}/`, allowPrivate }) });

describe('the new-password check', () => {
  it('refuses a password the range service lists, sending only the 5-character hash prefix', async () => {
    const error = await expectFailure(() => check()(BREACHED, { email: 'a@example.test' }), 'WEAK_PASSWORD', 400);
    expect(error.extra).toEqual({ reasons: ['breached'] });
    expect(requests).toEqual([`/range/${sha1Hex(BREACHED).slice(0, 5)}`]);
    expect(requests.join()).not.toContain(sha1Hex(BREACHED).slice(5));
    await check()(FINE, { email: 'a@example.test' });
  });

  it('applies the offline policy first, with or without the range check', async () => {
    await expectFailure(() => check()('short', {}), 'WEAK_PASSWORD', 400);
    await expectFailure(
      () => createNewPasswordCheck({ config: config({ rangeUrl: null, allowPrivate: true }) })('password12345', {}),
      'WEAK_PASSWORD',
      400,
    );
    expect(requests).toEqual([]);
  });

  it('asks nothing when no range URL is configured', async () => {
    await createNewPasswordCheck({ config: config({ rangeUrl: null, allowPrivate: true }) })(BREACHED, {});
    expect(requests).toEqual([]);
  });

  it('fails open when the service errs, answers too much, or the outbound guard refuses the host', async () => {
    mode = 'error';
    await check()(BREACHED, {});
    mode = 'huge';
    await check()(BREACHED, {});
    expect(requests).toHaveLength(2);
    mode = 'ok';
    // 127.0.0.1 is a private address: without the operator's allowance the guard never connects.
    await check(false)(BREACHED, {});
    expect(requests).toHaveLength(2);
  });
});
