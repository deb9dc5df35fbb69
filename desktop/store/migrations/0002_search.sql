-- Accent- and case-insensitive search over the bannette.
--
-- What a secrétaire types may match the number, the citizen, the subject, the text or an
-- attachment's name: these live in four tables, so a denormalised document per request
-- (request_search) is kept up to date by triggers on those tables, and the FTS5 index uses it as
-- its external content, kept in sync by the usual insert/delete triggers.

CREATE TABLE request_search (
    rowid INTEGER PRIMARY KEY,   -- = request.pk
    number TEXT NOT NULL,        -- "2026-000123 123": the short form is what people say
    citizen TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments TEXT NOT NULL
);

CREATE VIRTUAL TABLE request_fts USING fts5(
    number, citizen, subject, body, attachments,
    content = 'request_search',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER request_search_ai AFTER INSERT ON request_search BEGIN
    INSERT INTO request_fts(rowid, number, citizen, subject, body, attachments)
    VALUES (new.rowid, new.number, new.citizen, new.subject, new.body, new.attachments);
END;
CREATE TRIGGER request_search_ad AFTER DELETE ON request_search BEGIN
    INSERT INTO request_fts(request_fts, rowid, number, citizen, subject, body, attachments)
    VALUES ('delete', old.rowid, old.number, old.citizen, old.subject, old.body, old.attachments);
END;
CREATE TRIGGER request_search_au AFTER UPDATE ON request_search BEGIN
    INSERT INTO request_fts(request_fts, rowid, number, citizen, subject, body, attachments)
    VALUES ('delete', old.rowid, old.number, old.citizen, old.subject, old.body, old.attachments);
    INSERT INTO request_fts(rowid, number, citizen, subject, body, attachments)
    VALUES (new.rowid, new.number, new.citizen, new.subject, new.body, new.attachments);
END;

-- Keep the search documents in step with their sources.
CREATE TRIGGER request_ai_search AFTER INSERT ON request BEGIN
    INSERT INTO request_search(rowid, number, citizen, subject, body, attachments)
    VALUES (
        new.pk, new.number || ' ' || ltrim(substr(new.number, 6), '0'),
        (SELECT display_name || ' ' || email FROM citizen WHERE pk = new.citizen_pk),
        new.subject, new.body,
        COALESCE((SELECT group_concat(filename, ' ') FROM attachment
                  WHERE request_pk = new.pk AND deleted = 0), '')
    );
END;
CREATE TRIGGER request_au_search AFTER UPDATE OF number, citizen_pk, subject, body ON request
BEGIN
    UPDATE request_search SET
        number = new.number || ' ' || ltrim(substr(new.number, 6), '0'),
        citizen = (SELECT display_name || ' ' || email FROM citizen WHERE pk = new.citizen_pk),
        subject = new.subject,
        body = new.body
    WHERE rowid = new.pk;
END;
CREATE TRIGGER request_ad_search AFTER DELETE ON request BEGIN
    DELETE FROM request_search WHERE rowid = old.pk;
END;

CREATE TRIGGER citizen_au_search AFTER UPDATE OF display_name, email ON citizen BEGIN
    UPDATE request_search SET citizen = new.display_name || ' ' || new.email
    WHERE rowid IN (SELECT pk FROM request WHERE citizen_pk = new.pk);
END;

CREATE TRIGGER attachment_ai_search AFTER INSERT ON attachment BEGIN
    UPDATE request_search SET attachments = COALESCE((
        SELECT group_concat(filename, ' ') FROM attachment
        WHERE request_pk = new.request_pk AND deleted = 0), '')
    WHERE rowid = new.request_pk;
END;
-- An attachment moved to another request (request_pk changed) leaves one document and joins
-- another: both are rebuilt.
CREATE TRIGGER attachment_au_search AFTER UPDATE OF filename, deleted, request_pk ON attachment
BEGIN
    UPDATE request_search SET attachments = COALESCE((
        SELECT group_concat(filename, ' ') FROM attachment
        WHERE request_pk = request_search.rowid AND deleted = 0), '')
    WHERE rowid IN (old.request_pk, new.request_pk);
END;
CREATE TRIGGER attachment_ad_search AFTER DELETE ON attachment BEGIN
    UPDATE request_search SET attachments = COALESCE((
        SELECT group_concat(filename, ' ') FROM attachment
        WHERE request_pk = old.request_pk AND deleted = 0), '')
    WHERE rowid = old.request_pk;
END;

-- Requests that existed before this migration.
INSERT INTO request_search(rowid, number, citizen, subject, body, attachments)
SELECT r.pk, r.number || ' ' || ltrim(substr(r.number, 6), '0'), c.display_name || ' ' || c.email, r.subject, r.body,
       COALESCE((SELECT group_concat(filename, ' ') FROM attachment a
                 WHERE a.request_pk = r.pk AND a.deleted = 0), '')
FROM request r JOIN citizen c ON c.pk = r.citizen_pk;
