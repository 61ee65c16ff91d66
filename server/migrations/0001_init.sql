-- Users, OAuth clients, pending authorization requests, codes and tokens.
-- Secrets (codes, access tokens, CSRF tokens) are stored only as SHA-256 hashes.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    email         TEXT,
    role          TEXT NOT NULL DEFAULT 'user',
    status        TEXT NOT NULL DEFAULT 'active',
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    login_count   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE clients (
    client_id        TEXT PRIMARY KEY,
    client_name      TEXT,
    client_uri       TEXT,
    redirect_uris    TEXT NOT NULL,  -- JSON array, exact strings
    grant_types      TEXT NOT NULL,  -- JSON array
    response_types   TEXT NOT NULL,  -- JSON array
    token_endpoint_auth_method TEXT NOT NULL,
    scope            TEXT,
    created_at       INTEGER NOT NULL
);

-- An /authorize request between the login page and the consent decision. Single use.
CREATE TABLE auth_requests (
    id              TEXT PRIMARY KEY,
    csrf_hash       TEXT NOT NULL,
    client_id       TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    state           TEXT,
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    user_id         TEXT REFERENCES users(id) ON DELETE CASCADE,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    resource       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);

CREATE TABLE access_tokens (
    token_hash  TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    audience    TEXT NOT NULL,
    code_hash   TEXT,            -- the code it came from, so a code replay can revoke it
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX access_tokens_by_code ON access_tokens(code_hash);
CREATE INDEX access_tokens_by_user ON access_tokens(user_id);
