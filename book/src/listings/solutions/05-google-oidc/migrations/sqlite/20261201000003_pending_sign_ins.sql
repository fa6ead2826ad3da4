-- Step 05: the sign-ins under way, from the moment the browser is sent to
-- the provider to the callback that brings their state back. That callback
-- deletes the row in the same statement that reads it, so of two callbacks
-- at once only one can have it.
CREATE TABLE oidc_pending (
    -- A random value kept in the browser's session: only a request with
    -- that session's cookie names this row. One row a browser: the latest
    -- sign-in started there is the one that can finish.
    session_key TEXT    PRIMARY KEY,
    -- The provider the browser was sent to: 'google' (step 06 adds another).
    provider    TEXT    NOT NULL,
    -- What the authorization request carried (state, nonce), and what it
    -- kept back for the token request (the PKCE verifier).
    state       TEXT    NOT NULL,
    nonce       TEXT    NOT NULL,
    verifier    TEXT    NOT NULL,
    -- Unix seconds.
    started_at  INTEGER NOT NULL
);

-- The sweep deletes, by age, the sign-ins nobody came back from.
CREATE INDEX oidc_pending_started_at ON oidc_pending (started_at);
