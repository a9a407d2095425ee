import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { INVENTORY_SCHEMA, PROTOCOL_LIMITS } from '@vigil/protocol';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/app-error.ts';
import { inventoryError } from './inventory.errors.ts';

type Counted = Transform & { receivedEncodedLength: number };

/** A pass-through that fails with `error` once more than `limit` bytes went through it. */
function byteLimit(limit: number, error: () => AppError, onCount?: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      onCount?.(total);
      if (total > limit) callback(error());
      else callback(null, chunk);
    },
  });
}

/**
 * The request body as Fastify's JSON parser should read it: at most 1 MB as sent (the app's body
 * limit, counted on the compressed bytes) and, for `content-encoding: gzip`, inflated as a stream
 * that is cut off at PROTOCOL_LIMITS.inflatedBytes, so a gzip bomb costs at most that much memory
 * and ends in a 413 before anything is parsed or stored. (zlib's `maxOutputLength` bounds only the
 * one-shot calls; a stream is bounded by counting its output, as here.)
 *
 * `receivedEncodedLength` tells Fastify how many bytes arrived, which it checks against the
 * Content-Length header; the route's own bodyLimit is the inflated limit.
 */
export function boundedInventoryBody(request: FastifyRequest, payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity')
    throw inventoryError('INVENTORY_ENCODING_UNSUPPORTED', `content-encoding ${encoding.slice(0, 40)}`);
  const declared = Number(request.headers['content-length']);
  const tooLarge = () => inventoryError('INVENTORY_COMPRESSED_TOO_LARGE', `send at most ${PROTOCOL_LIMITS.bodyBytes} bytes`);
  if (declared > PROTOCOL_LIMITS.bodyBytes) throw tooLarge();

  let received = 0;
  const counter = byteLimit(PROTOCOL_LIMITS.bodyBytes, tooLarge, (total) => {
    received = total;
  });
  const out = (
    encoding === 'identity'
      ? counter
      : byteLimit(PROTOCOL_LIMITS.inflatedBytes, () =>
          inventoryError('INVENTORY_INFLATED_TOO_LARGE', `at most ${PROTOCOL_LIMITS.inflatedBytes} bytes of JSON`),
        )
  ) as Counted;
  Object.defineProperty(out, 'receivedEncodedLength', { get: () => received });
  if (encoding === 'identity') {
    payload.pipe(counter);
    return out;
  }
  const gunzip = createGunzip();
  const abort = (error: Error) => {
    counter.destroy();
    gunzip.destroy();
    out.destroy(error instanceof AppError ? error : inventoryError('INVENTORY_GZIP_INVALID', 'the body is not a complete gzip stream'));
  };
  counter.on('error', abort);
  gunzip.on('error', abort);
  out.on('error', () => {
    counter.destroy();
    gunzip.destroy();
  });
  payload.pipe(counter).pipe(gunzip).pipe(out);
  return out;
}

/**
 * Refusals that must come before the schema is checked: a body that is not an object, a schema
 * version this server does not read (named, so the agent's operator knows what to upgrade), and a
 * package list over the limit (413 without validating 100,000 entries first).
 */
export function precheckInventory(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw inventoryError('INVENTORY_NOT_AN_OBJECT');
  const { schema, packages } = body as { schema?: unknown; packages?: unknown };
  if (schema !== INVENTORY_SCHEMA) {
    throw inventoryError(
      'INVENTORY_SCHEMA_UNSUPPORTED',
      `this server reads schema ${INVENTORY_SCHEMA}; the inventory says ${JSON.stringify(schema ?? null).slice(0, 80)}`,
    );
  }
  if (Array.isArray(packages) && packages.length > PROTOCOL_LIMITS.packages) {
    throw inventoryError('INVENTORY_TOO_MANY_PACKAGES', `${packages.length} packages; at most ${PROTOCOL_LIMITS.packages} are accepted`);
  }
}
