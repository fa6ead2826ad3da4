-- Step 04: the accounts and the sessions, in SQLite.
-- Times are Unix seconds, as in step 03's session files.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lower-cased: "Alice" and "alice" are one account.
    username      TEXT    NOT NULL UNIQUE,
    -- An argon2id PHC string, never the password. NULL for an account
    -- that has no password and signs in through a provider (step 05).
    password_hash TEXT,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    -- The SHA-256 of the id in the cookie (hex), never the id itself: a
    -- copy of this table signs nobody in.
    id         TEXT    PRIMARY KEY,
    -- NULL while nobody is signed in on the session.
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- The rest of the session, as tower-sessions keeps it (JSON).
    data       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- The sweep deletes by expiry; signing a user out everywhere goes by user.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_id ON sessions (user_id);
