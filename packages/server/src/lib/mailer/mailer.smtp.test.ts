import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure } from '../../../test/helpers/factories.ts';
import { loadConfig } from '../../config/config.ts';
import { createMailer, type Mailer } from './mailer.ts';

/**
 * The mailer against a real SMTP server (the `smtp-server` package) on 127.0.0.1, port 0: with
 * STARTTLS and a certificate made for this run (the mailer trusts it through its `ca`, so
 * verification stays on), with login, and without STARTTLS to show that it is required.
 */

const USER = 'vigil-mailer';
const PASSWORD = 's3cret-Pa55word';

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
  secure: boolean;
}

interface TestServer {
  url(password?: string): string;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

let certDir: string;
let key: string;
let cert: string;
const servers: TestServer[] = [];
const mailers: Mailer[] = [];

beforeAll(() => {
  certDir = mkdtempSync(path.join(tmpdir(), 'vigil-smtp-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(certDir, 'key.pem'),
      '-out',
      path.join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  key = readFileSync(path.join(certDir, 'key.pem'), 'utf8');
  cert = readFileSync(path.join(certDir, 'cert.pem'), 'utf8');
});

afterEach(async () => {
  for (const mailer of mailers.splice(0)) mailer.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => rmSync(certDir, { recursive: true, force: true }));

async function startServer(opts: { starttls: boolean }): Promise<TestServer> {
  const state: TestServer = { url: () => '', received: [], connections: 0, close: async () => {} };
  const options: SMTPServerOptions = {
    secure: false,
    authMethods: ['PLAIN', 'LOGIN'],
    ...(opts.starttls ? { key, cert } : { hideSTARTTLS: true, allowInsecureAuth: true }),
    onConnect(_session, callback) {
      state.connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASSWORD) return callback(null, { user: USER });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        state.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
        });
        callback();
      });
    },
    logger: false,
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  state.url = (password = PASSWORD) => `smtp://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  servers.push(state);
  return state;
}

function mailerFor(env: Record<string, string>): Mailer {
  const config = loadConfig({ MAIL_FROM: 'vigil@example.test', ...env });
  const mailer = createMailer(config, { logger: { info: () => {}, warn: () => {} }, tls: { ca: cert } });
  mailers.push(mailer);
  return mailer;
}

const message = {
  to: 'alice@example.test',
  subject: 'You are invited to Acme',
  text: 'Open https://vigil.example.test/invite#token to join.',
  html: '<p>Open <a href="https://vigil.example.test/invite#token">the invitation</a> to join.</p>',
  purpose: 'invite',
};

describe('mailer over SMTP', () => {
  it('delivers a plain-text and HTML message over STARTTLS with login', async () => {
    const server = await startServer({ starttls: true });
    const result = await mailerFor({ SMTP_URL: server.url() }).send(message);
    expect(result.delivered).toBe('smtp');
    expect(server.received).toHaveLength(1);
    const [got] = server.received;
    expect(got).toMatchObject({ from: 'vigil@example.test', to: ['alice@example.test'], secure: true });
    const raw = got?.raw ?? '';
    const unfolded = raw.replace(/\r\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(/^From: vigil@example\.test\r$/m);
    expect(unfolded).toMatch(/^To: alice@example\.test\r$/m);
    expect(unfolded).toMatch(/^Subject: You are invited to Acme\r$/m);
    expect(unfolded).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toMatch(/Content-Type: text\/plain[\s\S]*Open https:\/\/vigil\.example\.test\/invite#token to join\./);
    expect(raw).toMatch(/Content-Type: text\/html[\s\S]*<p>Open <a href=3D"https:\/\/vigil\.example\.test\/invite#token">/);
    expect(result.id).toBe(/^Message-ID: (<[^>]+>)\r$/m.exec(unfolded)?.[1]);
  });

  it('refuses a wrong password with MAIL_DELIVERY_FAILED that does not quote it', async () => {
    const server = await startServer({ starttls: true });
    const wrong = 'Wr0ng-hunter2-Pa55';
    const error = await expectFailure(() => mailerFor({ SMTP_URL: server.url(wrong) }).send(message), 'MAIL_DELIVERY_FAILED', 502);
    expect(error.message).toMatch(/EAUTH/);
    const text = JSON.stringify({ message: error.message, detail: error.detail, extra: error.extra, stack: error.stack });
    for (const secret of [wrong, encodeURIComponent(wrong), Buffer.from(`\u0000${USER}\u0000${wrong}`).toString('base64')]) {
      expect(text).not.toContain(secret);
    }
    expect(server.received).toHaveLength(0);
  });

  it.each([
    ['a CR/LF in the subject', { subject: 'Hello\r\nBcc: victim@example.test' }],
    ['a LF in the subject', { subject: 'Hello\nBcc: victim@example.test' }],
    ['a CR/LF in the recipient', { to: 'alice@example.test\r\nBcc: victim@example.test' }],
    ['two recipients', { to: 'alice@example.test, mallory@example.test' }],
    ['a display name', { to: 'Alice <alice@example.test>' }],
  ])('refuses %s before connecting', async (_name, change) => {
    const server = await startServer({ starttls: true });
    await expectFailure(() => mailerFor({ SMTP_URL: server.url() }).send({ ...message, ...change }), 'MAIL_INVALID_MESSAGE', 400);
    expect(server.connections).toBe(0);
  });

  it('refuses a server that does not offer STARTTLS on smtp:// unless SMTP_ALLOW_PLAINTEXT=true', async () => {
    const server = await startServer({ starttls: false });
    await expectFailure(() => mailerFor({ SMTP_URL: server.url() }).send(message), 'MAIL_DELIVERY_FAILED', 502);
    expect(server.connections).toBe(1);
    expect(server.received).toHaveLength(0);

    const result = await mailerFor({ SMTP_URL: server.url(), SMTP_ALLOW_PLAINTEXT: 'true' }).send(message);
    expect(result.delivered).toBe('smtp');
    expect(server.received).toMatchObject([{ to: ['alice@example.test'], secure: false }]);
  });
});
