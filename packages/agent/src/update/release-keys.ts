import type { TrustedKey } from '@vigil/protocol';

/**
 * The Ed25519 public keys a release must be signed by, pinned into the agent when it is built.
 *
 * They are never read from a configuration file or the environment at run time: anyone who can
 * write the agent's config (a local user with a foothold, a misconfigured deployment tool) could
 * otherwise add their own key and have root install their code on the next update check.
 *
 * The built-in list is empty: a build made without release keys refuses every update. The
 * publisher's build adds its keys through esbuild's `define`:
 *
 *   define: { __VIGIL_RELEASE_KEYS__: JSON.stringify([{ kid, x }, ...]) }
 *
 * (`vigil release keygen` prints the `{ kid, x }` of a new key.)
 */
const BUILT_IN_RELEASE_KEYS: readonly TrustedKey[] = [];

declare const __VIGIL_RELEASE_KEYS__: unknown;

/** The name of the esbuild `define` the bundler sets to the JSON array of extra release keys. */
export const RELEASE_KEYS_DEFINE = '__VIGIL_RELEASE_KEYS__';

const KID = /^[\x21-\x7e]{1,64}$/;
const RAW_KEY = /^[A-Za-z0-9_-]{43}$/;

/** Checks the injected value: a malformed build must fail loudly, not trust a half-parsed key. */
export function parseReleaseKeys(value: unknown): TrustedKey[] {
  if (!Array.isArray(value)) throw new Error(`${RELEASE_KEYS_DEFINE} must be a JSON array of { kid, x }`);
  return value.map((entry, index) => {
    const { kid, x } = (entry ?? {}) as { kid?: unknown; x?: unknown };
    if (typeof kid !== 'string' || !KID.test(kid) || typeof x !== 'string' || !RAW_KEY.test(x)) {
      throw new Error(`${RELEASE_KEYS_DEFINE}[${index}] must be { kid, x } with x the raw Ed25519 key in base64url`);
    }
    return { kid, x };
  });
}

/** Every release key this build trusts: the built-in ones and those the bundler injected. */
export function pinnedReleaseKeys(): TrustedKey[] {
  // `typeof` keeps an unbundled run (tests, `tsx`) working: the name is then simply undeclared.
  const injected = typeof __VIGIL_RELEASE_KEYS__ === 'undefined' ? [] : parseReleaseKeys(__VIGIL_RELEASE_KEYS__);
  return [...BUILT_IN_RELEASE_KEYS, ...injected];
}
