import { z } from 'zod';
import { ROLES } from '../../db/schema.ts';

const name = z.string().trim().min(1).max(200);

export const organizationSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  createdAt: z.iso.datetime(),
});

export const clientSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const clientListSchema = z.object({ items: z.array(clientSchema) });
export const createClientBody = z.strictObject({ name });
export const updateClientBody = z.strictObject({ name });
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

export type ClientView = z.infer<typeof clientSchema>;
export type MemberView = z.infer<typeof memberSchema>;
export type OrganizationView = z.infer<typeof organizationSchema>;
