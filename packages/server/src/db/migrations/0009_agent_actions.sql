-- Approved actions: a change on a server (upgrade packages, harden sshd, restart a service) that
-- a person asked for and, where the organization requires it, a second person approved. The
-- server signs the approved action (Ed25519, the `action` key); the agent pulls it, checks the
-- signature, target, expiry and nonce, runs it and reports the result here.
CREATE TABLE vigil.agent_actions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  client_id uuid,
  asset_id uuid NOT NULL REFERENCES vigil.assets (id) ON DELETE CASCADE,
  -- An actionCommandSchema value (@vigil/protocol): a fixed operation with parameters, never a shell line.
  command jsonb NOT NULL,
  timeout_seconds integer NOT NULL CHECK (timeout_seconds BETWEEN 1 AND 3600),
  status text NOT NULL CHECK (status IN (
    'pending_approval', 'approved', 'denied', 'cancelled', 'expired',
    'delivered', 'succeeded', 'failed', 'timed_out', 'refused')),
  created_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Unapproved past this time, the action is expired (auto-denied) by the actions job.
  approval_expires_at timestamptz NOT NULL,
  approved_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  approved_at timestamptz,
  denied_by uuid REFERENCES vigil.users (id) ON DELETE SET NULL,
  denied_at timestamptz,
  -- The run deadline the signature carries (set at approval): the agent refuses it afterwards.
  expires_at timestamptz,
  -- 128 random bits, base64url: signed into the envelope, echoed by the agent's result.
  nonce text NOT NULL UNIQUE CHECK (nonce ~ '^[A-Za-z0-9_-]{22,64}$'),
  -- The signed envelope {payload, kid, signature}, exactly as the agent receives it.
  envelope jsonb,
  delivered_at timestamptz,
  -- What the agent reported: outcome, exit code, capped output, refusal reason.
  result jsonb,
  finished_at timestamptz,
  -- The composite key makes it impossible to attach an action to another organization's client.
  CONSTRAINT agent_actions_client_fkey FOREIGN KEY (org_id, client_id) REFERENCES vigil.clients (org_id, id) ON DELETE CASCADE,
  -- Nothing reaches an agent unsigned: every status past approval carries its envelope and deadline.
  CONSTRAINT agent_actions_signed_check CHECK (
    status IN ('pending_approval', 'denied', 'cancelled', 'expired') OR (envelope IS NOT NULL AND expires_at IS NOT NULL AND approved_at IS NOT NULL)),
  CONSTRAINT agent_actions_result_check CHECK (
    (status IN ('succeeded', 'failed', 'timed_out', 'refused')) = (result IS NOT NULL AND finished_at IS NOT NULL))
);
CREATE INDEX agent_actions_asset_idx ON vigil.agent_actions (asset_id, created_at DESC);
-- What the expiry job and the agent's pull look for.
CREATE INDEX agent_actions_open_idx ON vigil.agent_actions (org_id, status)
  WHERE status IN ('pending_approval', 'approved', 'delivered');

ALTER TABLE vigil.agent_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.agent_actions FORCE ROW LEVEL SECURITY;
-- Tenant policy only: the expiry job lists organizations in the system scope and then works
-- in each organization's tenant scope, like every other background task over tenant rows.
CREATE POLICY agent_actions_tenant ON vigil.agent_actions
  USING (org_id = vigil.current_org_id() AND vigil.client_visible(client_id))
  WITH CHECK (org_id = vigil.current_org_id() AND vigil.client_visible(client_id));

-- What was asked for, by whom, and the signature are never rewritten; only the state moves, and
-- the client with its server when the server moves to another client.
REVOKE UPDATE, DELETE ON vigil.agent_actions FROM vigil_app;
GRANT UPDATE (status, approved_by, approved_at, denied_by, denied_at, expires_at, envelope, delivered_at, result, finished_at, client_id)
  ON vigil.agent_actions TO vigil_app;
