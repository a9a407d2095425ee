import { type Score, ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary, translations } from '@zxcvbn-ts/language-en';
import { lengthVerdict, normalizePassword } from './password-input.ts';

/**
 * The password policy of NIST SP 800-63B §5.1.1.2 and the OWASP Authentication Cheat Sheet:
 * length 12..256 code points after NFKC, no composition rules, and a refusal of passwords that
 * are common, breached, guessable or built from the user's own name or email.
 */

export type PolicyReason = 'too_short' | 'too_long' | 'too_common' | 'too_weak' | 'contains_personal_info';

export type PolicyResult = { ok: true; score: Score } | { ok: false; reasons: PolicyReason[]; feedback: string[] };

export interface PolicyContext {
  email?: string;
  name?: string;
}

/** zxcvbn scores 0..4; 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
export const MIN_SCORE = 3;

/**
 * The estimator's cost grows steeply with length and with l33t-looking characters: unbounded, one
 * 256-character request costs well over a second of main-thread CPU (a denial of service through
 * the sign-up form). Estimating the first 64 code points with at most 4 l33t substitutions keeps
 * the worst case to tens of milliseconds; 64 unguessable characters are strong whatever follows,
 * and the common-password check below still sees the whole password.
 */
const ESTIMATE_MAX_LENGTH = 64;
const L33T_MAX_SUBSTITUTIONS = 4;

/** Words that belong to this service rather than the user; guessing them is free for an attacker. */
const SERVICE_WORDS = ['vigil'];

/** A name or email part shorter than this is too likely to occur in unrelated words to be refused. */
const PERSONAL_TOKEN_MIN_LENGTH = 4;

let estimator: ZxcvbnFactory | null = null;
let commonPasswords: Set<string> | null = null;

/** Built on first use: loading the dictionaries costs ~100 ms, which a process that never changes a password need not pay. */
function getEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    translations,
    graphs: adjacencyGraphs,
    dictionary: { ...commonDictionary, ...englishDictionary },
    maxLength: ESTIMATE_MAX_LENGTH,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
  });
  return estimator;
}

/** The ~49,000 most common passwords from breach corpora, shipped inside @zxcvbn-ts/language-common. */
function getCommonPasswords(): Set<string> {
  commonPasswords ??= new Set(commonDictionary['passwords-common'].map((entry) => entry.toLowerCase()));
  return commonPasswords;
}

/** The email's local part and the name, whole and split into words, lower-cased and normalised. */
export function personalTokens(context: PolicyContext): string[] {
  const tokens = new Set<string>();
  const add = (value: string | undefined) => {
    if (!value) return;
    const normalized = normalizePassword(value).toLowerCase().trim();
    if (normalized.length >= PERSONAL_TOKEN_MIN_LENGTH) tokens.add(normalized);
    for (const part of normalized.split(/[\s._+\-@]+/u)) {
      if (part.length >= PERSONAL_TOKEN_MIN_LENGTH) tokens.add(part);
    }
  };
  const at = context.email?.lastIndexOf('@') ?? -1;
  add(at > 0 ? context.email?.slice(0, at) : context.email);
  add(context.name);
  if (context.name) add(context.name.replace(/\s+/gu, ''));
  return [...tokens];
}

export async function checkPasswordPolicy(password: string, context: PolicyContext = {}): Promise<PolicyResult> {
  const length = lengthVerdict(password);
  if (length === 'too_long') return { ok: false, reasons: ['too_long'], feedback: [] };
  if (length === 'too_short') return { ok: false, reasons: ['too_short'], feedback: [] };

  const normalized = normalizePassword(password);
  const lowered = normalized.toLowerCase();
  const reasons: PolicyReason[] = [];

  // Credential stuffing and online guessing try the most common passwords first.
  if (getCommonPasswords().has(lowered)) reasons.push('too_common');

  // Targeted guessing starts from what an attacker already knows about the victim.
  const tokens = personalTokens(context);
  if (tokens.some((token) => lowered.includes(token))) reasons.push('contains_personal_info');

  const estimate = await getEstimator().checkAsync(normalized, [...tokens, ...SERVICE_WORDS]);
  if (estimate.score < MIN_SCORE) reasons.push('too_weak');

  if (reasons.length === 0) return { ok: true, score: estimate.score };
  const feedback = [estimate.feedback.warning, ...estimate.feedback.suggestions].filter(
    (line): line is string => typeof line === 'string' && line.length > 0,
  );
  return { ok: false, reasons, feedback };
}
