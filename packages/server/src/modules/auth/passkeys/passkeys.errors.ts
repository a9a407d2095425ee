import { errorFactory } from '../../../lib/app-error.ts';

export const PASSKEY_ERRORS = {
  PASSKEY_NOT_FOUND: { status: 404, title: 'Passkey not found' },
  // One answer for every refusal (bad signature, unknown credential, spent challenge…): which
  // check failed is logged, never told to the client, so it cannot probe them one by one.
  PASSKEY_REGISTRATION_FAILED: { status: 400, title: 'The passkey could not be registered' },
  PASSKEY_LOGIN_FAILED: { status: 401, title: 'The passkey could not be verified' },
} as const;

export const passkeyError = errorFactory(PASSKEY_ERRORS);
