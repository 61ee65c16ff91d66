-- Ed25519 keys that sign access tokens (RFC 9068). The newest unretired key signs; every key
-- stays published in the JWKS until `retired_at` plus the longest token lifetime has passed.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    seed_b64    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
