import { asc, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../../../test/helpers/test-app.ts';
import { mailOutbox } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';

/** Shared by the membership tests: the app as deployed behind https://vigil.example.test. */
export const PUBLIC_URL = 'https://vigil.example.test';

/** Generous limits unless a test sets its own: the limits have tests of their own. */
export function membershipApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp(
    {
      PUBLIC_URL,
      RATE_LIMITS: 'login=10000/min,login_account=10000/hour,public=10000/min,password_reset=10000/hour,password_reset_ip=10000/hour',
      LOGIN_LOCKOUT_AFTER: '100',
      ...env,
    },
    { realAuth: true },
  );
}

export function send(
  ta: TestApp,
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
  url: string,
  opts: { token?: string; payload?: unknown; headers?: Record<string, string>; remoteAddress?: string } = {},
): Promise<LightMyRequestResponse> {
  return ta.app.inject({
    method,
    url,
    ...(opts.payload !== undefined ? { payload: opts.payload as object } : {}),
    ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    headers: {
      ...(opts.payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
  });
}

/** The messages the outbox holds for one address, oldest first. */
export function outboxFor(ta: TestApp, to: string) {
  return withSystem(ta.t.database.db, (tx) =>
    tx.select().from(mailOutbox).where(eq(mailOutbox.toAddress, to)).orderBy(asc(mailOutbox.createdAt), asc(mailOutbox.id)),
  );
}

/** The secret of a mailed link (`…#token=<43 characters>`), with the link it came from. */
export function linkToken(text: string, path: 'invite' | 'reset-password'): { link: string; token: string } {
  const match = new RegExp(`(https?://[^\\s"<>]+/${path}#token=([A-Za-z0-9_-]{43}))`).exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`no ${path} link in: ${text.slice(0, 200)}`);
  return { link: match[1], token: match[2] };
}

/** Polls until `probe` returns a value (mail is sent after the answer). */
export async function eventually<T>(probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
