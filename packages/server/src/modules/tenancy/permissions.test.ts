import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { AppError } from '../../lib/app-error.ts';
import { access } from './access.ts';
import { ASSIGNABLE_ROLES, can, PERMISSIONS, type Permission, ROLE_PERMISSIONS } from './permissions.ts';

/**
 * The specification, written out by hand: the matrix in permissions.ts is built with filters
 * and spreads, so a slip there (or a new `*:read` statement silently granted to every reader)
 * must disagree with this table. Columns are in ROLE_ORDER.
 */
const ROLE_ORDER = ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'] as const satisfies readonly Role[];
const Y = true;
const N = false;
type Row = readonly [boolean, boolean, boolean, boolean, boolean, boolean];

// biome-ignore format: the table is the specification and reads best aligned
const EXPECTED_PERMISSIONS: Record<Permission, Row> = {
  //                      OWNER ADMIN ENGINEER VIEWER CLIENT_OWNER CLIENT_MEMBER
  'organization:read':   [Y,    Y,    Y,       Y,     Y,           Y],
  'organization:update': [Y,    Y,    N,       N,     N,           N],
  'organization:delete': [Y,    N,    N,       N,     N,           N],
  'client:read':         [Y,    Y,    Y,       Y,     Y,           Y],
  'client:create':       [Y,    Y,    N,       N,     N,           N],
  'client:update':       [Y,    Y,    N,       N,     N,           N],
  'client:delete':       [Y,    Y,    N,       N,     N,           N],
  'member:read':         [Y,    Y,    Y,       Y,     Y,           N],
  'member:invite':       [Y,    Y,    N,       N,     Y,           N],
  'member:update':       [Y,    Y,    N,       N,     Y,           N],
  'member:remove':       [Y,    Y,    N,       N,     Y,           N],
  'asset:read':          [Y,    Y,    Y,       Y,     Y,           Y],
  'asset:create':        [Y,    Y,    Y,       N,     N,           N],
  'asset:update':        [Y,    Y,    Y,       N,     N,           N],
  'asset:delete':        [Y,    Y,    Y,       N,     N,           N],
  'finding:read':        [Y,    Y,    Y,       Y,     Y,           Y],
  'finding:triage':      [Y,    Y,    Y,       N,     N,           N],
  'action:read':         [Y,    Y,    Y,       Y,     Y,           Y],
  'action:approve':      [Y,    Y,    Y,       N,     N,           N],
  'alert:read':          [Y,    Y,    Y,       Y,     Y,           Y],
  'alert:manage':        [Y,    Y,    Y,       N,     N,           N],
  'report:read':         [Y,    Y,    Y,       Y,     Y,           Y],
  'report:run':          [Y,    Y,    Y,       N,     N,           N],
  'audit:read':          [Y,    Y,    N,       N,     N,           N],
  'feed:read':           [Y,    Y,    Y,       Y,     N,           N],
  'feed:import':         [Y,    Y,    Y,       N,     N,           N],
  'apiKey:read':         [Y,    Y,    N,       N,     N,           N],
  'apiKey:manage':       [Y,    Y,    N,       N,     N,           N],
  'mail:read':           [Y,    Y,    N,       N,     N,           N],
};

/** Row: the actor's role; columns: the role it may grant, change or take away. */
// biome-ignore format: the table is the specification and reads best aligned
const EXPECTED_ASSIGNABLE: Record<Role, Row> = {
  //                OWNER ADMIN ENGINEER VIEWER CLIENT_OWNER CLIENT_MEMBER
  OWNER:           [Y,    Y,    Y,       Y,     Y,           Y],
  ADMIN:           [N,    Y,    Y,       Y,     Y,           Y],
  ENGINEER:        [N,    N,    N,       N,     N,           N],
  VIEWER:          [N,    N,    N,       N,     N,           N],
  CLIENT_OWNER:    [N,    N,    N,       N,     Y,           Y],
  CLIENT_MEMBER:   [N,    N,    N,       N,     N,           N],
};

const permissionCells = Object.entries(EXPECTED_PERMISSIONS).flatMap(([permission, row]) =>
  ROLE_ORDER.map((role, i) => ({
    role,
    permission: permission as Permission,
    allowed: row[i] === true,
    verdict: row[i] ? 'may' : 'may not',
  })),
);

const assignableCells = Object.entries(EXPECTED_ASSIGNABLE).flatMap(([actor, row]) =>
  ROLE_ORDER.map((target, i) => ({ actor: actor as Role, target, allowed: row[i] === true })),
);

function contextOf(role: Role): TenantContext {
  return { orgId: '00000000-0000-4000-8000-000000000001', userId: null, role, clientIds: 'all' };
}

describe('the specification covers the whole matrix', () => {
  it('names every role the schema knows, in order', () => {
    expect([...ROLES]).toEqual([...ROLE_ORDER]);
    expect(Object.keys(ROLE_PERMISSIONS).sort()).toEqual([...ROLE_ORDER].sort());
    expect(Object.keys(ASSIGNABLE_ROLES).sort()).toEqual([...ROLE_ORDER].sort());
  });

  it('names every permission the statements declare, each once', () => {
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
    expect([...PERMISSIONS].sort()).toEqual(Object.keys(EXPECTED_PERMISSIONS).sort());
  });

  it('grants no role a permission outside the statements', () => {
    for (const role of ROLE_ORDER) for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p);
  });
});

describe('role × permission, cell by cell', () => {
  for (const { role, permission, allowed } of permissionCells) {
    it(`${role} ${allowed ? 'may' : 'may not'} ${permission}`, () => {
      expect(can(role, permission)).toBe(allowed);
    });
  }
});

describe('access.require follows the matrix', () => {
  for (const { role, permission, allowed } of permissionCells) {
    it(`${role} ${allowed ? 'passes' : 'is refused'} ${permission}`, () => {
      const check = () => access.require(contextOf(role), permission);
      if (allowed) {
        expect(check).not.toThrow();
      } else {
        let caught: unknown;
        try {
          check();
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(AppError);
        expect(caught).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      }
    });
  }
});

describe('actor role × assignable role, cell by cell', () => {
  for (const { actor, target, allowed } of assignableCells) {
    it(`${actor} ${allowed ? 'may' : 'may not'} manage ${target}`, () => {
      expect(ASSIGNABLE_ROLES[actor].includes(target)).toBe(allowed);
      const check = () => access.requireAssignable(contextOf(actor), target);
      if (allowed) expect(check).not.toThrow();
      else expect(check).toThrow(expect.objectContaining({ code: 'FORBIDDEN', status: 403 }));
    });
  }
});

describe('invariants of the matrix', () => {
  // Privilege escalation: whoever can hand out a role could otherwise mint an account stronger
  // than their own and act through it.
  it('lets no role grant a role that holds a permission it lacks', () => {
    for (const actor of ROLE_ORDER) {
      for (const target of ASSIGNABLE_ROLES[actor]) {
        const beyond = [...ROLE_PERMISSIONS[target]].filter((p) => !can(actor, p));
        expect({ actor, target, beyond }).toEqual({ actor, target, beyond: [] });
      }
    }
  });

  // A client's people must not be able to put anyone into the agency's own staff.
  it('lets client roles grant client roles only', () => {
    expect(ASSIGNABLE_ROLES.CLIENT_OWNER.every((r) => r.startsWith('CLIENT_'))).toBe(true);
    expect(ASSIGNABLE_ROLES.CLIENT_MEMBER).toEqual([]);
  });

  it('lets exactly the roles that manage members assign roles', () => {
    for (const role of ROLE_ORDER) {
      const manages = can(role, 'member:invite') && can(role, 'member:update') && can(role, 'member:remove');
      expect({ role, assigns: ASSIGNABLE_ROLES[role].length > 0 }).toEqual({ role, assigns: manages });
    }
  });
});

describe('access.seesClient', () => {
  const clientA = '00000000-0000-4000-8000-00000000000a';
  const clientB = '00000000-0000-4000-8000-00000000000b';
  const member: TenantContext = { ...contextOf('CLIENT_MEMBER'), clientIds: [clientA] };

  it('lets an org-wide context see every client and agency-level rows', () => {
    expect(access.seesClient(contextOf('VIEWER'), clientB)).toBe(true);
    expect(access.seesClient(contextOf('VIEWER'), null)).toBe(true);
  });

  it('confines a client context to its clients, without agency-level rows', () => {
    expect(access.seesClient(member, clientA)).toBe(true);
    expect(access.seesClient(member, clientB)).toBe(false);
    expect(access.seesClient(member, null)).toBe(false);
  });
});
