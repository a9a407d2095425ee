import { z } from 'zod';
import { PASSWORD_MAX_LENGTH } from '../auth/passwords/index.ts';

export const noQuery = z.strictObject({});

/**
 * Erasing one's own account is confirmed by the password (accounts without one: a login in the
 * last 5 minutes). The bound is the password policy's own maximum: longer cannot be a password,
 * and must not buy argon2 work.
 */
export const eraseSelfBody = z.strictObject({
  password: z.string().min(1).max(PASSWORD_MAX_LENGTH).optional(),
});
export type EraseSelfBody = z.infer<typeof eraseSelfBody>;

export const memberParams = z.strictObject({ memberId: z.uuid() });
