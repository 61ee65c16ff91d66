-- Revocations every resource server must honour without a database round trip per request. A
-- row names a grant (the `gid` claim: one authorization and every token refreshed from it) or one
-- access token (its `jti`). Resource servers keep them in memory for as long as a token they
-- match could still be valid, and pick up new rows by polling `id`; a grant named here can
-- mint nothing more (refresh checks it), whatever its token rows say.
CREATE TABLE revocations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL CHECK (kind IN ('grant', 'token')),
    value       TEXT NOT NULL,
    revoked_at  INTEGER NOT NULL
);
CREATE INDEX revocations_by_value ON revocations(value);
CREATE INDEX revocations_by_time ON revocations(revoked_at);
-- The `jti` of each access token, so revoking one token can name it to the resource servers.
ALTER TABLE access_tokens ADD COLUMN jti TEXT;
