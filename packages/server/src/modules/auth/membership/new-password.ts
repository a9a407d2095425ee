import type { Config } from '../../../config/config.ts';
import { fetchSmallText } from '../../../lib/outbound/fetch-text.ts';
import { DEFAULT_OUTBOUND_POLICY } from '../../../lib/outbound/index.ts';
import { authError } from '../auth.errors.ts';
import { checkBreachedRange, checkPasswordPolicy, type FetchText } from '../passwords/index.ts';

/** Rejects a newly chosen password the policy refuses (and, when configured, a breached one). */
export type NewPasswordCheck = (password: string, context: { email?: string; displayName?: string | null }) => Promise<void>;

/** The outbound guard's fetch under the deployment's outbound policy (SSRF rules, http, private hosts). */
export function guardedFetchText(config: Pick<Config, 'outbound'>): FetchText {
  const policy = {
    ...DEFAULT_OUTBOUND_POLICY,
    allowHttp: config.outbound.allowHttp,
    allowPrivateHosts: config.outbound.allowPrivateHosts,
  };
  return (url) => fetchSmallText(url, policy, { userAgent: 'Vigil password check' });
}

/**
 * Every place a password is chosen (invitation, reset, change, setup) runs this: the offline
 * policy always, the k-anonymity range check when PASSWORD_RANGE_CHECK_URL is set. The range
 * check fails open (see checkBreachedRange): the offline list still stands behind it.
 */
export function createNewPasswordCheck(deps: { config: Pick<Config, 'auth' | 'outbound'>; fetchText?: FetchText }): NewPasswordCheck {
  const baseUrl = deps.config.auth.passwordRangeCheckUrl;
  const fetchText = deps.fetchText ?? guardedFetchText(deps.config);
  return async (password, context) => {
    // The same verdict and error as login/setup.service.ts's assertPasswordAcceptable, kept here
    // so that setup can use this check without an import cycle.
    const verdict = await checkPasswordPolicy(password, { email: context.email, name: context.displayName ?? undefined });
    if (!verdict.ok) {
      throw authError('WEAK_PASSWORD', [...verdict.reasons, ...verdict.feedback].join('; '), { reasons: verdict.reasons });
    }
    if (!baseUrl) return;
    const result = await checkBreachedRange(password, { baseUrl, fetchText });
    if (result.checked && result.breached) {
      throw authError('WEAK_PASSWORD', 'this password appears in known data breaches; choose another', { reasons: ['breached'] });
    }
  };
}
