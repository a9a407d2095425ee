import { errorFactory } from '../../lib/app-error.ts';

export const ASSET_ERRORS = {
  ASSET_NOT_FOUND: { status: 404, title: 'Asset not found' },
  ASSET_CLIENT_NOT_FOUND: { status: 404, title: 'Client not found' },
  ASSET_CURSOR_INVALID: { status: 400, title: 'The cursor is not one this list returned' },
} as const;

export const assetError = errorFactory(ASSET_ERRORS);
