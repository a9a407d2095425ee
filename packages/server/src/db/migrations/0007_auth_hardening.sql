-- Sessions are written in the system scope only (the auth services); no tenant context needs to
-- update one. Without this policy, SQL injected into a tenant route cannot mark its own session
-- as having passed a second factor, or bring a revoked session back.
DROP POLICY sessions_self_update ON vigil.sessions;
