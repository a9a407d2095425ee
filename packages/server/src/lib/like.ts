/**
 * A LIKE/ILIKE pattern (with `ESCAPE '\'`) matching `text` anywhere, literally: a user searching
 * for `100%` or `under_score` means those characters, not "anything" or "any one character".
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
