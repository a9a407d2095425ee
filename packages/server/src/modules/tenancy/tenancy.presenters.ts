import type { clients, memberships, organizations } from '../../db/schema.ts';
import type { ClientView, MemberView, OrganizationView } from './tenancy.schemas.ts';

/** Rows never leave as they are: each response is built field by field from an allow-list. */
export function presentOrganization(row: typeof organizations.$inferSelect): OrganizationView {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    // Action approval is on unless an organization switched it off: secure by default.
    settings: { requireMfa: row.settings.requireMfa === true, requireActionApproval: row.settings.requireActionApproval !== false },
    createdAt: row.createdAt.toISOString(),
  };
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

/**
 * The answer to adding a member by email: the new membership and what the inviter supplied (the
 * email, in its canonical lower case), never the stored user's profile. A display name, or an
 * email cased otherwise than typed, would tell the inviter that the account existed before, and
 * what its owner calls themselves; a new account and an old one must answer alike.
 */
export function presentAddedMember(row: typeof memberships.$inferSelect, email: string): MemberView {
  return presentMember({ ...row, email, displayName: null });
}
