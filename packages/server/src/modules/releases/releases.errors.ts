import { errorFactory } from '../../lib/app-error.ts';

export const RELEASE_ERRORS = {
  RELEASE_NOT_FOUND: { status: 404, title: 'No such release file' },
  NO_RELEASE: { status: 404, title: 'No agent release is published for this platform' },
} as const;

export const releaseError = errorFactory(RELEASE_ERRORS);
