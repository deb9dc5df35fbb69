-- The citizen's file (issue 12): duplicates, merges, and look-up as you type over every commune.
--
-- Duplicate keys: a citizen with the same e-mail, phone (normalised: « 03 88… » = « +33 3 88… »),
-- SIRET, RNA, or name + address (accents, case and punctuation ignored) as another is flagged.
-- The keys are computed by SQL functions registered on every connection (desktop.store.database)
-- and kept by triggers, so every writer (intake, pull, merge) keeps them right without knowing.
-- A bulk load (first sync, demonstration) defers them with the request index
-- (sync_state.fts_deferred, desktop.store.search_index) and rebuilds them in one pass: row by
-- row they cost ten times the insert itself.
ALTER TABLE citizen ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE citizen ADD COLUMN phone_key TEXT NOT NULL DEFAULT '';
ALTER TABLE citizen ADD COLUMN identity_key TEXT NOT NULL DEFAULT '';
-- A merged (absorbed) citizen stays as a tombstone (deleted = 1) pointing to its survivor, so
-- whatever still names it (a pending request, a pulled call) resolves to the survivor.
ALTER TABLE citizen ADD COLUMN merged_into_pk INTEGER REFERENCES citizen(pk);

UPDATE citizen SET
    email_key = lower(trim(email)),
    phone_key = phone_key(phone),
    identity_key = identity_key(display_name, address, postcode);

CREATE TRIGGER citizen_ai_keys AFTER INSERT ON citizen
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    UPDATE citizen SET
        email_key = lower(trim(new.email)),
        phone_key = phone_key(new.phone),
        identity_key = identity_key(new.display_name, new.address, new.postcode)
    WHERE pk = new.pk;
END;
-- A pull rewrites every column of a citizen it brings: the keys are computed again only when
-- one of their sources really changed.
CREATE TRIGGER citizen_au_keys AFTER UPDATE OF email, phone, display_name, address, postcode
ON citizen
WHEN (old.email IS NOT new.email OR old.phone IS NOT new.phone
    OR old.display_name IS NOT new.display_name OR old.address IS NOT new.address
    OR old.postcode IS NOT new.postcode)
    AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    UPDATE citizen SET
        email_key = lower(trim(new.email)),
        phone_key = phone_key(new.phone),
        identity_key = identity_key(new.display_name, new.address, new.postcode)
    WHERE pk = new.pk;
END;

CREATE INDEX citizen_email_key ON citizen(email_key);
CREATE INDEX citizen_phone_key ON citizen(phone_key);
CREATE INDEX citizen_identity_key ON citizen(identity_key);
CREATE INDEX citizen_siret ON citizen(siret);
CREATE INDEX citizen_rna ON citizen(rna);
-- The story of a citizen: their calls (requests already have request_citizen).
CREATE INDEX phone_call_citizen ON phone_call(citizen_pk, called_at);

-- Look-up as you type (« Usagers » over every commune, the intake's search in one): each word
-- typed is a prefix of a word of the name, the e-mail or the phone key, accents ignored. The
-- name is indexed folded (sort_key: « œ » spelled « oe », as fold() spells what is typed).
-- rowid = citizen.pk.
CREATE VIRTUAL TABLE citizen_lookup USING fts5(
    name, email, phone, tokenize = "unicode61 remove_diacritics 2"
);
INSERT INTO citizen_lookup(rowid, name, email, phone)
SELECT pk, sort_key, email, phone_key FROM citizen;
CREATE TRIGGER citizen_ai_lookup AFTER INSERT ON citizen
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    INSERT INTO citizen_lookup(rowid, name, email, phone)
    VALUES (new.pk, new.sort_key, new.email, phone_key(new.phone));
END;
CREATE TRIGGER citizen_au_lookup AFTER UPDATE OF sort_key, email, phone ON citizen
WHEN (old.sort_key IS NOT new.sort_key OR old.email IS NOT new.email
    OR old.phone IS NOT new.phone)
    AND NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    DELETE FROM citizen_lookup WHERE rowid = old.pk;
    INSERT INTO citizen_lookup(rowid, name, email, phone)
    VALUES (new.pk, new.sort_key, new.email, phone_key(new.phone));
END;
CREATE TRIGGER citizen_ad_lookup AFTER DELETE ON citizen
WHEN NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'fts_deferred' AND value = '1')
BEGIN
    DELETE FROM citizen_lookup WHERE rowid = old.pk;
END;

-- Merges made on this PC and not yet confirmed by the server: what to put back if the server
-- answers « conflict » or « rejected » (the local merge is optimistic).
CREATE TABLE citizen_merge_pending (
    mutation_id INTEGER PRIMARY KEY,
    survivor_pk INTEGER NOT NULL REFERENCES citizen(pk),
    absorbed_pk INTEGER NOT NULL REFERENCES citizen(pk),
    survivor_before TEXT NOT NULL,          -- JSON: the survivor's columns before the merge
    requests TEXT NOT NULL DEFAULT '[]',    -- JSON: pks of the requests moved
    calls TEXT NOT NULL DEFAULT '[]'        -- JSON: pks of the calls moved
);
