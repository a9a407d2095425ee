import { sql } from 'drizzle-orm';
import { foreignKey, index, jsonb, pgSchema, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The typed view of the tables that `migrations/*.sql` create. The SQL files are the source of
 * truth (they also hold roles, grants and RLS policies, which Drizzle does not model);
 * `migrate.test.ts` checks after migrating that every column declared here exists with its type.
 */
export const vigil = pgSchema('vigil');

export const ORG_ROLES = ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER'] as const;
export const CLIENT_ROLES = ['CLIENT_OWNER', 'CLIENT_MEMBER'] as const;
export const ROLES = [...ORG_ROLES, ...CLIENT_ROLES] as const;
export type Role = (typeof ROLES)[number];
export const ASSET_KINDS = ['server', 'site'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const organizations = vigil.table('organizations', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const clients = vigil.table(
  'clients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique('clients_org_id_id_key').on(t.orgId, t.id), uniqueIndex('clients_org_name_key').on(t.orgId, sql`lower(${t.name})`)],
);

export const users = vigil.table('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  displayName: text('display_name'),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const memberships = vigil.table(
  'memberships',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    clientId: uuid('client_id'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('memberships_org_user_key').on(t.orgId, t.userId),
    foreignKey({ columns: [t.orgId, t.clientId], foreignColumns: [clients.orgId, clients.id] }).onDelete('cascade'),
  ],
);

export const assets = vigil.table(
  'assets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    clientId: uuid('client_id'),
    kind: text('kind').$type<AssetKind>().notNull(),
    name: text('name').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    foreignKey({ columns: [t.orgId, t.clientId], foreignColumns: [clients.orgId, clients.id] }).onDelete('restrict'),
    index('assets_org_client_idx').on(t.orgId, t.clientId),
  ],
);

/** One-time links printed by `vigil admin bootstrap`; the auth module consumes them. */
export const setupTokens = vigil.table('setup_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
  createdAt: createdAt(),
});

/** Mail the mailer stored instead of sending (no SMTP configured); see 0004_mail_outbox.sql. */
export const mailOutbox = vigil.table('mail_outbox', {
  id: uuid('id').primaryKey().defaultRandom(),
  orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
  toAddress: text('to_address').notNull(),
  subject: text('subject').notNull(),
  textBody: text('text_body').notNull(),
  htmlBody: text('html_body'),
  purpose: text('purpose').notNull(),
  createdAt: createdAt(),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  error: text('error'),
});

export const vigilMeta = pgSchema('vigil_meta');

export const schemaMigrations = vigilMeta.table('migrations', {
  id: text('id').primaryKey(),
  checksum: text('checksum').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
});
