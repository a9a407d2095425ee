import { collectorReportSchema, type Inventory, inventoryDigest, inventorySchema, PROTOCOL_LIMITS } from '@vigil/protocol';

const collectedAtSchema = inventorySchema.shape.collectedAt;
const durationSchema = collectorReportSchema.shape.durationMs;

/**
 * The digest of an inventory body before it is validated, for the unchanged case only: most
 * inventories a server receives are the same machine collected again, and validating 1,000
 * packages costs more than the rest of answering them.
 *
 * Why it is safe: the stored digest is only ever written for an inventory that passed the schema
 * (ingest.service.ts, after validation). If this body's digest equals it, the body's canonical
 * JSON (see inventoryDigest) is that validated inventory's, so the body holds the same values in
 * every field the digest covers, and the schema would accept them again. The digest leaves out
 * `collectedAt` and each collector's `durationMs`; those are checked here with the schema's own
 * rules. Null when the body cannot be digested this way (a list over its limit, a shape the
 * digest cannot walk, a field the digest leaves out that is invalid): the caller then validates
 * in full, which gives the same answer and the same error it always did.
 */
export function digestBeforeValidation(body: object): string | null {
  const { collectedAt, collectors, configFacts, services, wordpress } = body as Record<string, unknown>;
  // Lists within the protocol's limits (packages were checked by precheckInventory), so sorting
  // them costs no more than validating them would.
  const within = (list: unknown, limit: number) => Array.isArray(list) && list.length <= limit;
  if (
    !within(collectors, PROTOCOL_LIMITS.collectors) ||
    !within(configFacts, PROTOCOL_LIMITS.configFacts) ||
    !within(services, PROTOCOL_LIMITS.services) ||
    !within(wordpress, PROTOCOL_LIMITS.wordpressInstalls) ||
    !collectedAtSchema.safeParse(collectedAt).success
  ) {
    return null;
  }
  for (const report of collectors as unknown[]) {
    if (typeof report !== 'object' || report === null || !durationSchema.safeParse((report as { durationMs?: unknown }).durationMs).success)
      return null;
  }
  try {
    return inventoryDigest(body as Inventory);
  } catch {
    // A shape the digest cannot walk (a package that is not an object, nesting too deep): the
    // schema refuses it, with its own message.
    return null;
  }
}
