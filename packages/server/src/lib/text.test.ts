import { describe, expect, it } from 'vitest';
import { safeText } from './text.ts';

describe('safeText', () => {
  const name = safeText(1, 10);

  it('trims and accepts ordinary text, tabs and newlines included', () => {
    expect(name.parse('  Acme  ')).toBe('Acme');
    expect(name.parse('a\tb\nc')).toBe('a\tb\nc');
    expect(name.parse('Zoë ✓')).toBe('Zoë ✓');
  });

  it.each(['a\u0000b', 'x\u001b[31m', 'bell\u0007', 'del\u007f'])('refuses control characters in %j', (value) => {
    const result = name.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must not contain control characters');
  });

  it('bounds the length after trimming', () => {
    expect(name.safeParse('   ').error?.issues[0]?.message).toBe('must not be empty');
    expect(name.safeParse('x'.repeat(11)).error?.issues[0]?.message).toBe('must be at most 10 characters');
  });
});
