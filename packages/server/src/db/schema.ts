import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  foreignKey,
  index,
  inet,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

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
  erasedAt: timestamp('erased_at', { withTimezone: true }),
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

const at = (name: string) => timestamp(name, { withTimezone: true });
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });
const userRef = () =>
  uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' });

/** Auth tables (0005_auth.sql); most are reachable in the system scope only. */
export const userPasswords = vigil.table('user_passwords', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  passwordHash: text('password_hash').notNull(),
  changedAt: at('changed_at').notNull().defaultNow(),
});

export const loginThrottle = vigil.table('login_throttle', {
  accountKey: text('account_key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lockedUntil: at('locked_until'),
  lastFailureAt: at('last_failure_at').notNull().defaultNow(),
});

export const SESSION_METHODS = ['password', 'passkey', 'setup', 'invitation', 'reset'] as const;
export type SessionMethod = (typeof SESSION_METHODS)[number];

export const sessions = vigil.table('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: userRef(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  mfaVerified: boolean('mfa_verified').notNull().default(false),
  method: text('method').$type<SessionMethod>().notNull(),
  device: text('device'),
  ip: inet('ip'),
  userAgent: text('user_agent'),
  createdAt: createdAt(),
  lastUsedAt: at('last_used_at').notNull().defaultNow(),
  idleExpiresAt: at('idle_expires_at').notNull(),
  absoluteExpiresAt: at('absolute_expires_at').notNull(),
  revokedAt: at('revoked_at'),
  revokedReason: text('revoked_reason'),
});

export const refreshTokens = vigil.table('refresh_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  sessionId: uuid('session_id')
    .notNull()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  issuedAt: at('issued_at').notNull().defaultNow(),
  rotatedAt: at('rotated_at'),
});

export const mfaTotp = vigil.table('mfa_totp', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretSealed: text('secret_sealed').notNull(),
  confirmedAt: at('confirmed_at'),
  lastStep: bigint('last_step', { mode: 'number' }),
  createdAt: createdAt(),
});

export const mfaBackupCodes = vigil.table('mfa_backup_codes', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: userRef(),
  codeHash: text('code_hash').notNull(),
  usedAt: at('used_at'),
  createdAt: createdAt(),
});

export const webauthnCredentials = vigil.table('webauthn_credentials', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: userRef(),
  credentialId: text('credential_id').notNull().unique(),
  publicKey: bytea('public_key').notNull(),
  signCount: bigint('sign_count', { mode: 'number' }).notNull().default(0),
  transports: text('transports').array().notNull().default([]),
  name: text('name').notNull(),
  createdAt: createdAt(),
  lastUsedAt: at('last_used_at'),
});

export const CHALLENGE_PURPOSES = ['mfa', 'webauthn_register', 'webauthn_login'] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

export const authChallenges = vigil.table('auth_challenges', {
  id: uuid('id').primaryKey().defaultRandom(),
  purpose: text('purpose').$type<ChallengePurpose>().notNull(),
  secretHash: text('secret_hash').notNull().unique(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  attempts: integer('attempts').notNull().default(0),
  createdAt: createdAt(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
});

export const API_KEY_KINDS = ['api', 'agent'] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

export const apiKeys = vigil.table(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    clientId: uuid('client_id'),
    kind: text('kind').$type<ApiKeyKind>().notNull(),
    prefix: text('prefix').notNull().unique(),
    secretHash: text('secret_hash').notNull(),
    name: text('name').notNull(),
    role: text('role').$type<Role>().notNull(),
    assetId: uuid('asset_id').references(() => assets.id, { onDelete: 'cascade' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: at('expires_at'),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [foreignKey({ columns: [t.orgId, t.clientId], foreignColumns: [clients.orgId, clients.id] }).onDelete('cascade')],
);

export const invitations = vigil.table(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    clientId: uuid('client_id'),
    email: text('email').notNull(),
    role: text('role').$type<Role>().notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
    acceptedAt: at('accepted_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [foreignKey({ columns: [t.orgId, t.clientId], foreignColumns: [clients.orgId, clients.id] }).onDelete('cascade')],
);

export const passwordResets = vigil.table('password_resets', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: userRef(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
});

export const rateLimits = vigil.table('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: at('window_start').notNull(),
  hits: integer('hits').notNull(),
});

export const vigilMeta = pgSchema('vigil_meta');

export const schemaMigrations = vigilMeta.table('migrations', {
  id: text('id').primaryKey(),
  checksum: text('checksum').notNull(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Per-(user, organization) keys sealing audit entries' personal fields (0006_privacy.sql). Its
 * primary key is (user_id, org_id); the audit and users modules query it in SQL.
 */
export const userDataKeys = vigil.table('user_data_keys', {
  userId: userRef(),
  orgId: uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  /** 32 random bytes; NULL once erased (the row stays as a tombstone). */
  dataKey: bytea('data_key'),
  createdAt: createdAt(),
  erasedAt: at('erased_at'),
});
