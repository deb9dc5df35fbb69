-- Issue 9, items 2 and 6.
--
-- 1. Instants are UTC. Until now the store held naive « local legal time », but the PC wrote
-- its own wall clock (UTC on some laptops) next to the server's Paris time, so the history
-- came out of order. Every instant becomes UTC with its offset (« 2026-11-23T09:00:00+00:00 »);
-- the commune's zone is applied when it is read (desktop/domain/legal_time.py). Old naive
-- values were metropolitan legal time: utc_instant() (registered on every connection by
-- database.connect) converts them, daylight saving included.
UPDATE request SET received_at = utc_instant(received_at),
    registration_receipt_at = utc_instant(registration_receipt_at),
    acknowledged_at = utc_instant(acknowledged_at);
UPDATE phone_call SET called_at = utc_instant(called_at);
UPDATE sync_outbox SET created_at = utc_instant(created_at), answered_at = utc_instant(answered_at);
UPDATE sync_conflict SET detected_at = utc_instant(detected_at),
    resolved_at = utc_instant(resolved_at);
UPDATE sync_upload SET created_at = utc_instant(created_at);
-- The history is append-only: its guard steps aside for this one rewrite of the times.
DROP TRIGGER event_no_update;
UPDATE event SET at = utc_instant(at);
CREATE TRIGGER event_no_update BEFORE UPDATE OF request_pk, at, agent_pk, kind, detail ON event
BEGIN
    SELECT RAISE(ABORT, 'l''historique ne peut pas être modifié');
END;

-- 2. Producing a letter is not sending it. Each production is kept (a letter produced again is
-- a new edition beside the old one); « Marquer comme envoyé » records the day, the mode and who
-- sent it. Only a sent acknowledgement counts for the legal delay. Local to this PC: the
-- server learns of the sending through request.acknowledge (dated by the PC's sent_on) and the
-- history events.
CREATE TABLE letter (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    request_pk INTEGER NOT NULL REFERENCES request(pk),
    kind TEXT NOT NULL,                 -- desktop.documents.LetterKind value
    edition INTEGER NOT NULL,           -- 1, 2… per request and kind
    produced_at TEXT NOT NULL,          -- UTC instant
    produced_by INTEGER REFERENCES agent(pk),
    docx TEXT NOT NULL,                 -- file names in documents/<commune>/<number>/
    pdf TEXT,                           -- NULL until converted
    sent_on TEXT,                       -- the day it left, in the commune (NULL: not sent)
    sent_mode TEXT CHECK (sent_mode IS NULL OR sent_mode IN ('post', 'email', 'hand')),
    sent_at TEXT,                       -- when the sending was recorded (UTC instant)
    sent_by INTEGER REFERENCES agent(pk),
    UNIQUE (request_pk, kind, edition)
);
CREATE INDEX letter_request ON letter(request_pk, kind, edition);
