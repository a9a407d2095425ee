import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Config, publicLink } from '../../config/config.ts';
import type { Db } from '../../db/database.ts';
import { memberships, organizations, setupTokens, users } from '../../db/schema.ts';
import { switchScope, withSystem } from '../../db/tenant.ts';
import { safeText } from '../../lib/text.ts';
import { tenancyError } from './tenancy.errors.ts';
import { memberEmail } from './tenancy.schemas.ts';

const SETUP_LINK_TTL_MS = 24 * 60 * 60 * 1000;

const bootstrapInput = z.strictObject({
  orgName: safeText(1, 200),
  email: memberEmail,
});

export interface BootstrapResult {
  orgId: string;
  userId: string;
  setupLink: string;
  expiresAt: Date;
}

/** Latin letters that Unicode does not decompose into a base letter plus accents. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i' };

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[ßæœøđðłþı]/g, (letter) => TRANSLITERATIONS[letter] ?? '-')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return slug || 'org';
}

/**
 * Creates the first organization, its owner and a one-time setup link, in one transaction. It
 * works once: with any organization present it refuses, so a leaked shell history cannot be
 * replayed to mint a second owner. The link carries the token in its fragment, which browsers
 * never send to servers or put in Referer headers; only its SHA-256 is stored.
 */
export async function bootstrapFirstOrganization(
  deps: { db: Db; config: Pick<Config, 'publicUrl'> },
  raw: { orgName: string; email: string },
): Promise<BootstrapResult> {
  const parsed = bootstrapInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw tenancyError('INVALID_BOOTSTRAP', `${issue?.path.join('.') === 'orgName' ? '--org' : '--email'} ${issue?.message}`);
  }
  const { orgName, email } = parsed.data;
  const orgId = randomUUID();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SETUP_LINK_TTL_MS);
  const userId = await deps.db.transaction(async (tx) => {
    // Serialises concurrent bootstraps so that exactly one of them can see an empty instance.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('vigil.bootstrap'))`);
    await switchScope.toSystem(tx);
    const existing = await tx.select({ id: organizations.id }).from(organizations).limit(1);
    if (existing.length > 0) {
      throw tenancyError('ALREADY_BOOTSTRAPPED', 'this instance already has an organization; invite people from it instead');
    }
    const [user] = await tx.insert(users).values({ email }).returning({ id: users.id });
    if (!user) throw new Error('INSERT … RETURNING produced no row');

    await switchScope.toTenant(tx, { orgId, userId: user.id, role: 'OWNER', clientIds: 'all' });
    await tx.insert(organizations).values({ id: orgId, name: orgName, slug: slugify(orgName) });

    // Memberships are created in the system scope only (see 0001's memberships policies).
    await switchScope.toSystem(tx);
    await tx.insert(memberships).values({ orgId, userId: user.id, role: 'OWNER' });
    await tx.insert(setupTokens).values({
      orgId,
      userId: user.id,
      tokenHash: createHash('sha256').update(token).digest('hex'),
      expiresAt,
    });
    return user.id;
  });
  return { orgId, userId, setupLink: publicLink(deps.config, 'setup', `token=${token}`), expiresAt };
}

/** Whether the instance has been bootstrapped; the start-up banner says how to do it otherwise. */
export async function instanceHasOrganization(db: Db): Promise<boolean> {
  return withSystem(db, async (tx) => (await tx.select({ id: organizations.id }).from(organizations).limit(1)).length > 0);
}
