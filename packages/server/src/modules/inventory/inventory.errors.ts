import { errorFactory } from '../../lib/app-error.ts';

export const INVENTORY_ERRORS = {
  INVENTORY_COMPRESSED_TOO_LARGE: { status: 413, title: 'The inventory is larger than 1 MB as sent' },
  INVENTORY_INFLATED_TOO_LARGE: { status: 413, title: 'The inventory inflates beyond the limit' },
  INVENTORY_TOO_MANY_PACKAGES: { status: 413, title: 'The inventory lists more packages than the limit' },
  INVENTORY_ENCODING_UNSUPPORTED: { status: 415, title: 'Inventories are sent as gzip or uncompressed' },
  INVENTORY_GZIP_INVALID: { status: 400, title: 'The gzip body is damaged' },
  INVENTORY_NOT_AN_OBJECT: { status: 400, title: 'An inventory is a JSON object' },
  INVENTORY_SCHEMA_UNSUPPORTED: { status: 400, title: 'This inventory schema version is not supported' },
  INVENTORY_DUPLICATE_PACKAGE: { status: 422, title: 'The inventory lists a package twice' },
  INVENTORY_ASSET_GONE: { status: 401, title: 'The server this agent reported for no longer exists' },
} as const;

export const inventoryError = errorFactory(INVENTORY_ERRORS);
