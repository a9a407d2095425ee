import type { clients, organizations } from '../../db/schema.ts';
import type { ClientView, MemberView, OrganizationView } from './tenancy.schemas.ts';

/** Rows never leave as they are: each response is built field by field from an allow-list. */
export function presentOrganization(row: typeof organizations.$inferSelect): OrganizationView {
  return { id: row.id, name: row.name, slug: row.slug, createdAt: row.createdAt.toISOString() };
}

export function presentClient(row: typeof clients.$inferSelect): ClientView {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export function presentMember(row: Omit<MemberView, 'createdAt'> & { createdAt: Date }): MemberView {
  return {
    id: row.id,
    userId: row.userId,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    clientId: row.clientId,
    createdAt: row.createdAt.toISOString(),
  };
}
