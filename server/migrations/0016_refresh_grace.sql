-- Refresh retries (issue 11): each rotated token names the successor that replaced it, and each
-- successor the access token issued beside it, so a client retrying a rotation whose response it
-- lost can be answered by replacing that pair (never by forking the family).
ALTER TABLE refresh_tokens ADD COLUMN replaced_by TEXT;
ALTER TABLE refresh_tokens ADD COLUMN issued_with TEXT;
