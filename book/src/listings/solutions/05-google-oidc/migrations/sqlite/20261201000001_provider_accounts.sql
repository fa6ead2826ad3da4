-- Step 05: accounts that sign in through an OpenID provider, beside the
-- password accounts of step 04.

-- Who vouches for the account: 'password' (its own password_hash, as
-- every account before this step) or 'google'.
ALTER TABLE users ADD COLUMN provider TEXT NOT NULL DEFAULT 'password';
-- The provider's id for the person (the ID token's `sub`): the only thing
-- a provider account is found by. NULL for a password account, whose key
-- is its username; a provider account always has one.
ALTER TABLE users ADD COLUMN subject TEXT
    CHECK ((provider = 'password') = (subject IS NULL));
-- What the provider says about the person, refreshed at each sign-in.
-- Shown, never used to find an account: an address can change hands.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN name TEXT;
ALTER TABLE users ADD COLUMN picture TEXT;

-- One account per person at each provider. Password accounts (subject
-- NULL) do not collide: NULLs are never equal.
CREATE UNIQUE INDEX users_provider_subject ON users (provider, subject);
