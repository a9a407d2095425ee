import { errorFactory } from '../../lib/app-error.ts';

export const INTEL_ERRORS = {
  FEED_NAME_INVALID: { status: 400, title: 'The feed name is not valid' },
  FEED_SOURCE_UNREADABLE: { status: 400, title: 'The feed source cannot be read' },
  FEED_SOURCE_INVALID: { status: 400, title: 'The feed source is not a feed Vigil can import' },
  FEED_KIND_MISMATCH: { status: 409, title: 'The source holds another kind of feed than the feed it names' },
  FEED_OLDER_EDITION: { status: 409, title: 'The source is older than the feed already imported' },
  FEED_EMPTY: { status: 400, title: 'The source holds no usable record' },
  FEED_BUSY: { status: 409, title: 'Another import of this feed is running' },
} as const;

export const fail = errorFactory(INTEL_ERRORS);
