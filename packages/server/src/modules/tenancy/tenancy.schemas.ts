import { z } from 'zod';
import { ROLES } from '../../db/schema.ts';
import { safeText } from '../../lib/text.ts';

/** The CHECK on clients.name; control characters (NUL above all) are refused before PostgreSQL sees them. */
const clientName = safeText(1, 200);

/**
 * For routes that take no query parameters: an unknown one is refused (400) like an unknown body
 * field, instead of silently ignored, so a client relying on a filter that does not exist learns
 * it at once rather than reading an unfiltered list.
 */
export const noQuery = z.strictObject({});

export const organizationSettingsSchema = z.object({
  requireMfa: z.boolean().describe('every member must pass a second factor; sessions without one reach only enrolment'),
  requireActionApproval: z.boolean().describe('an action on a server runs only after a second person approved it (default true)'),
});

export const organizationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  settings: organizationSettingsSchema,
  createdAt: z.iso.datetime(),
});

export const updateOrganizationBody = z
  .strictObject({ name: safeText(1, 200).optional(), settings: organizationSettingsSchema.partial().strict().optional() })
  .refine((body) => body.name !== undefined || body.settings !== undefined, { message: 'change at least one of name, settings' });

export const clientSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const clientListSchema = z.object({ items: z.array(clientSchema) });
export const createClientBody = z.strictObject({ name: clientName });
export const updateClientBody = z.strictObject({ name: clientName });
export const clientParams = z.strictObject({ clientId: z.uuid() });

export const roleSchema = z.enum(ROLES);
export const memberSchema = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string().nullable(),
  role: roleSchema,
  clientId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
});
export const memberListSchema = z.object({ items: z.array(memberSchema) });
export const memberParams = z.strictObject({ memberId: z.uuid() });
export const updateMemberBody = z.strictObject({ role: roleSchema, clientId: z.uuid().nullable().optional() });
/** The bounds of the CHECK on users.email (at most 254 characters, as SMTP allows). */
export const memberEmail = z.email('must be an email address').max(254, 'must be at most 254 characters');
export const addMemberInput = z.strictObject({ email: memberEmail, role: roleSchema, clientId: z.uuid().nullable() });

export type ClientView = z.infer<typeof clientSchema>;
export type MemberView = z.infer<typeof memberSchema>;
export type OrganizationView = z.infer<typeof organizationSchema>;
export type AddMemberInput = z.infer<typeof addMemberInput>;
export type UpdateMemberInput = z.infer<typeof updateMemberBody>;
