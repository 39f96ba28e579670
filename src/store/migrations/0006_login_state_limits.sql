-- 0006_login_state_limits: who started each sign-in in progress, so that the store can cap
-- the pending sign-ins of one client (its IP address) as well as the total (issue 17: an
-- anonymous flood of "sign in with GitHub" starts grew the database by 87 MB in 11 s).
-- Rows written before this migration belong to the client '' and expire within minutes.
-- Portable SQL as in 0001.

ALTER TABLE login_states ADD COLUMN client TEXT NOT NULL DEFAULT '';

-- Evicting a client's oldest pending sign-ins.
CREATE INDEX login_states_client ON login_states (client, expires_ms);
