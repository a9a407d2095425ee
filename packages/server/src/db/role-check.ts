import type { SqlSession } from './migrate.ts';

/**
 * Refuses a role that row-level security would not bind. A superuser or a BYPASSRLS role skips
 * every policy; the owner of a table (or any role that can become it) can disable them. Each
 * would turn one forgotten `org_id` filter into a cross-tenant leak.
 *
 * Both the role queries run as (`current_user`, the app role) and, on PostgreSQL, the login
 * (`session_user`) are checked: a privileged login could leave the app role with one
 * `SET ROLE NONE`, so an SQL injection would be a superuser's.
 */
export async function assertUnprivilegedRole(
  session: Pick<SqlSession, 'query'>,
  options: { sessionUser: boolean },
  refuse: (detail: string) => Error,
): Promise<void> {
  const { rows } = await session.query<{ kind: string; role: string; super: boolean; bypass: boolean; owned: string | null }>(`
    SELECT who.kind, r.rolname AS role, r.rolsuper AS super, r.rolbypassrls AS bypass,
      (SELECT string_agg(format('%I.%I', t.schemaname, t.tablename), ', ')
         FROM pg_tables t
        WHERE t.schemaname = 'vigil' AND pg_has_role(r.oid, t.tableowner::regrole, 'MEMBER')) AS owned
    FROM (VALUES ('role', current_user), ('login', session_user)) AS who(kind, name)
    JOIN pg_roles r ON r.rolname = who.name`);
  for (const row of rows) {
    if (row.kind === 'login' && (!options.sessionUser || rows.some((r) => r.kind === 'role' && r.role === row.role))) continue;
    const who = row.kind === 'login' ? `the database login "${row.role}"` : `database role "${row.role}"`;
    const hint = row.kind === 'login' ? '; connect as a login that is only a member of vigil_app (docs/configuration.md)' : '';
    if (row.super) throw refuse(`${who} is a superuser, which bypasses row-level security${hint}`);
    if (row.bypass) throw refuse(`${who} has BYPASSRLS, which bypasses row-level security${hint}`);
    if (row.owned)
      throw refuse(`${who} owns (or can become the owner of) ${row.owned}; table owners can disable row-level security${hint}`);
  }
  if (!rows.some((r) => r.kind === 'role')) throw refuse('the current database role could not be inspected');
}
