import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { cursorFor, cursorValues } from '../../lib/keyset.ts';
import type { ActorKind } from '../audit/audit.chain.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { access } from '../tenancy/access.ts';
import { findingError } from './findings.errors.ts';
import { presentFinding, presentFindingDetail } from './findings.presenters.ts';
import { findingsRepo as repo, type TriageWrite } from './findings.repo.ts';
import {
  type FindingDetailView,
  type FindingListQuery,
  type FindingPage,
  type FindingView,
  RISK_ACCEPTANCE_MAX_DAYS,
  SEVERITIES,
  type StatusChange,
} from './findings.schemas.ts';
import { findingKeyset } from './findings.sql.ts';

/** Who asked, for the audit entry: the route passes the request's actor, address and user agent. */
export interface RequestMeta {
  actor?: { kind: 'user' | 'api_key' | 'agent'; id: string };
  ip?: string | null;
  userAgent?: string | null;
}

export interface FindingsServiceDeps {
  db: Db;
  /** The clock a risk acceptance's expiry is checked against (tests move it). */
  now?: () => Date;
}

export type FindingsService = ReturnType<typeof createFindingsService>;

const AUDIT_ACTION: Record<StatusChange['status'], string> = {
  acknowledged: 'finding.acknowledged',
  risk_accepted: 'finding.risk_accepted',
  false_positive: 'finding.false_positive',
  open: 'finding.reopened_by_user',
};
const DAY_MS = 86_400_000;

export function createFindingsService({ db, now = () => new Date() }: FindingsServiceDeps) {
  /** The row values a change writes, after the checks the schema cannot make (the clock). */
  function triageOf(ctx: TenantContext, change: StatusChange): TriageWrite {
    if (change.status === 'open') return { triage: null, reason: null, expiresAt: null, by: null };
    if (change.status !== 'risk_accepted') return { triage: change.status, reason: change.reason ?? null, expiresAt: null, by: ctx.userId };
    const expires = new Date(change.expiresAt);
    const current = now().getTime();
    // An acceptance that is already over would be a silent no-op; one for years is a decision
    // nobody revisits. Both are refused.
    if (expires.getTime() <= current) throw findingError('FINDING_EXPIRY_INVALID', 'expiresAt must be in the future');
    if (expires.getTime() > current + RISK_ACCEPTANCE_MAX_DAYS * DAY_MS) {
      throw findingError('FINDING_EXPIRY_INVALID', `expiresAt must be within ${RISK_ACCEPTANCE_MAX_DAYS} days`);
    }
    return { triage: 'risk_accepted', reason: change.reason, expiresAt: expires.toISOString(), by: ctx.userId };
  }

  /** Changes every finding of `findingIds` or none: one the actor cannot see answers 404 for all. */
  async function change(tx: Tx, ctx: TenantContext, findingIds: readonly string[], input: StatusChange, meta: RequestMeta) {
    const unique = [...new Set(findingIds.map((id) => id.toLowerCase()))];
    const write = triageOf(ctx, input);
    const found = await repo.lockVisible(tx, ctx, unique);
    if (found.length !== unique.length) throw findingError('FINDING_NOT_FOUND');
    await repo.setTriage(tx, ctx, unique, write);
    for (const before of found) {
      await recordAudit(tx, ctx, {
        action: AUDIT_ACTION[input.status],
        ...(meta.actor ? { actorKind: meta.actor.kind as ActorKind } : {}),
        targetType: 'finding',
        targetId: before.id,
        clientId: before.client_id,
        ip: meta.ip ?? null,
        userAgent: meta.userAgent ?? null,
        before: { status: before.status, triage: before.triage },
        after: { status: input.status, ...(write.expiresAt ? { expiresAt: write.expiresAt } : {}) },
        // The reason is free text a person typed: it stays on the finding, not in the
        // unerasable audit chain; its length shows that one was given.
        details: {
          ...(write.reason !== null ? { reasonLength: write.reason.length } : {}),
          ...(unique.length > 1 ? { bulk: unique.length } : {}),
          ...(meta.actor && meta.actor.kind !== 'user' ? { actorKeyId: meta.actor.id } : {}),
        },
      });
    }
    return (await repo.listByIds(tx, ctx, unique)).map(presentFinding);
  }

  return {
    async list(ctx: TenantContext, query: FindingListQuery): Promise<FindingPage> {
      access.require(ctx, 'finding:read');
      const { sort, order, limit, cursor, summary, ...filter } = query;
      const keyset = findingKeyset(sort, order);
      const start = cursor === undefined ? null : cursorValues(keyset, cursor);
      if (cursor !== undefined && start === null) throw findingError('FINDING_CURSOR_INVALID');
      return withTenant(db, ctx, async (tx) => {
        const found = await repo.page(tx, ctx, filter, keyset, start, limit);
        const page = found.slice(0, limit);
        const last = page.at(-1);
        const result: FindingPage = {
          items: page.map(presentFinding),
          nextCursor: found.length > limit && last ? cursorFor(keyset, last.cursor_keys) : null,
        };
        if (summary) {
          const counts = await repo.countBySeverity(tx, ctx, filter);
          const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, counts.find((c) => c.severity === s)?.n ?? 0]));
          result.summary = {
            total: counts.reduce((sum, c) => sum + c.n, 0),
            bySeverity: bySeverity as Record<(typeof SEVERITIES)[number], number>,
          };
        }
        return result;
      });
    },

    async get(ctx: TenantContext, findingId: string): Promise<FindingDetailView> {
      access.require(ctx, 'finding:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.find(tx, ctx, findingId);
        if (!row) throw findingError('FINDING_NOT_FOUND');
        return presentFindingDetail(row, (await repo.history(tx, ctx, findingId)).reverse());
      });
    },

    /** ENGINEER and above (`finding:triage`): client roles see their findings but do not triage them. */
    async setStatus(ctx: TenantContext, findingId: string, input: StatusChange, meta: RequestMeta = {}): Promise<FindingView> {
      access.require(ctx, 'finding:triage');
      const [view] = await withTenant(db, ctx, (tx) => change(tx, ctx, [findingId], input, meta));
      if (!view) throw findingError('FINDING_NOT_FOUND');
      return view;
    },

    async setStatusBulk(ctx: TenantContext, findingIds: readonly string[], input: StatusChange, meta: RequestMeta = {}) {
      access.require(ctx, 'finding:triage');
      const items = await withTenant(db, ctx, (tx) => change(tx, ctx, findingIds, input, meta));
      return { updated: items.length, items };
    },
  };
}
