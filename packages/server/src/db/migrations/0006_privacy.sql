-- Privacy: erasing a person (DELETE /users/me, an admin's erasure of a member).
--
-- Most personal data is deleted or overwritten where it lives (users, sessions, second factors,
-- invitations, mail). The audit log cannot be: it is append-only and hash-chained (0003). So an
-- entry's personal fields — the acting person's IP address and user agent — are not stored in
-- the clear: they are sealed (AES-256-GCM) under a data key of that person in that organization,
-- and the chain hashes the sealed value. Erasing the person destroys the key: the entries keep
-- their pseudonymous user id, still verify, and their personal fields can no longer be read.

-- One random 256-bit key per (user, organization). Erasure keeps the row with data_key NULL (a
-- tombstone), so an append racing with the erasure, or arriving after it, can never create a
-- fresh key for the erased person: INSERT … ON CONFLICT DO NOTHING meets the tombstone.
-- Per organization, so erasing a member from one organization (who stays in another) erases
-- exactly that organization's records of them.
CREATE TABLE vigil.user_data_keys (
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  data_key bytea CHECK (length(data_key) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  erased_at timestamptz,
  PRIMARY KEY (user_id, org_id),
  CONSTRAINT user_data_keys_tombstone_check CHECK ((data_key IS NULL) = (erased_at IS NOT NULL))
);
CREATE INDEX user_data_keys_org_idx ON vigil.user_data_keys (org_id);

-- Sealed personal fields: `pd1.<user id>.<iv>.<ciphertext+tag>`. Entries whose fields are sealed
-- keep ip and user_agent NULL. Covered by the hash (modules/audit/audit.chain.ts).
ALTER TABLE vigil.audit_log ADD COLUMN personal text
  CHECK (length(personal) <= 2048 AND personal ~ '^pd1\.[0-9a-f-]{36}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$');
ALTER TABLE vigil.audit_log ADD CONSTRAINT audit_log_personal_fields_check CHECK (personal IS NULL OR (ip IS NULL AND user_agent IS NULL));

-- The default privileges of 0001 grant UPDATE and DELETE: keys are created, then only tombstoned.
REVOKE ALL ON vigil.user_data_keys FROM vigil_app;
GRANT SELECT, INSERT ON vigil.user_data_keys TO vigil_app;
GRANT UPDATE (data_key, erased_at) ON vigil.user_data_keys TO vigil_app;

-- An organization's context reads and creates the keys of its own organization only, which open
-- only its own entries (the AAD binds each value to its organization and entry); erasure
-- (tombstoning) happens in the system scope only, after the services' own checks.
ALTER TABLE vigil.user_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.user_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY user_data_keys_tenant_read ON vigil.user_data_keys FOR SELECT
  USING (org_id = vigil.current_org_id());
CREATE POLICY user_data_keys_tenant_insert ON vigil.user_data_keys FOR INSERT
  WITH CHECK (org_id = vigil.current_org_id() AND data_key IS NOT NULL AND erased_at IS NULL);
CREATE POLICY user_data_keys_system ON vigil.user_data_keys
  USING (vigil.is_system())
  WITH CHECK (vigil.is_system());

-- Mail to an erased person goes too. The mail_outbox_system policy already confines every write
-- to the system scope; 0004 granted no DELETE at all.
GRANT DELETE ON vigil.mail_outbox TO vigil_app;

-- An erased person stays erased: the pseudonymous row must never gain a membership, a password,
-- a passkey or a session again (an invitation to `erased-<id>@invalid`, say, read from the
-- outbox by an admin, would otherwise bring the pseudonym back to life with a new owner).
CREATE FUNCTION vigil.refuse_erased_user() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM vigil.users u WHERE u.id = NEW.user_id AND u.erased_at IS NOT NULL) THEN
      RAISE EXCEPTION 'user % was erased', NEW.user_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
  END $$;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['memberships', 'user_passwords', 'webauthn_credentials', 'sessions', 'mfa_totp'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON vigil.%I FOR EACH ROW EXECUTE FUNCTION vigil.refuse_erased_user()',
                   t || '_refuse_erased_user', t);
  END LOOP;
END
$$;
