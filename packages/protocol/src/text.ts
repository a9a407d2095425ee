import { z } from 'zod';

/** ASCII control characters other than tab: never valid in a name, a version or a path. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A single-line string without control characters, `min`..`max` characters long. */
export const line = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !CONTROL.test(value), { message: 'must not contain control characters' });

/** Free text an agent reports (an error, a command's output): newlines allowed, NUL never. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), { message: 'must not contain NUL' });

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');
/** Unpadded base64url, as JWS and JWK use it. */
export const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'must be unpadded base64url');
export const isoTime = z.iso.datetime({ offset: true });
