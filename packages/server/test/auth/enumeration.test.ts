import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDummyHash } from '../../src/modules/auth/passwords/index.ts';
import { comparable, login, type Member, seedMember } from '../helpers/auth-flow.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * Account enumeration by timing: a login for an account that does not exist must cost what a
 * wrong password for a real one costs (the dummy hash), so an attacker measuring answers learns
 * nothing. This is a statistical security property, not a speed target: it compares two medians
 * measured in the same process, interleaved, so machine speed and load cancel out.
 */
let ta: TestApp;
let member: Member;
const ATTEMPTS = 50;

beforeAll(async () => {
  ta = await createTestApp(
    { RATE_LIMITS: 'login=100000/min,login_account=100000/hour', LOGIN_LOCKOUT_AFTER: '100', LOGIN_LOCKOUT_BASE_S: '1' },
    { realAuth: true },
  );
  member = await seedMember(ta);
  await prepareDummyHash();
});
afterAll(() => ta.close());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timed(email: string, password: string): Promise<{ ms: number; status: number; shape: unknown }> {
  const start = performance.now();
  const response = await login(ta, email, password);
  return { ms: performance.now() - start, status: response.statusCode, shape: comparable(response) };
}

describe('login timing', () => {
  it(`takes as long for an unknown account as for a wrong password (${ATTEMPTS} each, medians within 10%)`, async () => {
    // Warm both paths (JIT, statement caches, the dummy hash) before measuring.
    for (let i = 0; i < 5; i++) {
      await timed(member.email, `wrong-${i}-password-x`);
      await timed(`warm-${i}@nowhere.example`, `wrong-${i}-password-x`);
    }
    // One unknown address probed repeatedly, as the known one is: an attacker compares one name's
    // answers with another's, and a first attempt (a new throttle row, a new limiter key) costs
    // the same extra for either kind.
    const ghost = `nobody-${Date.now()}@nowhere.example`;
    await timed(ghost, 'warm-up-password-x');
    const known: number[] = [];
    const unknown: number[] = [];
    let firstShape: unknown;
    for (let i = 0; i < ATTEMPTS; i++) {
      // Alternate which goes first, so drift in machine load falls on both equally.
      const pair = i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known'];
      for (const which of pair) {
        const result = which === 'known' ? await timed(member.email, `wrong-password-${i}-x`) : await timed(ghost, `wrong-password-${i}-x`);
        expect(result.status).toBe(401);
        firstShape ??= result.shape;
        expect(result.shape).toEqual(firstShape);
        (which === 'known' ? known : unknown).push(result.ms);
      }
    }
    const [k, u] = [median(known), median(unknown)];
    const difference = Math.abs(k - u) / k;
    expect(difference, `median known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`).toBeLessThan(0.1);
  });
});
