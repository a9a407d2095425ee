/**
 * A streaming splitter of one JSON document shaped `{ ..., "<arrayKey>": [ e0, e1, ... ], ... }`:
 * text is pushed in chunks of any size (a chunk may end anywhere, inside a string or an escape),
 * and the elements of the one array member come out one at a time as their own text, to be parsed
 * on their own. The other top-level members come out as their value text too (for the small
 * header fields), or as null when longer than `maxMemberChars`. Memory holds one element (at most
 * `maxElementChars`) and one chunk, however large the document is.
 *
 * Like `advisories/json-members.ts`, this finds the extent of values without parsing them: strings
 * (with escapes) and bracket depth are tracked, everything else is left to `JSON.parse` of the
 * piece, which then reports a malformed element. The top-level structure (`{`, keys, `:`, `,`,
 * `}`, the array's `[`, `,`, `]`) is checked here and a break in it throws SyntaxError with the
 * character offset. Linear in the input.
 */

export interface SplitEvents {
  /** A top-level member other than the split array (or the array key holding something else than an array). */
  member(key: string, text: string | null): void;
  /** The `[` of the split array member was met. */
  arrayStart(): void;
  /** One element of the array, `index` from 0; `text` is null when it is longer than `maxElementChars`. */
  element(index: number, text: string | null, chars: number): void;
}

export interface SplitLimits {
  maxMemberChars: number;
  maxElementChars: number;
}

// Where the splitter is in the document.
const State = {
  BeforeObject: 0,
  KeyOrEnd: 1,
  Key: 2,
  InKey: 3,
  AfterKey: 4,
  BeforeValue: 5,
  InValue: 6,
  AfterValue: 7,
  FirstElementOrEnd: 8,
  Element: 9,
  InElement: 10,
  AfterElement: 11,
  End: 12,
} as const;
type State = (typeof State)[keyof typeof State];

const MAX_KEY_CHARS = 1024;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonArrayMemberSplitter {
  private state: State = State.BeforeObject;
  private consumed = 0;
  private started = false;
  private key = '';
  private index = 0;

  // The value being scanned: a scalar ends at a delimiter, a string or nested value at depth 0.
  private nested = false;
  private depth = 0;
  private inString = false;
  private escape = false;

  // The text being captured.
  private pieces: string[] = [];
  private captured = 0;
  private cap = 0;
  private capturing = false;
  private captureStart = 0;
  private lastChars = 0;

  constructor(
    private readonly arrayKey: string,
    private readonly events: SplitEvents,
    private readonly limits: SplitLimits,
  ) {}

  /** Characters pushed so far. */
  get offset(): number {
    return this.consumed;
  }

  push(chunk: string): void {
    let i = 0;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    this.captureStart = 0;
    const n = chunk.length;
    while (i < n) {
      const state = this.state;
      if (state === State.InKey || state === State.InValue || state === State.InElement) {
        const end = this.scan(chunk, i);
        if (end < 0) break;
        const text = this.endCapture(chunk, end);
        i = end;
        if (state === State.InKey) {
          this.key = text === null ? '' : (JSON.parse(text) as string);
          this.state = State.AfterKey;
        } else if (state === State.InValue) {
          this.state = State.AfterValue;
          this.events.member(this.key, text);
        } else {
          this.state = State.AfterElement;
          this.events.element(this.index++, text, this.lastChars);
        }
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case State.BeforeObject:
          if (c !== 0x7b) throw this.error('not a JSON object', i);
          this.state = State.KeyOrEnd;
          i++;
          break;
        case State.KeyOrEnd:
        case State.Key:
          if (c === 0x7d && state === State.KeyOrEnd) {
            this.state = State.End;
            i++;
            break;
          }
          if (c !== 0x22) throw this.error('member name expected', i);
          this.beginValue(chunk, i, MAX_KEY_CHARS);
          this.state = State.InKey;
          break;
        case State.AfterKey:
          if (c !== 0x3a) throw this.error("':' expected", i);
          this.state = State.BeforeValue;
          i++;
          break;
        case State.BeforeValue:
          if (c === 0x5b && this.key === this.arrayKey) {
            this.state = State.FirstElementOrEnd;
            i++;
            this.events.arrayStart();
            break;
          }
          if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a) throw this.error('value expected', i);
          this.beginValue(chunk, i, this.limits.maxMemberChars);
          this.state = State.InValue;
          break;
        case State.AfterValue:
          if (c === 0x2c) this.state = State.Key;
          else if (c === 0x7d) this.state = State.End;
          else throw this.error("',' or '}' expected", i);
          i++;
          break;
        case State.FirstElementOrEnd:
        case State.Element:
          if (c === 0x5d && state === State.FirstElementOrEnd) {
            this.state = State.AfterValue;
            i++;
            break;
          }
          if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x3a) throw this.error('array element expected', i);
          this.beginValue(chunk, i, this.limits.maxElementChars);
          this.state = State.InElement;
          break;
        case State.AfterElement:
          if (c === 0x2c) this.state = State.Element;
          else if (c === 0x5d) this.state = State.AfterValue;
          else throw this.error("',' or ']' expected in the array", i);
          i++;
          break;
        case State.End:
          throw this.error('text after the document', i);
      }
    }
    if (this.capturing) this.append(chunk.slice(this.captureStart));
    this.consumed += n;
  }

  /** The input is complete: throws SyntaxError when the document is not. */
  end(): void {
    if (this.state !== State.End) {
      throw new SyntaxError(
        this.state === State.BeforeObject ? 'empty document' : `the document ends early at offset ${this.consumed} (truncated?)`,
      );
    }
  }

  private error(what: string, i: number): SyntaxError {
    return new SyntaxError(`${what} at offset ${this.consumed + i}`);
  }

  private beginValue(chunk: string, i: number, cap: number): void {
    const c = chunk.charCodeAt(i);
    this.nested = c === 0x7b || c === 0x5b || c === 0x22;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.pieces = [];
    this.captured = 0;
    this.cap = cap;
    this.capturing = true;
    this.captureStart = i;
  }

  private append(piece: string): void {
    this.captured += piece.length;
    if (this.captured > this.cap) this.pieces = [];
    else this.pieces.push(piece);
  }

  private endCapture(chunk: string, end: number): string | null {
    this.append(chunk.slice(this.captureStart, end));
    this.capturing = false;
    this.lastChars = this.captured;
    const text = this.captured > this.cap ? null : this.pieces.join('');
    this.pieces = [];
    return text;
  }

  /** Index just past the value being scanned, or -1 when it goes on past this chunk. */
  private scan(chunk: string, from: number): number {
    const n = chunk.length;
    let i = from;
    if (!this.nested) {
      while (i < n) {
        const c = chunk.charCodeAt(i);
        if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) return i;
        i++;
      }
      return -1;
    }
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 0) return i + 1;
        }
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
}
