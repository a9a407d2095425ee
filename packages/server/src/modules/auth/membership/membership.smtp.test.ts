import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, seedMember, strongPassword } from '../../../../test/helpers/auth-flow.ts';
import type { TestApp } from '../../../../test/helpers/test-app.ts';
import { eventually, linkToken, membershipApp, outboxFor, PUBLIC_URL, send } from './membership.test-kit.ts';

/**
 * Invitation and reset mail through a real SMTP server (the `smtp-server` package) on
 * 127.0.0.1: both parts of each message, and links built from PUBLIC_URL even when the request
 * names another host — here through a proxy Vigil trusts, so Fastify itself believes the
 * X-Forwarded-Host it is sent.
 */

interface Received {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
const received: Received[] = [];
let ta: TestApp;

beforeAll(async () => {
  smtp = new SMTPServer({
    secure: false,
    hideSTARTTLS: true,
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  ta = await membershipApp({
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_ALLOW_PLAINTEXT: 'true',
    MAIL_FROM: 'vigil@example.test',
    TRUST_PROXY: '127.0.0.1',
  });
});
afterAll(async () => {
  await ta?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** The decoded text/plain and text/html parts of a multipart/alternative message. */
function parts(raw: string): { text: string; html: string } {
  const decode = (body: string) =>
    body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  const part = (type: string) => {
    const match = new RegExp(`Content-Type: ${type}[^]*?\\r\\n\\r\\n([^]*?)\\r\\n--`).exec(raw);
    if (!match?.[1]) throw new Error(`no ${type} part`);
    return decode(match[1]);
  };
  return { text: part('text/plain'), html: part('text/html') };
}

const hostile = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' };

const mailTo = (to: string) => eventually(async () => received.find((m) => m.to.includes(to)) ?? null);

describe('membership mail over SMTP', () => {
  it('sends the invitation in plain text and HTML with a PUBLIC_URL link that works', async () => {
    const owner = await seedMember(ta);
    const token = (await login(ta, owner.email, owner.password)).json().accessToken;
    const email = `smtp-invitee-${Date.now()}@example.test`;
    const response = await send(ta, 'POST', '/api/v1/invitations', { token, payload: { email, role: 'VIEWER' }, headers: hostile });
    expect(response.statusCode, response.body).toBe(201);
    const mail = await mailTo(email);
    expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(mail.raw).toMatch(/^Subject: You are invited to /m);
    const { text, html } = parts(mail.raw);
    const { link, token: secret } = linkToken(text, 'invite');
    expect(link).toBe(`${PUBLIC_URL}/invite#token=${secret}`);
    expect(html).toContain(`<a href="${PUBLIC_URL}/invite#token=${secret}">`);
    expect(mail.raw).not.toContain('evil.example');
    // Delivered by SMTP, so nothing went to the outbox.
    expect(await outboxFor(ta, email)).toEqual([]);
    const accepted = await send(ta, 'POST', '/api/v1/invitations/accept', {
      payload: { token: secret, password: strongPassword(), refreshTokenDelivery: 'body' },
    });
    expect(accepted.statusCode).toBe(200);
  });

  it('sends the reset link in plain text and HTML with a PUBLIC_URL link that works', async () => {
    const member = await seedMember(ta);
    const response = await send(ta, 'POST', '/api/v1/auth/password-reset', { payload: { email: member.email }, headers: hostile });
    expect(response.statusCode).toBe(202);
    const mail = await mailTo(member.email);
    expect(mail.raw).toMatch(/^Subject: Reset your Vigil password\r$/m);
    const { text, html } = parts(mail.raw);
    const { link, token } = linkToken(text, 'reset-password');
    expect(link).toBe(`${PUBLIC_URL}/reset-password#token=${token}`);
    expect(html).toContain(`<a href="${PUBLIC_URL}/reset-password#token=${token}">`);
    expect(mail.raw).not.toContain('evil.example');
    const password = strongPassword();
    const done = await send(ta, 'POST', '/api/v1/auth/password-reset/complete', { payload: { token, password } });
    expect(done.statusCode).toBe(204);
    expect((await login(ta, member.email, password)).statusCode).toBe(200);
  });

  it('with the SMTP server gone: a reset still answers 202, an invitation fails with 502 and leaves no usable link', async () => {
    const member = await seedMember(ta);
    const token = (await login(ta, member.email, member.password)).json().accessToken;
    const before = received.length;
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    const response = await send(ta, 'POST', '/api/v1/auth/password-reset', { payload: { email: member.email } });
    expect(response.statusCode).toBe(202);
    const invitation = await send(ta, 'POST', '/api/v1/invitations', {
      token,
      payload: { email: `undelivered-${Date.now()}@example.test`, role: 'VIEWER' },
    });
    expect(invitation.statusCode).toBe(502);
    expect(invitation.json().type).toBe('urn:vigil:problem:mail-delivery-failed');
    expect((await send(ta, 'GET', '/api/v1/invitations', { token })).json().items).toEqual([]);
    expect(received.length).toBe(before);
  });
});
