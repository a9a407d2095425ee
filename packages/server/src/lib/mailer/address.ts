// One bare address, local@domain.tld: no display name, no list, no quoting, no whitespace and so
// no CR/LF — a line break in a header value is how a header (a Bcc:, a second body) is injected.
const MAIL_ADDRESS =
  /^[^\s@<>()[\],;:"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
// Printable ASCII only: no control character of any kind (CR, LF, NUL…), no space, no Unicode
// look-alikes (internationalised addresses would need SMTPUTF8, which Vigil does not ask for).
const PRINTABLE_ASCII = /^[!-~]+$/;

/** Whether `value` is one bare email address, safe to put in a header as it is. */
export function isMailAddress(value: string): boolean {
  return value.length <= 254 && PRINTABLE_ASCII.test(value) && MAIL_ADDRESS.test(value);
}
