-- Issue 4: offline-first sync with the central API (DESIGN.md, "Sync").
--
-- The outbox holds business intents (mutations) written in the same transaction as the
-- optimistic local change, so a crash can never keep one without the other. AUTOINCREMENT
-- guarantees a mutation id is never reused, even after the row is deleted once acknowledged:
-- the server relies on ids growing strictly per client for its idempotence.
CREATE TABLE sync_outbox (
    mutation_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    args TEXT NOT NULL,                    -- JSON, validated by the wire model at enqueue
    base_version INTEGER NOT NULL DEFAULT 0,
    entity TEXT NOT NULL DEFAULT '',       -- the synced table the mutation changes
    row_id TEXT NOT NULL DEFAULT '',       -- the row it changes
    fields TEXT NOT NULL DEFAULT '[]',     -- local columns it changed (kept while it waits)
    created_at TEXT NOT NULL,
    -- pending: waits to be sent; rejected: refused by the server, kept visible with its reason
    -- and never blocking the queue. Applied and conflicting mutations are removed once answered.
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    reason TEXT,
    answered_at TEXT
);
CREATE INDEX sync_outbox_state ON sync_outbox(state, mutation_id);
CREATE INDEX sync_outbox_row ON sync_outbox(row_id, state);

-- Client id, cursor, epoch, last sync time, logged-in agent.
CREATE TABLE sync_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A field both this PC and someone else changed: the server's value won, the local one is kept
-- here until the secrétaire chooses (nothing is dropped silently).
CREATE TABLE sync_conflict (
    pk INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    row_id TEXT NOT NULL,
    field TEXT NOT NULL,
    local_value TEXT,                      -- JSON
    server_value TEXT,                     -- JSON
    mutation_id INTEGER,
    mutation_name TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    detected_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT CHECK (resolution IS NULL OR resolution IN ('server', 'local'))
);
CREATE INDEX sync_conflict_open ON sync_conflict(resolved_at, row_id);

-- Pulled rows whose parent has not arrived yet (pages follow versions, not parents: a request
-- changed after its history was written comes after its events). Applied as soon as the
-- parent lands, in the same transaction as that parent.
CREATE TABLE sync_parked (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    waits_for TEXT NOT NULL,
    payload TEXT NOT NULL,                 -- the wire row, JSON
    PRIMARY KEY (entity, id)
);
CREATE INDEX sync_parked_parent ON sync_parked(waits_for);

-- Rows of a previous server epoch still to be confirmed by a re-bootstrap; what the new server
-- does not send back is marked deleted when the re-bootstrap completes.
CREATE TABLE sync_resync (
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (entity, id)
);
CREATE INDEX sync_resync_id ON sync_resync(id);

-- Attachments added on this PC whose bytes the server has not received yet. The bytes live in
-- the content-addressed cache beside the database (pieces-jointes/<sha[:2]>/<sha>); the
-- attachment.link mutation in the outbox waits until its file is uploaded.
CREATE TABLE sync_upload (
    sha256 TEXT NOT NULL,
    authority_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'rejected')),
    reason TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (sha256, authority_id)
);

-- Procedures belong to an authority on the server.
ALTER TABLE procedure ADD COLUMN authority_pk INTEGER REFERENCES authority(pk);
ALTER TABLE procedure ADD COLUMN active INTEGER NOT NULL DEFAULT 1;

-- The first sync of a PC brings the whole bannette at once (up to 100,000 requests): feeding
-- the full-text index row by row costs several times the rest of the work, and more with every
-- page. During that bootstrap the index is left alone (sync_state.fts_deferred = '1', set in
-- the transaction of the first page) and rebuilt in one pass from request_search in the
-- transaction of the last page. Same triggers as 0002 otherwise.
DROP TRIGGER request_search_ai;
DROP TRIGGER request_search_ad;
DROP TRIGGER request_search_au;
CREATE TRIGGER request_search_ai AFTER INSERT ON request_search
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    INSERT INTO request_fts(rowid, number, citizen, subject, body, attachments)
    VALUES (new.rowid, new.number, new.citizen, new.subject, new.body, new.attachments);
END;
CREATE TRIGGER request_search_ad AFTER DELETE ON request_search
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    INSERT INTO request_fts(request_fts, rowid, number, citizen, subject, body, attachments)
    VALUES ('delete', old.rowid, old.number, old.citizen, old.subject, old.body, old.attachments);
END;
CREATE TRIGGER request_search_au AFTER UPDATE ON request_search
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    INSERT INTO request_fts(request_fts, rowid, number, citizen, subject, body, attachments)
    VALUES ('delete', old.rowid, old.number, old.citizen, old.subject, old.body, old.attachments);
    INSERT INTO request_fts(rowid, number, citizen, subject, body, attachments)
    VALUES (new.rowid, new.number, new.citizen, new.subject, new.body, new.attachments);
END;
