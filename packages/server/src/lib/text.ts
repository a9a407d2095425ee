import { z } from 'zod';

/**
 * C0 control characters other than tab, line feed and carriage return, and DEL. PostgreSQL text
 * cannot hold NUL at all (the insert fails), and the others only ever arrive to forge log lines
 * or confuse whoever reads the value later.
 */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** Free text from a client: trimmed, length-bounded, without control characters. */
export function safeText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !hasControlCharacter(value), { message: 'must not contain control characters' });
}
