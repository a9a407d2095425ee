export {
  isKeyPurpose,
  KEY_PURPOSES,
  KEY_VARIABLES,
  type KeyMaterial,
  type KeyPurpose,
  type KeyStatus,
  PURPOSE_NAMES,
  type SealPurpose,
  type SignPurpose,
} from './key-material.ts';
export { keyFilePath, readKeyFile, retireKey, rotateKey, type StoredKey, type StoredKeyring } from './key-store.ts';
export {
  createEphemeralKeyring,
  createKeyring,
  describeKeys,
  type KeyEntry,
  type KeyInfo,
  type Keyring,
  type KeySource,
  loadKeyring,
  type PublicJwk,
} from './keyring.ts';
export { createKeyringSource, type KeyringSource, staticKeyringSource } from './keyring-source.ts';
export { KEYS_ERRORS, type KeysErrorCode, keysError } from './keys.errors.ts';
export { needsReseal, open, reseal, seal } from './sealed.ts';
