-- Step 04: the accounts and the sessions, in PostgreSQL.
-- Times are Unix seconds, as in step 03's session files.

-- ANCHOR: users
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lower-cased: "Alice" and "alice" are one account.
    username      TEXT    NOT NULL UNIQUE,
    -- An argon2id PHC string, never the password. NULL for an account
    -- that has no password and signs in through a provider (step 05).
    password_hash TEXT,
    created_at    BIGINT  NOT NULL
);
-- ANCHOR_END: users

CREATE TABLE sessions (
    -- The SHA-256 of the id in the cookie (hex), never the id itself: a
    -- copy of this table signs nobody in.
    id         TEXT    PRIMARY KEY,
    -- NULL while nobody is signed in on the session.
    user_id    BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    -- The rest of the session, as tower-sessions keeps it (JSON).
    data       TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL,
    created_at BIGINT  NOT NULL
);

-- The sweep deletes by expiry; signing a user out everywhere goes by user.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);
