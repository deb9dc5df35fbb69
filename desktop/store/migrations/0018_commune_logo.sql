-- Issue 13: the commune's logo in the letterhead of its letters. The SHA-256 of the image (PNG
-- or JPEG) kept in the content-addressed cache like an attachment's file, synced as
-- ``AuthorityRow.logo_sha256`` (empty: no logo).
ALTER TABLE authority ADD COLUMN logo_sha256 TEXT NOT NULL DEFAULT '';
-- A procedure's default service (issue 13): a new request of it is assigned to that service at
-- its creation (a plain id, like request.assigned_service_id; empty: none).
ALTER TABLE procedure ADD COLUMN default_service_id TEXT NOT NULL DEFAULT '';
