-- Replicas (issue 9): state that every server process must share.
-- MCP sessions (protocol 2025-06-18 / 2025-11-25) and who opened each, so a session opened on
-- one replica keeps working, for its owner only, when the next request lands on another.
CREATE TABLE mcp_sessions (
    session_id  TEXT PRIMARY KEY,
    user_id     TEXT,             -- set by the bearer guard when the session is created
    state       TEXT,             -- rmcp's session state (JSON), to restore it elsewhere
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX mcp_sessions_by_expiry ON mcp_sessions(expires_at);
-- Fixed-window request counters (dynamic registration per client address), counted in one
-- upsert so replicas share one count.
CREATE TABLE rate_limits (
    key           TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    hits          INTEGER NOT NULL
);
