-- Issue 13: the commune's logo in the letterhead of its letters. The SHA-256 of the image (PNG
-- or JPEG) kept in the content-addressed cache like an attachment's file, synced as
-- ``AuthorityRow.logo_sha256`` (empty: no logo).
ALTER TABLE authority ADD COLUMN logo_sha256 TEXT NOT NULL DEFAULT '';
