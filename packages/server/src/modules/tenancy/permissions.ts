import type { Role } from '../../db/schema.ts';

/**
 * What can be done to what, declared once as data. Services ask `access.require(ctx, 'asset:create')`;
 * roles are built from these statements; the tests walk every (role, permission) cell. Client
 * roles are further confined to their client's rows by the tenant context and RLS, so
 * `asset:read` for a CLIENT_MEMBER means "their client's assets".
 */
export const STATEMENTS = {
  organization: ['read', 'update', 'delete'],
  client: ['read', 'create', 'update', 'delete'],
  member: ['read', 'invite', 'update', 'remove'],
  asset: ['read', 'create', 'update', 'delete'],
  finding: ['read', 'triage'],
  action: ['read', 'approve'],
  alert: ['read', 'manage'],
  report: ['read', 'run'],
  audit: ['read'],
  feed: ['read', 'import'],
  apiKey: ['read', 'manage'],
  // The mail outbox: message bodies carry invitation and reset links, so owners and admins only.
  mail: ['read'],
} as const;

type Statements = typeof STATEMENTS;
export type Resource = keyof Statements;
export type Permission = { [R in Resource]: `${R}:${Statements[R][number]}` }[Resource];

export const PERMISSIONS: readonly Permission[] = (Object.entries(STATEMENTS) as [Resource, readonly string[]][]).flatMap(
  ([resource, actions]) => actions.map((action) => `${resource}:${action}` as Permission),
);

const everything = PERMISSIONS;
const readOnly = PERMISSIONS.filter((p) => p.endsWith(':read'));

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  OWNER: new Set(everything),
  // Only an owner may delete the organization.
  ADMIN: new Set(everything.filter((p) => p !== 'organization:delete')),
  ENGINEER: new Set<Permission>([
    ...readOnly.filter((p) => p !== 'audit:read' && p !== 'apiKey:read' && p !== 'mail:read'),
    'asset:create',
    'asset:update',
    'asset:delete',
    'finding:triage',
    'action:approve',
    'alert:manage',
    'report:run',
    'feed:import',
  ]),
  VIEWER: new Set<Permission>(readOnly.filter((p) => p !== 'audit:read' && p !== 'apiKey:read' && p !== 'mail:read')),
  CLIENT_OWNER: new Set<Permission>([
    'organization:read',
    'client:read',
    'member:read',
    'member:invite',
    'member:update',
    'member:remove',
    'asset:read',
    'finding:read',
    'action:read',
    'alert:read',
    'report:read',
  ]),
  CLIENT_MEMBER: new Set<Permission>([
    'organization:read',
    'client:read',
    'asset:read',
    'finding:read',
    'action:read',
    'alert:read',
    'report:read',
  ]),
};

/**
 * Which roles a member holding `role` may give to someone (or take away from them). Nobody can
 * raise anyone above themselves: an ADMIN cannot make or remove an OWNER, a CLIENT_OWNER can only
 * manage people of their own client.
 */
export const ASSIGNABLE_ROLES: Readonly<Record<Role, readonly Role[]>> = {
  OWNER: ['OWNER', 'ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'],
  ADMIN: ['ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER'],
  ENGINEER: [],
  VIEWER: [],
  CLIENT_OWNER: ['CLIENT_OWNER', 'CLIENT_MEMBER'],
  CLIENT_MEMBER: [],
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}
