import { errorFactory } from '../app-error.ts';

/**
 * Details never carry key material or sealed values; they name files, purposes and key ids only.
 * A failed decryption is a server-side problem (a lost or retired key, damaged data), so it is a
 * 500 to a client; the detail is for the log.
 */
export const KEYS_ERRORS = {
  KEY_DECRYPT_FAILED: { status: 500, title: 'A stored secret could not be decrypted' },
  KEY_FILE_INSECURE: { status: 500, title: 'A key file is readable or writable by other users' },
  KEY_FILE_INVALID: { status: 500, title: 'A key file is damaged' },
  KEY_FILE_UNUSABLE: { status: 500, title: 'A key file could not be read or written' },
  KEY_UNKNOWN: { status: 400, title: 'No such key' },
  KEY_NOT_RETIRABLE: { status: 400, title: 'This key cannot be retired' },
} as const;

export type KeysErrorCode = keyof typeof KEYS_ERRORS;

export const keysError = errorFactory(KEYS_ERRORS);
