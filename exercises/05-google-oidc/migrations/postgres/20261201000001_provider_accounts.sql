-- Step 05: accounts that sign in through an OpenID provider, beside the
-- password accounts of step 04.

ALTER TABLE users
    -- Who vouches for the account: 'password' (its own password_hash, as
    -- every account before this step) or 'google'.
    ADD COLUMN provider TEXT NOT NULL DEFAULT 'password',
    -- The provider's id for the person (the ID token's `sub`): the only
    -- thing a provider account is found by. NULL for a password account,
    -- whose key is its username; a provider account always has one.
    ADD COLUMN subject  TEXT,
    -- What the provider says about the person, refreshed at each sign-in.
    -- Shown, never used to find an account: an address can change hands.
    ADD COLUMN email    TEXT,
    ADD COLUMN name     TEXT,
    ADD COLUMN picture  TEXT,
    ADD CONSTRAINT users_subject_of_a_provider
        CHECK ((provider = 'password') = (subject IS NULL));

-- One account per person at each provider. Password accounts (subject
-- NULL) do not collide: NULLs are never equal.
CREATE UNIQUE INDEX users_provider_subject ON users (provider, subject);
