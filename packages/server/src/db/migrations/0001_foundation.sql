-- Foundation: the application role, tenancy tables and their row-level security.
-- Runs inside the migration transaction as the database owner (or PGlite's superuser).

-- The role the application works as. Roles are cluster-wide, so another database on the same
-- server may already have created it; a concurrent creation is tolerated for the same reason.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_app') THEN
    CREATE ROLE vigil_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- The migrating login must be able to switch to the app role (SET ROLE) for its runtime
-- connections; superusers already can.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'vigil_app', 'MEMBER') THEN
    EXECUTE format('GRANT vigil_app TO %I', current_user);
  END IF;
END
$$;

REVOKE ALL ON SCHEMA vigil_meta FROM PUBLIC;
GRANT USAGE ON SCHEMA vigil_meta TO vigil_app;
GRANT SELECT ON vigil_meta.migrations TO vigil_app;

CREATE SCHEMA vigil;
REVOKE ALL ON SCHEMA vigil FROM PUBLIC;
GRANT USAGE ON SCHEMA vigil TO vigil_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO vigil_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil GRANT USAGE, SELECT ON SEQUENCES TO vigil_app;

-- The job queue's own schema belongs to the app role: pg-boss creates a table partition per
-- queue at run time, which needs ownership of its parent table. It holds no tenant rows.
CREATE SCHEMA pgboss AUTHORIZATION vigil_app;

-- Tenant context, set per transaction by withTenant()/withSystem() with set_config(..., true).
-- A missing setting reads as NULL, so a forgotten context matches no row instead of failing open.
CREATE FUNCTION vigil.current_org_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('vigil.org_id', true), '')::uuid $$;

CREATE FUNCTION vigil.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT NULLIF(current_setting('vigil.user_id', true), '')::uuid $$;

CREATE FUNCTION vigil.is_system() RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT coalesce(current_setting('vigil.scope', true), '') = 'system' $$;

-- 'all' for org-wide roles, else a comma-separated list of client ids. A row without a client
-- (agency-level) is visible only to org-wide contexts.
CREATE FUNCTION vigil.client_visible(row_client_id uuid) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$
    SELECT CASE
      WHEN coalesce(current_setting('vigil.client_scope', true), '') = 'all' THEN true
      WHEN row_client_id IS NULL THEN false
      ELSE coalesce(row_client_id = ANY (string_to_array(NULLIF(current_setting('vigil.client_scope', true), ''), ',')::uuid[]), false)
    END
  $$;

CREATE FUNCTION vigil.touch_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE TABLE vigil.organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vigil.clients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT clients_org_id_id_key UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX clients_org_name_key ON vigil.clients (org_id, lower(name));

CREATE TABLE vigil.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND position('@' in email) > 1),
  display_name text CHECK (length(display_name) <= 200),
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON vigil.users (lower(email));

CREATE TABLE vigil.memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER')),
  client_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT memberships_org_user_key UNIQUE (org_id, user_id),
  -- A client role is bound to exactly one client of the same organization; an org role to none.
  CONSTRAINT memberships_client_role_check CHECK ((role IN ('CLIENT_OWNER', 'CLIENT_MEMBER')) = (client_id IS NOT NULL)),
  CONSTRAINT memberships_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE CASCADE
);
CREATE INDEX memberships_user_idx ON vigil.memberships (user_id);

CREATE TABLE vigil.assets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  kind text NOT NULL CHECK (kind IN ('server', 'site')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 253),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- The composite key makes it impossible to attach an asset to another organization's client.
  CONSTRAINT assets_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE RESTRICT
);
CREATE INDEX assets_org_client_idx ON vigil.assets (org_id, client_id);

CREATE TABLE vigil.setup_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER organizations_touch BEFORE UPDATE ON vigil.organizations FOR EACH ROW EXECUTE FUNCTION vigil.touch_updated_at();
CREATE TRIGGER clients_touch BEFORE UPDATE ON vigil.clients FOR EACH ROW EXECUTE FUNCTION vigil.touch_updated_at();
CREATE TRIGGER users_touch BEFORE UPDATE ON vigil.users FOR EACH ROW EXECUTE FUNCTION vigil.touch_updated_at();
CREATE TRIGGER assets_touch BEFORE UPDATE ON vigil.assets FOR EACH ROW EXECUTE FUNCTION vigil.touch_updated_at();

-- Row-level security. FORCE makes the policies apply to the table owner too; the app role is
-- not the owner, but FORCE keeps a mistaken grant or ownership change from opening everything.
ALTER TABLE vigil.organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant ON vigil.organizations
  USING (id = vigil.current_org_id())
  WITH CHECK (id = vigil.current_org_id());
CREATE POLICY organizations_system_read ON vigil.organizations FOR SELECT
  USING (vigil.is_system());

ALTER TABLE vigil.clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.clients FORCE ROW LEVEL SECURITY;
CREATE POLICY clients_tenant ON vigil.clients
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(id));
-- A client-bound context may see its client but not rename or delete it.
CREATE POLICY clients_change_org_wide ON vigil.clients AS RESTRICTIVE FOR UPDATE
  USING (coalesce(current_setting('vigil.client_scope', true), '') = 'all');
CREATE POLICY clients_delete_org_wide ON vigil.clients AS RESTRICTIVE FOR DELETE
  USING (coalesce(current_setting('vigil.client_scope', true), '') = 'all');

ALTER TABLE vigil.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.memberships FORCE ROW LEVEL SECURITY;
-- A tenant reads, changes and removes its memberships, but creates none: a membership makes its
-- user (and email) visible to the organization, so only trusted flows (bootstrap, an accepted
-- invitation) running in the system scope may attach a user to an organization.
CREATE POLICY memberships_tenant_read ON vigil.memberships FOR SELECT
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY memberships_tenant_update ON vigil.memberships FOR UPDATE
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY memberships_tenant_delete ON vigil.memberships FOR DELETE
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY memberships_system_read ON vigil.memberships FOR SELECT
  USING (vigil.is_system());
CREATE POLICY memberships_system_insert ON vigil.memberships FOR INSERT
  WITH CHECK (vigil.is_system());
-- Which user and organization a membership joins never changes; only its role and client do.
REVOKE UPDATE ON vigil.memberships FROM vigil_app;
GRANT UPDATE (role, client_id) ON vigil.memberships TO vigil_app;

ALTER TABLE vigil.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_system ON vigil.users
  USING (vigil.is_system())
  WITH CHECK (vigil.is_system());
-- A user may read and update their own row, not delete it (that would drop every membership
-- behind the services' back, the last owner's included).
CREATE POLICY users_self_read ON vigil.users FOR SELECT
  USING (id = vigil.current_user_id());
CREATE POLICY users_self_update ON vigil.users FOR UPDATE
  USING (id = vigil.current_user_id())
  WITH CHECK (id = vigil.current_user_id());
-- The email (the login and where reset links go) and the disabled flag change only through
-- system flows that verify them, never through a user's own context.
CREATE FUNCTION vigil.guard_user_identity() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF NOT vigil.is_system() AND (NEW.email IS DISTINCT FROM OLD.email OR NEW.disabled_at IS DISTINCT FROM OLD.disabled_at) THEN
      RAISE EXCEPTION 'email and disabled_at change only in the system scope' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER users_guard_identity BEFORE UPDATE ON vigil.users FOR EACH ROW EXECUTE FUNCTION vigil.guard_user_identity();
CREATE POLICY users_org_read ON vigil.users FOR SELECT
  USING (EXISTS (
    SELECT 1 FROM vigil.memberships m
    WHERE m.user_id = users.id AND m.org_id = vigil.current_org_id() AND vigil.client_visible(m.client_id)
  ));

ALTER TABLE vigil.assets ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.assets FORCE ROW LEVEL SECURITY;
CREATE POLICY assets_tenant ON vigil.assets
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));

ALTER TABLE vigil.setup_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.setup_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY setup_tokens_system ON vigil.setup_tokens
  USING (vigil.is_system())
  WITH CHECK (vigil.is_system());
