-- Step 05: whether the provider checked that the account's email address
-- reaches the person (the ID token's `email_verified`). Only a checked
-- address is the person's: at a provider that does not check, anyone can
-- claim anyone's address.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
