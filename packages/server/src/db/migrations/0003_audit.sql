-- The audit log: one append-only SHA-256 hash chain per organization.
--
-- Each entry stores `prev_hash` (the previous entry's `hash`, 64 zeros for the first) and
-- `hash` = SHA-256(prev_hash || canonical JSON of every column but id and hash), computed by the
-- application (modules/audit/audit.chain.ts defines the content exactly). `vigil audit verify`
-- recomputes every hash, so an edited entry no longer matches its hash and a deleted one leaves a
-- gap in `seq` and a `prev_hash` that matches nothing. `audit_heads` holds each chain's last
-- (seq, hash): deleting the newest entries, which a chain alone cannot show, leaves the head
-- pointing past the end.
--
-- Three layers keep entries as written: the app role holds no UPDATE, DELETE or TRUNCATE
-- privilege and no policy allows them; a trigger refuses them even to the owner; and an owner
-- or superuser who disables the trigger still cannot make the chain verify again without
-- rewriting every later entry and the head (publish `vigil audit verify`'s result elsewhere to
-- catch even that).
--
-- Retention: nothing deletes entries, so they are kept for as long as the organization exists
-- (at least the 12 months asked for); an organization with an audit trail cannot be deleted
-- (ON DELETE RESTRICT), since a cascade would erase its trail. client_id and actor_user_id carry
-- no foreign key for the same reason: deleting a client or user must not rewrite history.

CREATE TABLE vigil.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE RESTRICT,
  seq bigint NOT NULL CHECK (seq >= 1),
  occurred_at timestamptz NOT NULL,
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'system')),
  actor_user_id uuid,
  action text NOT NULL CHECK (length(action) <= 100 AND action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  target_type text CHECK (length(target_type) <= 50 AND target_type ~ '^[a-z][a-z0-9_]*$'),
  target_id text CHECK (length(target_id) BETWEEN 1 AND 200),
  client_id uuid,
  ip inet,
  user_agent text CHECK (length(user_agent) <= 512),
  before jsonb,
  after jsonb,
  details jsonb,
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  -- A user acts as a user (or through their API key); the system acts as nobody.
  CONSTRAINT audit_log_actor_check CHECK (actor_kind <> 'system' OR actor_user_id IS NULL),
  CONSTRAINT audit_log_user_actor_check CHECK (actor_kind <> 'user' OR actor_user_id IS NOT NULL),
  CONSTRAINT audit_log_org_seq_key UNIQUE (org_id, seq)
);
CREATE INDEX audit_log_org_action_idx ON vigil.audit_log (org_id, action, seq);
CREATE INDEX audit_log_org_actor_idx ON vigil.audit_log (org_id, actor_user_id, seq);
CREATE INDEX audit_log_org_target_idx ON vigil.audit_log (org_id, target_type, target_id, seq);
CREATE INDEX audit_log_org_occurred_idx ON vigil.audit_log (org_id, occurred_at);

-- Each chain's newest entry. Written only by the insert trigger below (as the owner); the app
-- role may read it, which is how an appender in a client-bound context, who cannot see the
-- other clients' entries, still learns where the organization's chain ends.
CREATE TABLE vigil.audit_heads (
  org_id uuid PRIMARY KEY REFERENCES vigil.organizations (id) ON DELETE RESTRICT,
  seq bigint NOT NULL CHECK (seq >= 1),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- The default privileges of 0001 grant UPDATE and DELETE on every new table: take them back.
REVOKE ALL ON vigil.audit_log FROM vigil_app;
GRANT SELECT, INSERT ON vigil.audit_log TO vigil_app;
REVOKE ALL ON vigil.audit_heads FROM vigil_app;
GRANT SELECT ON vigil.audit_heads TO vigil_app;

-- Second layer: even the owner (or a grant made by mistake) cannot change or remove an entry
-- without first dropping or disabling this trigger.
CREATE FUNCTION vigil.audit_log_immutable() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
  END $$;
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON vigil.audit_log
  FOR EACH ROW EXECUTE FUNCTION vigil.audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON vigil.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION vigil.audit_log_immutable();

-- A head only moves forward, one entry at a time, and is never removed: rewinding it would
-- hide deleted entries from `vigil audit verify`.
CREATE FUNCTION vigil.audit_heads_forward_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.org_id <> OLD.org_id OR NEW.seq <> OLD.seq + 1 THEN
      RAISE EXCEPTION 'an audit chain head only moves forward' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END $$;
CREATE TRIGGER audit_heads_forward_only BEFORE UPDATE OR DELETE ON vigil.audit_heads
  FOR EACH ROW EXECUTE FUNCTION vigil.audit_heads_forward_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON vigil.audit_heads
  FOR EACH STATEMENT EXECUTE FUNCTION vigil.audit_heads_forward_only();

-- Every new entry must extend its organization's chain exactly: the next seq and the head's
-- hash as prev_hash. Two writers that raced past the application's lock cannot fork the chain;
-- the loser fails. SECURITY DEFINER (as the owner) because the app role may not write heads;
-- the policies on audit_heads still confine it to the transaction's organization or the system
-- scope, and search_path is pinned so nothing the caller creates is resolved instead.
CREATE FUNCTION vigil.audit_log_link() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    head_seq bigint;
    head_hash text;
  BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM vigil.audit_heads h WHERE h.org_id = NEW.org_id FOR UPDATE;
    IF NOT FOUND THEN
      IF NEW.seq <> 1 OR NEW.prev_hash <> repeat('0', 64) THEN
        RAISE EXCEPTION 'audit entry % does not start the chain of organization %', NEW.seq, NEW.org_id USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      INSERT INTO vigil.audit_heads (org_id, seq, hash) VALUES (NEW.org_id, NEW.seq, NEW.hash);
    ELSE
      IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit entry % does not extend the chain of organization % (head %)', NEW.seq, NEW.org_id, head_seq USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      UPDATE vigil.audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE org_id = NEW.org_id;
    END IF;
    RETURN NEW;
  END $$;
REVOKE ALL ON FUNCTION vigil.audit_log_link() FROM PUBLIC;
CREATE TRIGGER audit_log_link BEFORE INSERT ON vigil.audit_log
  FOR EACH ROW EXECUTE FUNCTION vigil.audit_log_link();

-- Row-level security. Reading follows the other tenant tables: org-wide contexts see every
-- entry of their organization, a client-bound context only entries tagged with its client
-- (org-level entries have no client and stay out of its sight). Writing is appending: in the
-- tenant scope for the organization (a client-bound context only for its client), or in the
-- system scope (flows that run before a tenant context exists, such as login). No policy
-- allows UPDATE or DELETE. `vigil audit verify` reads each organization's chain in that
-- organization's org-wide tenant context, so the system scope needs no read access.
ALTER TABLE vigil.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant_read ON vigil.audit_log FOR SELECT
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY audit_log_tenant_insert ON vigil.audit_log FOR INSERT
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY audit_log_system_insert ON vigil.audit_log FOR INSERT
  WITH CHECK (vigil.is_system());

-- A head reveals only how long a chain is and its last hash, never an entry: every context of
-- the organization may read it (an appender needs it), and the system scope for its appends.
ALTER TABLE vigil.audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_heads_tenant ON vigil.audit_heads
  USING (org_id = vigil.current_org_id())
  WITH CHECK (org_id = vigil.current_org_id());
CREATE POLICY audit_heads_system ON vigil.audit_heads
  USING (vigil.is_system())
  WITH CHECK (vigil.is_system());
