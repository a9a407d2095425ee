-- The mail outbox: where messages land when no SMTP server is configured (development, or an
-- install that has not set one up yet), and the record of what the mailer tried to send.
-- Bodies may carry secrets (invitation and password-reset links), so reading is confined like
-- every other tenant table: an organization's context sees only its own rows (the service adds
-- the OWNER/ADMIN permission check on top); the system scope writes rows and reads them back
-- (the sender and the dev log). Rows without an organization (a reset mail before login) are
-- visible to the system scope only.

CREATE TABLE vigil.mail_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid REFERENCES vigil.organizations (id) ON DELETE CASCADE,
  to_address text NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
  subject text NOT NULL CHECK (length(subject) <= 998),
  text_body text NOT NULL,
  html_body text,
  purpose text NOT NULL CHECK (length(purpose) <= 50 AND purpose ~ '^[a-z][a-z0-9_]*$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  error text CHECK (length(error) <= 2000),
  -- A header can only be injected through a line break; the mailer refuses them, this repeats it.
  CONSTRAINT mail_outbox_no_line_breaks CHECK (to_address !~ '[\r\n]' AND subject !~ '[\r\n]')
);
CREATE INDEX mail_outbox_org_created_idx ON vigil.mail_outbox (org_id, created_at DESC, id DESC);

-- The default privileges of 0001 grant UPDATE on every column and DELETE: a message once
-- recorded only gains its delivery outcome.
REVOKE ALL ON vigil.mail_outbox FROM vigil_app;
GRANT SELECT, INSERT ON vigil.mail_outbox TO vigil_app;
GRANT UPDATE (sent_at, error) ON vigil.mail_outbox TO vigil_app;

ALTER TABLE vigil.mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE vigil.mail_outbox FORCE ROW LEVEL SECURITY;
-- Tenant contexts only read, and only org-wide ones: an invitation to one client must not show
-- to another client's owner. Every write goes through the mailer in the system scope.
CREATE POLICY mail_outbox_tenant_read ON vigil.mail_outbox FOR SELECT
  USING (org_id = vigil.current_org_id() AND coalesce(current_setting('vigil.client_scope', true), '') = 'all');
CREATE POLICY mail_outbox_system ON vigil.mail_outbox
  USING (vigil.is_system())
  WITH CHECK (vigil.is_system());
