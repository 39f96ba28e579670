-- 0005_login_states: sign-ins in progress ("sign in with GitHub" between the redirect to
-- GitHub and the callback), kept in the store so that the callback may reach any API
-- instance behind a load balancer, not only the one that started the sign-in. A row is
-- keyed by the SHA-256 hex of the OAuth `state` (the state itself is never stored), is read
-- exactly once (take_login_state deletes it) and is dead from expires_ms on (unix
-- milliseconds, minutes after it was written). Portable SQL as in 0001.

CREATE TABLE login_states (
  -- SHA-256 hex of the OAuth state.
  state_hash TEXT PRIMARY KEY,
  -- The PKCE verifier sent with the token exchange.
  code_verifier TEXT NOT NULL,
  -- The local path to send the browser to after the sign-in.
  return_to TEXT NOT NULL,
  expires_ms BIGINT NOT NULL
);

-- Purging expired rows.
CREATE INDEX login_states_expires ON login_states (expires_ms);
