import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, personalTokens } from './password-policy.ts';

function reasonsOf(result: Awaited<ReturnType<typeof checkPasswordPolicy>>): string[] {
  return result.ok ? [] : result.reasons;
}

describe('checkPasswordPolicy', () => {
  it('refuses a common password', async () => {
    const result = await checkPasswordPolicy('password1234');
    expect(result.ok).toBe(false);
    expect(reasonsOf(result)).toContain('too_common');
    expect(result.ok ? [] : result.feedback).not.toHaveLength(0);
  });

  it('accepts a long passphrase without composition rules', async () => {
    const result = await checkPasswordPolicy('correct horse battery staple');
    expect(result).toEqual({ ok: true, score: expect.any(Number) });
    expect(result.ok && result.score).toBeGreaterThanOrEqual(3);
  });

  it('refuses a guessable password that is not on the list, with the estimator feedback', async () => {
    const result = await checkPasswordPolicy('qwertyqwertyqwerty');
    expect(reasonsOf(result)).toContain('too_weak');
    expect(result.ok ? [] : result.feedback).not.toHaveLength(0);
  });

  it('enforces 12..256 code points', async () => {
    expect(reasonsOf(await checkPasswordPolicy('Xk9#mQ2$vL7'))).toEqual(['too_short']);
    expect(reasonsOf(await checkPasswordPolicy('x'.repeat(257)))).toEqual(['too_long']);
    expect(reasonsOf(await checkPasswordPolicy('a'.repeat(10_000)))).toEqual(['too_long']);
    expect(reasonsOf(await checkPasswordPolicy('Xk9#mQ2$vL7@pR4!'.repeat(16)))).not.toContain('too_long');
  });

  it('counts code points, not UTF-16 units', async () => {
    const emoji = ['😀', '🚲', '🦊', '🌋', '🎻', '🧭', '🍄', '🛶', '🪁', '🦉', '🧊', '🐙'];
    expect(emoji.join('').length).toBe(24);
    const twelve = reasonsOf(await checkPasswordPolicy(emoji.join('')));
    expect(twelve).not.toContain('too_short');
    expect(twelve).not.toContain('too_long');
    expect(reasonsOf(await checkPasswordPolicy(emoji.slice(0, 11).join('')))).toEqual(['too_short']);
  });

  it("flags a password built on the user's email local part or name", async () => {
    const password = 'alice.smith-rocks-2024';
    expect(await checkPasswordPolicy(password)).toMatchObject({ ok: true });
    expect(reasonsOf(await checkPasswordPolicy(password, { email: 'alice.smith@example.com' }))).toContain('contains_personal_info');
    expect(reasonsOf(await checkPasswordPolicy('SMITHfamily-rocks-2024', { name: 'Alice Smith' }))).toContain('contains_personal_info');
  });

  it('normalises with NFKC: full-width characters count as their ASCII forms', async () => {
    expect(reasonsOf(await checkPasswordPolicy('ｐａｓｓｗｏｒｄ１２３４'))).toContain('too_common');
  });
});

describe('personalTokens', () => {
  it('takes the local part and name words, ignoring short fragments', () => {
    expect(personalTokens({ email: 'Jo.Bloggs+vigil@example.com', name: 'Jo Bloggs' }).sort()).toEqual(
      ['bloggs', 'jo.bloggs+vigil', 'jo bloggs', 'jobloggs', 'vigil'].sort(),
    );
  });
});
