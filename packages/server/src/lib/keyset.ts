import { type SQL, sql } from 'drizzle-orm';
import { decodeCursor, encodeCursor } from './page-cursor.ts';

/**
 * Keyset pagination in plain SQL. A sort is a list of key parts, the row's unique id last; every
 * part sorts in the same direction, so "after the cursor" is one row-value comparison
 * `(k1, k2, id) > (v1, v2, vid)` that PostgreSQL evaluates exactly as it orders, collation included.
 * Each part says how to read its value as text (for the cursor) and how to bind it back, so
 * timestamps keep their microseconds and numerics their digits.
 */
export interface KeyPart {
  /** The expression sorted on. */
  expr: SQL;
  /** The same value as text, selected for the cursor. */
  text: SQL;
  /** A cursor value bound back as the expression's type. */
  bind(value: string): SQL;
  /** Whether a cursor value can be bound (anything else answers 400, never a database error). */
  valid(value: string): boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const keyParts = {
  uuid: (expr: SQL): KeyPart => ({ expr, text: sql`(${expr})::text`, bind: (v) => sql`${v}::uuid`, valid: (v) => UUID.test(v) }),
  bigint: (expr: SQL): KeyPart => ({
    expr,
    text: sql`(${expr})::text`,
    bind: (v) => sql`${v}::bigint`,
    valid: (v) => /^-?\d{1,18}$/.test(v),
  }),
  integer: (expr: SQL): KeyPart => ({ expr, text: sql`(${expr})::text`, bind: (v) => sql`${v}::int`, valid: (v) => /^-?\d{1,9}$/.test(v) }),
  numeric: (expr: SQL): KeyPart => ({
    expr,
    text: sql`(${expr})::text`,
    bind: (v) => sql`${v}::numeric`,
    valid: (v) => /^-?\d{1,30}(\.\d{1,30})?$/.test(v),
  }),
  text: (expr: SQL): KeyPart => ({ expr, text: sql`(${expr})::text`, bind: (v) => sql`${v}::text`, valid: () => true }),
  /** Microseconds since the epoch: exact, where a JavaScript Date would drop three digits. */
  timestamp: (expr: SQL): KeyPart => ({
    expr,
    text: sql`(extract(epoch FROM ${expr}) * 1000000)::bigint::text`,
    bind: (v) => sql`(timestamptz 'epoch' + ${v}::bigint * interval '1 microsecond')`,
    valid: (v) => /^-?\d{1,18}$/.test(v),
  }),
};

export type Direction = 'asc' | 'desc';

export interface Keyset {
  /** Names the sort in the cursor, so a cursor of one sort is refused by another. */
  scope: string;
  parts: readonly KeyPart[];
  direction: Direction;
}

/** The cursor's values when it belongs to this keyset and every value binds; else null. */
export function cursorValues(keyset: Keyset, cursor: string): string[] | null {
  const values = decodeCursor(cursor, `${keyset.scope}:${keyset.direction}`, keyset.parts.length);
  if (!values) return null;
  return values.every((value, i) => keyset.parts[i]?.valid(value)) ? values : null;
}

export function cursorFor(keyset: Keyset, values: readonly string[]): string {
  return encodeCursor(`${keyset.scope}:${keyset.direction}`, values);
}

/** `ORDER BY k1 dir, k2 dir, …`. */
export function orderBy(keyset: Keyset): SQL {
  const dir = keyset.direction === 'asc' ? sql`ASC` : sql`DESC`;
  return sql.join(
    keyset.parts.map((p) => sql`${p.expr} ${dir}`),
    sql`, `,
  );
}

/** The rows strictly after the cursor's row in this order. */
export function after(keyset: Keyset, values: readonly string[]): SQL {
  const left = sql.join(
    keyset.parts.map((p) => p.expr),
    sql`, `,
  );
  const right = sql.join(
    keyset.parts.map((p, i) => p.bind(values[i] as string)),
    sql`, `,
  );
  return keyset.direction === 'asc' ? sql`(${left}) > (${right})` : sql`(${left}) < (${right})`;
}

/** The key values of a row, selected as `cursor_keys` (a text array). */
export function cursorKeysColumn(keyset: Keyset): SQL {
  return sql`ARRAY[${sql.join(
    keyset.parts.map((p) => p.text),
    sql`, `,
  )}]::text[] AS cursor_keys`;
}
