-- Step 04: the accounts and the sessions, in PostgreSQL.
-- Times are Unix seconds, as in step 03's session files.

-- TODO(step 04): create the tables `users` (id, username, password_hash,
-- created_at) and `sessions` (id, user_id, data, expires_at, created_at).
-- See book/src/04-db-sessions.md, "Migrations".
