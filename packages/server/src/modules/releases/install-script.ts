import { readFileSync } from 'node:fs';

const TEMPLATE = readFileSync(new URL('./install.sh', import.meta.url), 'utf8');
const PLACEHOLDER = '@@VIGIL_SERVER_URL@@';

/** A string as one single-quoted shell word: nothing in it is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * `/install.sh` for this server. The server URL written into it is the configured public URL,
 * never the request's Host or X-Forwarded-Host: a forged header must not make the script fetch
 * the agent from (and enroll with) a host an attacker chose.
 */
export function renderInstallScript(publicUrl: URL): string {
  const base = publicUrl.toString().replace(/\/+$/, '');
  return TEMPLATE.replace(PLACEHOLDER, shellQuote(base));
}
