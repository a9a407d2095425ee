import type { SqlSession } from './migrate.ts';

/**
 * Refuses a runtime role that row-level security would not bind. A superuser or a BYPASSRLS role
 * skips every policy; the owner of a table (or any role able to act as it) can disable them.
 * Each of these would turn one forgotten `org_id` filter into a cross-tenant leak.
 */
export async function assertUnprivilegedRole(session: Pick<SqlSession, 'query'>, refuse: (detail: string) => Error): Promise<void> {
  const { rows } = await session.query<{ role: string; super: boolean; bypass: boolean; owned: string | null }>(`
    SELECT r.rolname AS role, r.rolsuper AS super, r.rolbypassrls AS bypass,
      (SELECT string_agg(format('%I.%I', t.schemaname, t.tablename), ', ')
         FROM pg_tables t
        WHERE t.schemaname = 'vigil' AND pg_has_role(current_user, t.tableowner, 'USAGE')) AS owned
    FROM pg_roles r WHERE r.rolname = current_user`);
  const row = rows[0];
  if (!row) throw refuse('the current database role could not be inspected');
  if (row.super)
    throw refuse(`database role "${row.role}" is a superuser, which bypasses row-level security; Vigil must work as a plain role`);
  if (row.bypass)
    throw refuse(
      `database role "${row.role}" has BYPASSRLS, which bypasses row-level security; remove it (ALTER ROLE ${row.role} NOBYPASSRLS)`,
    );
  if (row.owned)
    throw refuse(`database role "${row.role}" owns (or can act as the owner of) ${row.owned}; table owners can disable row-level security`);
}
