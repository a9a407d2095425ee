import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { eq, sql } from 'drizzle-orm';
import { type Overrides, SoftwareAuthenticator } from '../../../../test/helpers/software-authenticator.ts';
import { createTestDatabase, type TestDatabase } from '../../../../test/helpers/test-database.ts';
import { loadConfig } from '../../../config/config.ts';
import { authChallenges, webauthnCredentials } from '../../../db/schema.ts';
import { withSystem } from '../../../db/tenant.ts';
import { createPasskeysService } from './passkeys.service.ts';

/**
 * Shared set-up for the passkey tests: a fresh database, the real service on a real relying
 * party configuration, software authenticators, and a logger that keeps what it was told.
 */
export const PUBLIC_URL = 'https://vigil.example.test';
export const ORIGIN = 'https://vigil.example.test';
export const RP_ID = 'vigil.example.test';

export interface LogLine {
  level: 'warn' | 'info';
  fields: Record<string, unknown>;
  message: string;
}

export async function createPasskeyKit() {
  const t: TestDatabase = await createTestDatabase();
  const db = t.database.db;
  const config = loadConfig({ VIGIL_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent', PUBLIC_URL });
  const logs: LogLine[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => void logs.push({ level: 'warn', fields, message }),
    info: (fields: Record<string, unknown>, message: string) => void logs.push({ level: 'info', fields, message }),
  };
  const service = createPasskeysService({ config, logger: logger as never });

  const authenticator = (o: { origin?: string; rpId?: string; userVerification?: boolean } = {}) =>
    new SoftwareAuthenticator({ origin: o.origin ?? ORIGIN, rpId: o.rpId ?? RP_ID, userVerification: o.userVerification });
  const registrationOptions = (user: { id: string; email: string; displayName: string | null }) =>
    withSystem(db, (tx) => service.registrationOptions(tx, user));
  const loginOptions = async (userId?: string) =>
    (await withSystem(db, (tx) => service.authenticationOptions(tx, userId === undefined ? {} : { userId }))).options;
  const verify = (response: AuthenticationResponseJSON, expectedUserId?: string) =>
    withSystem(db, (tx) => service.verifyAuthentication(tx, response, expectedUserId === undefined ? {} : { expectedUserId }));

  const kit = {
    t,
    db,
    config,
    logs,
    service,
    authenticator,
    registrationOptions,
    loginOptions,
    verify,

    /** A full enrolment: options, the authenticator's answer, verification. */
    async enrol(user: { id: string; email: string; displayName: string | null }, auth = authenticator(), o: Overrides = {}) {
      const options = await registrationOptions(user);
      const passkey = await withSystem(db, (tx) => service.verifyRegistration(tx, user.id, auth.register(options, o), 'Laptop'));
      return { auth, passkey };
    },

    /** Signs in with `auth`: fresh options, one assertion, verification. */
    async login(auth: SoftwareAuthenticator, o: Overrides = {}, expectedUserId?: string) {
      return verify(auth.assert(await loginOptions(expectedUserId), o), expectedUserId);
    },

    storedCredential: async (credentialId: string) =>
      withSystem(db, async (tx) => {
        const [row] = await tx.select().from(webauthnCredentials).where(eq(webauthnCredentials.credentialId, credentialId));
        return row ?? null;
      }),

    /** Ages every live challenge past its expiry, as five minutes of waiting would. */
    expireChallenges: () =>
      withSystem(db, (tx) =>
        tx.update(authChallenges).set({ expiresAt: sql`now() - interval '1 second'` }).where(sql`${authChallenges.usedAt} IS NULL`),
      ),
  };
  return kit;
}

export type PasskeyKit = Awaited<ReturnType<typeof createPasskeyKit>>;
