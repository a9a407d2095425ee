import { readFileSync } from 'node:fs';

/** The release, from package.json: one source for the banner, the CLI and the OpenAPI document. */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
