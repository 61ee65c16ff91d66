-- Failed sign-ins per username (whether or not the account exists, so the throttle reveals
-- nothing), with an exponential back-off window.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
