-- Bounded growth (issue 8).
-- Repeated audit events of one kind and key within a short window share one row: `count` says
-- how many there were and `last_at` when the latest was.
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN last_at INTEGER;
CREATE INDEX audit_events_by_event ON audit_events(event, at);
-- Expired access tokens are purged, so "this client once obtained a token" (what keeps a
-- dynamically registered client from the unused-client expiry) is remembered here instead.
ALTER TABLE clients ADD COLUMN obtained_token INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET obtained_token = 1 WHERE client_id IN (SELECT client_id FROM access_tokens);
-- `server keys revoke`: a revoked key is never published or used again, whatever its age.
ALTER TABLE signing_keys ADD COLUMN revoked_at INTEGER;
