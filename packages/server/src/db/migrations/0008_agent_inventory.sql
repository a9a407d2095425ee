-- The monitoring loop: enrollment tokens, agent state on assets, the current inventory of each
-- server with its change history, and findings (package vulnerabilities and configuration facts).

-- One-time enrollment tokens (`vgl_enroll_…`): an admin creates one for a client (the server is
-- created at enrollment) or for an existing server asset; `vigil-agent enroll` exchanges it once,
-- before it expires, for the server's agent token. Stored as SHA-256, found by prefix.
CREATE TABLE vigil.enrollment_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  asset_id uuid REFERENCES vigil.assets (id) ON DELETE CASCADE,
  prefix text NOT NULL UNIQUE CHECK (prefix ~ '^vgl_enroll_[A-Za-z0-9]{8,16}$'),
  secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  used_by_asset_id uuid REFERENCES vigil.assets (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  CONSTRAINT enrollment_tokens_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE CASCADE
);
CREATE INDEX enrollment_tokens_org_idx ON vigil.enrollment_tokens (org_id, created_at DESC);

-- What the agent last told about the machine. `inventory_digest` is the digest of the inventory
-- held (see @vigil/protocol inventoryDigest): an unchanged inventory only moves `last_seen_at`.
ALTER TABLE vigil.assets
  ADD COLUMN hostname text CHECK (length(hostname) BETWEEN 1 AND 253),
  ADD COLUMN machine_id text CHECK (machine_id ~ '^[0-9a-f]{32}$'),
  ADD COLUMN agent_version text CHECK (length(agent_version) <= 64),
  ADD COLUMN enrolled_at timestamptz,
  ADD COLUMN last_seen_at timestamptz,
  ADD COLUMN last_inventory_at timestamptz,
  ADD COLUMN inventory_digest text CHECK (inventory_digest ~ '^[0-9a-f]{64}$'),
  ADD COLUMN check_in_seconds integer NOT NULL DEFAULT 300 CHECK (check_in_seconds BETWEEN 30 AND 86400),
  ADD COLUMN agent_state text NOT NULL DEFAULT 'none' CHECK (agent_state IN ('none', 'enrolled', 'online', 'offline')),
  ADD COLUMN os jsonb,
  ADD COLUMN kernel text CHECK (length(kernel) <= 256);
CREATE INDEX assets_agent_seen_idx ON vigil.assets (agent_state, last_seen_at) WHERE agent_state IN ('online', 'enrolled');

-- Every changed inventory: when, its digest, and what it said besides packages (packages are in
-- asset_packages, their changes in package_changes).
CREATE TABLE vigil.inventories (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  asset_id uuid NOT NULL REFERENCES vigil.assets (id) ON DELETE CASCADE,
  digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
  received_at timestamptz NOT NULL DEFAULT now(),
  collected_at timestamptz NOT NULL,
  agent_version text NOT NULL,
  host jsonb NOT NULL,
  wordpress jsonb NOT NULL DEFAULT '[]'::jsonb,
  config_facts jsonb NOT NULL DEFAULT '[]'::jsonb,
  services jsonb NOT NULL DEFAULT '[]'::jsonb,
  collectors jsonb NOT NULL DEFAULT '[]'::jsonb,
  package_count integer NOT NULL CHECK (package_count >= 0),
  added integer NOT NULL DEFAULT 0,
  removed integer NOT NULL DEFAULT 0,
  changed integer NOT NULL DEFAULT 0
);
CREATE INDEX inventories_asset_idx ON vigil.inventories (asset_id, id DESC);

-- The current packages of each server. A package is identified by (ecosystem, name, arch,
-- location): the same name in two lockfiles, or for two architectures, is two packages.
CREATE TABLE vigil.asset_packages (
  asset_id uuid NOT NULL REFERENCES vigil.assets (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  ecosystem text NOT NULL,
  name text NOT NULL,
  arch text NOT NULL DEFAULT '',
  location text NOT NULL DEFAULT '',
  version text NOT NULL,
  source_name text,
  source_version text,
  epoch_known boolean,
  dev boolean NOT NULL DEFAULT false,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_id, ecosystem, name, arch, location)
);
CREATE INDEX asset_packages_org_name_idx ON vigil.asset_packages (org_id, name);

-- The history: one row per package added, removed or changed by an inventory.
CREATE TABLE vigil.package_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inventory_id bigint NOT NULL REFERENCES vigil.inventories (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  asset_id uuid NOT NULL REFERENCES vigil.assets (id) ON DELETE CASCADE,
  change text NOT NULL CHECK (change IN ('added', 'removed', 'changed')),
  ecosystem text NOT NULL,
  name text NOT NULL,
  arch text NOT NULL DEFAULT '',
  location text NOT NULL DEFAULT '',
  old_version text,
  new_version text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX package_changes_asset_idx ON vigil.package_changes (asset_id, id DESC);

-- Findings: one per (asset, package, vulnerability) or (asset, configuration check, subject),
-- identified by `key`. `state` is what the last inventory says (open or fixed); `triage` is what
-- a person decided (acknowledged, risk accepted until a date, false positive).
CREATE TABLE vigil.findings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  asset_id uuid NOT NULL REFERENCES vigil.assets (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('package', 'config')),
  key text NOT NULL CHECK (length(key) <= 2048),
  -- The vulnerability (after alias folding) or the configuration check id.
  vuln_id text NOT NULL CHECK (length(vuln_id) BETWEEN 1 AND 200),
  aliases text[] NOT NULL DEFAULT '{}',
  title text NOT NULL DEFAULT '',
  -- Package findings: what is installed and what fixes it.
  -- The installed package's ecosystem with release ('Ubuntu:18.04:LTS'), as the matcher names it.
  ecosystem text,
  package_name text,
  -- Which installed package (JSON of [ecosystem, name, arch, location] as the inventory names it):
  -- an inventory re-evaluates exactly the findings of the packages it added, changed or removed.
  package_key text CHECK (length(package_key) <= 4096),
  arch text,
  package_version text,
  source_name text,
  location text,
  fixed_version text,
  fix_state text CHECK (fix_state IN ('fixed', 'not_fixed', 'wont_fix', 'unknown')),
  -- Configuration findings: what was observed, where, and what to do.
  subject text,
  observed text,
  evidence text[] NOT NULL DEFAULT '{}',
  remediation text,
  severity text NOT NULL CHECK (severity IN ('UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  cvss_score numeric(3, 1),
  cvss jsonb,
  epss numeric,
  epss_percentile numeric,
  kev boolean NOT NULL DEFAULT false,
  kev_due_date date,
  priority_score numeric NOT NULL DEFAULT 0,
  priority text NOT NULL DEFAULT 'P4',
  match text,
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fixed')),
  triage text CHECK (triage IN ('acknowledged', 'risk_accepted', 'false_positive')),
  triage_reason text CHECK (length(triage_reason) <= 2000),
  triage_expires_at timestamptz,
  triaged_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  triaged_at timestamptz,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  fixed_at timestamptz,
  reopened_at timestamptz,
  reopen_count integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT findings_asset_key UNIQUE (asset_id, key),
  CONSTRAINT findings_risk_accepted_check CHECK (triage IS DISTINCT FROM 'risk_accepted' OR (triage_reason IS NOT NULL AND triage_expires_at IS NOT NULL)),
  CONSTRAINT findings_false_positive_check CHECK (triage IS DISTINCT FROM 'false_positive' OR triage_reason IS NOT NULL)
);
CREATE INDEX findings_org_state_idx ON vigil.findings (org_id, state, severity);
CREATE INDEX findings_org_vuln_idx ON vigil.findings (org_id, vuln_id);
CREATE INDEX findings_asset_state_idx ON vigil.findings (asset_id, state);
-- The findings list's default order (priority, highest first; the id breaks ties for the cursor).
CREATE INDEX findings_org_priority_idx ON vigil.findings (org_id, priority_score DESC, id DESC);
CREATE INDEX findings_asset_package_idx ON vigil.findings (asset_id, package_key) WHERE package_key IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['enrollment_tokens', 'inventories', 'asset_packages', 'package_changes', 'findings'] LOOP
    EXECUTE format('ALTER TABLE vigil.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE vigil.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY %I ON vigil.%I USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id)) WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))',
      t || '_tenant', t);
  END LOOP;
END
$$;

-- Enrollment finds its token before any tenant is known (as authentication finds an API key),
-- then works in the token's organization. Nothing else a tenant owns is visible to the system
-- scope: feed re-matching and the offline sweep go organization by organization.
CREATE POLICY enrollment_tokens_system ON vigil.enrollment_tokens USING (vigil.is_system()) WITH CHECK (vigil.is_system());

-- How far re-matching after feed imports has got (the scheduled `inventory.rematch` job): imports
-- with a larger id, from the sync job or `vigil feeds import` in a shell alike, are still to be
-- applied to the stored inventories. Imports older than this migration predate any inventory.
CREATE TABLE vigil.rematch_progress (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_import_id bigint NOT NULL
);
INSERT INTO vigil.rematch_progress (last_import_id) SELECT coalesce(max(id), 0) FROM vigil.feed_imports;
REVOKE INSERT, DELETE ON vigil.rematch_progress FROM vigil_app;

-- History is appended, never edited; only its client follows the server when the server moves
-- to another client (RLS would hide rows whose denormalised client_id went stale).
REVOKE UPDATE ON vigil.inventories, vigil.package_changes FROM vigil_app;
GRANT UPDATE (client_id) ON vigil.inventories, vigil.package_changes TO vigil_app;
REVOKE UPDATE ON vigil.enrollment_tokens FROM vigil_app;
GRANT UPDATE (used_at, used_by_asset_id, revoked_at, client_id) ON vigil.enrollment_tokens TO vigil_app;
-- A moved server's agent token follows it too (its client and the matching client-bound role),
-- or deleting the old client would cascade to the token of a server it no longer has.
GRANT UPDATE (client_id, role) ON vigil.api_keys TO vigil_app;
