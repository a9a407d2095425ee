import type { Db } from '../db/database.ts';
import { organizations } from '../db/schema.ts';
import { withSystem } from '../db/tenant.ts';

/** Whether the instance has been bootstrapped; the start-up banner says how to do it otherwise. */
export async function instanceHasOrganization(db: Db): Promise<boolean> {
  return withSystem(db, async (tx) => (await tx.select({ id: organizations.id }).from(organizations).limit(1)).length > 0);
}
