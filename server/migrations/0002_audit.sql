-- Security-relevant events: grants, denials, code replays, revocations. Never secrets.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    user_id    TEXT,
    client_id  TEXT,
    detail     TEXT
);
CREATE INDEX audit_events_by_time ON audit_events(at);
