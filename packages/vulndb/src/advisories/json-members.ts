/**
 * The members of a top-level JSON object, found without parsing their values: each comes as its
 * key and the span of its value text, to be parsed on its own (or not at all). This is how a
 * document the size of the Debian tracker's JSON (one object, tens of MB) is read one source
 * package at a time instead of as one object graph. Linear; throws SyntaxError on malformed input,
 * and the caller then parses the whole text the ordinary way to report the error.
 */
export interface JsonMember {
  key: string;
  start: number;
  end: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string that starts at `i` (a `"`). */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  throw new SyntaxError(`unterminated string at offset ${i}`);
}

/** Index just past the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 0x22) return stringEnd(text, i);
  if (first !== 0x7b && first !== 0x5b) {
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
      j++;
    }
    if (j === i) throw new SyntaxError(`value expected at offset ${i}`);
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) j = stringEnd(text, j) - 1;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  throw new SyntaxError(`unterminated value at offset ${i}`);
}

export function* jsonMembers(text: string): Generator<JsonMember> {
  let i = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text.charCodeAt(i) !== 0x7b) throw new SyntaxError('not a JSON object');
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) throw new SyntaxError(`member name expected at offset ${i}`);
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) throw new SyntaxError(`':' expected at offset ${i}`);
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    yield { key, start, end };
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) {
      if (skipSpace(text, i + 1) !== text.length) throw new SyntaxError(`text after the object at offset ${i + 1}`);
      return;
    }
    if (c !== 0x2c) throw new SyntaxError(`',' or '}' expected at offset ${i}`);
    i = skipSpace(text, i + 1);
  }
}
