-- Client types. Existing rows keep working: they become public (`none`, no secret) `web` clients
-- from dynamic registration, which is what they were.
-- application_type: OIDC Dynamic Client Registration §2 (`web` or `native`).
ALTER TABLE clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web';
-- Confidential clients (client_secret_basic / client_secret_post): SHA-256 hex of the secret.
ALTER TABLE clients ADD COLUMN client_secret_hash TEXT;
-- 1 for clients from the --clients-file configuration: never purged as unused, never replaced
-- by dynamic registration.
ALTER TABLE clients ADD COLUMN configured INTEGER NOT NULL DEFAULT 0;
