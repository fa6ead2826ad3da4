-- Step 06: a second provider linked to an account. The account's own
-- provider stays in users (provider, subject); each link is a row here.
CREATE TABLE linked_accounts (
    -- The provider and its key for the person, as in users: 'microsoft'
    -- and 'tid:oid', or 'google' and its sub. One account at most has an
    -- identity: the primary key refuses a second link of it.
    provider  TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    username  TEXT   NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    -- Unix seconds.
    linked_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject),
    -- One identity of each provider an account.
    UNIQUE (username, provider)
);
