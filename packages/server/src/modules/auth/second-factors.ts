import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Tx } from '../../db/database.ts';
import type { KeyringSource } from '../../lib/keys/index.ts';
import type { Logger } from '../../logger.ts';
import type { SecondFactorMethod, SecondFactors } from './login/login.service.ts';
import { consumeBackupCode, hasConfirmedTotp, remainingBackupCodes, verifyTotp } from './mfa/index.ts';
import type { PasskeysService } from './passkeys/index.ts';

/** The login step's view of the second factors a user has: TOTP with its backup codes. */
export function createSecondFactors(deps: {
  keys: KeyringSource;
  logger: Pick<Logger, 'error'>;
  passkeys: PasskeysService;
}): SecondFactors {
  return {
    async enrolled(tx: Tx, userId: string): Promise<SecondFactorMethod[]> {
      const methods: SecondFactorMethod[] = [];
      if (await hasConfirmedTotp(tx, userId)) {
        methods.push('totp');
        if ((await remainingBackupCodes(tx, userId)) > 0) methods.push('backup_code');
      }
      if ((await deps.passkeys.list(tx, userId)).length > 0) methods.push('passkey');
      return methods;
    },
    async verify(tx: Tx, userId: string, method: SecondFactorMethod, answer: unknown): Promise<boolean> {
      if (method === 'totp') return verifyTotp(tx, { keyring: deps.keys.current(), logger: deps.logger }, userId, answer);
      if (method === 'backup_code') return consumeBackupCode(tx, userId, answer);
      const login = await deps.passkeys.verifyAuthentication(tx, answer as AuthenticationResponseJSON, { expectedUserId: userId });
      return login?.userId === userId;
    },
    async passkeyOptions(tx: Tx, userId: string) {
      return (await deps.passkeys.authenticationOptions(tx, { userId })).options;
    },
  };
}
