-- Accounts and authentication: passwords, lockout, sessions and refresh tokens, second factors,
-- API keys and agent tokens, invitations, password resets and the shared rate-limit counters.
--
-- Every secret is stored as a SHA-256 hash (tokens, codes) or an argon2id hash (passwords) or
-- sealed with AES-256-GCM under the purpose's key, bound to its row by associated data (TOTP
-- secrets). Most of these tables are reachable in the system scope only: the auth services run
-- there and apply their own checks, and a tenant context (a SQL injection in a tenant route,
-- say) cannot read one hash of them.

-- Erasure (DELETE /users/me): the row stays as a pseudonym (its id is what the audit trail
-- names), its personal columns are overwritten.
ALTER TABLE vigil.users ADD COLUMN erased_at timestamptz;

-- Passwords live apart from users so that a tenant reading its members' rows reaches no hash.
CREATE TABLE vigil.user_passwords (
  user_id uuid PRIMARY KEY REFERENCES vigil.users (id) ON DELETE CASCADE,
  password_hash text NOT NULL CHECK (length(password_hash) BETWEEN 20 AND 512),
  changed_at timestamptz NOT NULL DEFAULT now()
);

-- Lockout by login name, whether or not an account has it: an unknown email locks exactly as a
-- known one does, so lockout cannot tell them apart. The key is the SHA-256 of the normalized
-- email, so the table names nobody.
CREATE TABLE vigil.login_throttle (
  account_key text PRIMARY KEY CHECK (account_key ~ '^[0-9a-f]{64}$'),
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until timestamptz,
  last_failure_at timestamptz NOT NULL DEFAULT now()
);

-- A session is one login on one device: the family every refresh token of that login belongs to.
CREATE TABLE vigil.sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  mfa_verified boolean NOT NULL DEFAULT false,
  method text NOT NULL CHECK (method IN ('password', 'passkey', 'setup', 'invitation', 'reset')),
  device text CHECK (length(device) <= 200),
  ip inet,
  user_agent text CHECK (length(user_agent) <= 512),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (length(revoked_reason) <= 50),
  CONSTRAINT sessions_expiry_check CHECK (idle_expires_at <= absolute_expires_at)
);
CREATE INDEX sessions_user_idx ON vigil.sessions (user_id) WHERE revoked_at IS NULL;

-- One row per refresh token ever issued. `rotated_at` is set when the token was exchanged; a
-- second exchange of the same token is reuse, which revokes its session.
CREATE TABLE vigil.refresh_tokens (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  session_id uuid NOT NULL REFERENCES vigil.sessions (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON vigil.refresh_tokens (session_id);

-- TOTP: the secret sealed under the MFA key with the user id as associated data; `last_step`
-- is the newest time step accepted, so a code (or an older one) is accepted once.
CREATE TABLE vigil.mfa_totp (
  user_id uuid PRIMARY KEY REFERENCES vigil.users (id) ON DELETE CASCADE,
  secret_sealed text NOT NULL CHECK (length(secret_sealed) <= 512),
  confirmed_at timestamptz,
  last_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vigil.mfa_backup_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  code_hash text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mfa_backup_codes_user_code_key UNIQUE (user_id, code_hash)
);

CREATE TABLE vigil.webauthn_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  credential_id text NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1400),
  public_key bytea NOT NULL CHECK (length(public_key) <= 2048),
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX webauthn_credentials_user_idx ON vigil.webauthn_credentials (user_id);

-- Short-lived, single-use steps of a login or an enrolment: the 2FA challenge handed out after
-- a correct password, WebAuthn challenges. `used_at` flips once (UPDATE … WHERE used_at IS NULL).
CREATE TABLE vigil.auth_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  purpose text NOT NULL CHECK (purpose IN ('mfa', 'webauthn_register', 'webauthn_login')),
  secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  user_id uuid REFERENCES vigil.users (id) ON DELETE CASCADE,
  org_id uuid REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX auth_challenges_expires_idx ON vigil.auth_challenges (expires_at);

-- API keys (`vgl_live_…`) and agent tokens (`vgl_agent_…`): the prefix (the public first part,
-- indexed) finds the row, the SHA-256 of the whole token is compared in constant time.
CREATE TABLE vigil.api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  kind text NOT NULL CHECK (kind IN ('api', 'agent')),
  prefix text NOT NULL UNIQUE CHECK (prefix ~ '^vgl_(live|agent)_[A-Za-z0-9]{8,16}$'),
  secret_hash text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER')),
  asset_id uuid REFERENCES vigil.assets (id) ON DELETE CASCADE,
  created_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT api_keys_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE CASCADE,
  CONSTRAINT api_keys_client_role_check CHECK ((role IN ('CLIENT_OWNER', 'CLIENT_MEMBER')) = (client_id IS NOT NULL)),
  CONSTRAINT api_keys_agent_check CHECK ((kind = 'agent') = (asset_id IS NOT NULL))
);
CREATE INDEX api_keys_org_idx ON vigil.api_keys (org_id, created_at DESC);

CREATE TABLE vigil.invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND position('@' in email) > 1),
  role text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'ENGINEER', 'VIEWER', 'CLIENT_OWNER', 'CLIENT_MEMBER')),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  invited_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT invitations_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE CASCADE,
  CONSTRAINT invitations_client_role_check CHECK ((role IN ('CLIENT_OWNER', 'CLIENT_MEMBER')) = (client_id IS NOT NULL))
);
CREATE INDEX invitations_org_idx ON vigil.invitations (org_id, created_at DESC);

CREATE TABLE vigil.password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES vigil.users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX password_resets_user_idx ON vigil.password_resets (user_id);

-- Fixed-window counters shared by every process when the limiter runs on PostgreSQL. Unlogged:
-- losing them in a crash only forgives a minute of requests. Keys are hashes, not addresses.
CREATE UNLOGGED TABLE vigil.rate_limits (
  key text PRIMARY KEY CHECK (length(key) <= 200),
  window_start timestamptz NOT NULL,
  hits integer NOT NULL CHECK (hits >= 0)
);

-- Row-level security. System-only tables first.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['user_passwords', 'login_throttle', 'refresh_tokens', 'mfa_totp', 'mfa_backup_codes',
                           'webauthn_credentials', 'auth_challenges', 'password_resets'] LOOP
    EXECUTE format('ALTER TABLE vigil.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE vigil.%I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON vigil.%I USING (vigil.is_system()) WITH CHECK (vigil.is_system())', t || '_system', t);
  END LOOP;
END
$$;

-- The limiter's counters belong to no tenant and run in any scope.
ALTER TABLE vigil.rate_limits ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.rate_limits FORCE ROW LEVEL SECURITY;
CREATE POLICY rate_limits_any ON vigil.rate_limits USING (true) WITH CHECK (true);

-- Sessions: the system scope manages them; a user sees and revokes their own.
ALTER TABLE vigil.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_system ON vigil.sessions USING (vigil.is_system()) WITH CHECK (vigil.is_system());
CREATE POLICY sessions_self_read ON vigil.sessions FOR SELECT USING (user_id = vigil.current_user_id());
CREATE POLICY sessions_self_update ON vigil.sessions FOR UPDATE
  USING (user_id = vigil.current_user_id()) WITH CHECK (user_id = vigil.current_user_id());
REVOKE UPDATE ON vigil.sessions FROM vigil_app;
GRANT UPDATE (last_used_at, idle_expires_at, mfa_verified, revoked_at, revoked_reason, ip, user_agent, device) ON vigil.sessions TO vigil_app;

-- API keys are tenant rows (confined to the client they are scoped to); the system scope finds a
-- key by prefix at authentication and stamps its last use.
ALTER TABLE vigil.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_tenant ON vigil.api_keys
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY api_keys_system ON vigil.api_keys USING (vigil.is_system()) WITH CHECK (vigil.is_system());
REVOKE UPDATE ON vigil.api_keys FROM vigil_app;
GRANT UPDATE (name, last_used_at, revoked_at) ON vigil.api_keys TO vigil_app;

ALTER TABLE vigil.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant ON vigil.invitations
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));
CREATE POLICY invitations_system ON vigil.invitations USING (vigil.is_system()) WITH CHECK (vigil.is_system());
REVOKE UPDATE ON vigil.invitations FROM vigil_app;
GRANT UPDATE (accepted_at, revoked_at) ON vigil.invitations TO vigil_app;
