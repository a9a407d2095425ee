import { z } from 'zod';

// C0 control characters other than tab, line feed and carriage return. PostgreSQL text cannot
// hold NUL at all (the insert fails), and the others only ever arrive to forge log lines or
// confuse whoever reads the value later.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Free text from a client: trimmed, length-bounded, without control characters. */
export function safeText(min: number, max: number) {
  return z
    .string()
    .trim()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), { message: 'must not contain control characters' });
}
