/**
 * os-release(5) (`/etc/os-release`, `/usr/lib/os-release`): newline-separated `KEY=value` lines.
 * Values may be quoted with `"` or `'` and use shell-style backslash escapes; `#` lines and blank
 * lines are comments. Lines that are not assignments are ignored, as systemd does (it logs and
 * skips them). Only the first MAX_OS_RELEASE_CHARS characters are read: real files are well under
 * 1 KiB, so anything longer is not an os-release file and must not cost more than that.
 *
 * Returns a null-prototype record (a key such as `__proto__` is stored as data, never as a
 * prototype); a key given twice keeps the last value, as a shell sourcing the file would.
 */

export const MAX_OS_RELEASE_CHARS = 64 * 1024;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let body = text.length > MAX_OS_RELEASE_CHARS ? text.slice(0, MAX_OS_RELEASE_CHARS) : text;
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const line = body.slice(start, end).trim();
    start = end + 1;
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) continue;
    const value = unquote(line.slice(eq + 1).trim());
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Shell-style word: unquoted, `"…"` (backslash escapes `\"`, `\\`, `` \` ``, `\$`; other
 * backslashes are kept, as in sh) and `'…'` (no escapes) segments, concatenated. An unterminated
 * quote makes the value unreadable (undefined); unquoted whitespace ends the value, and what
 * follows is ignored.
 */
function unquote(raw: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i] as string;
    if (c === '"') {
      const close = readDouble(raw, i + 1);
      if (close === undefined) return undefined;
      out += close.text;
      i = close.next;
    } else if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\') {
      if (i + 1 < raw.length) out += raw[i + 1];
      i += 2;
    } else if (c === ' ' || c === '\t') {
      break;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function readDouble(raw: string, from: number): { text: string; next: number } | undefined {
  let text = '';
  for (let i = from; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '"') return { text, next: i + 1 };
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[i + 1] as string;
      if (n === '"' || n === '\\' || n === '`' || n === '$') {
        text += n;
        i++;
        continue;
      }
    }
    text += c;
  }
  return undefined;
}
