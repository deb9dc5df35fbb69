-- Issue 12: the request's thread of messages with the citizen, and mail registered by hand.
--
-- The message table of 0010 kept only the proof of a reply's sending; the thread needs the
-- whole message: its text, who wrote it and the files that went with it (the wire's
-- attachment ids, read whole as JSON, never queried inside).
ALTER TABLE message ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE message ADD COLUMN agent_pk INTEGER REFERENCES agent(pk);
ALTER TABLE message ADD COLUMN attachment_ids TEXT NOT NULL DEFAULT '[]';
-- When an agent of THIS PC first saw an incoming message (local only, never synced): an
-- incoming message without it marks its request in the bannette.
ALTER TABLE message ADD COLUMN read_at TEXT;
-- Messages pulled before this version were seen with their request: not « nouveau ».
UPDATE message SET read_at = at WHERE direction = 'inbound';
CREATE INDEX message_unread ON message(request_pk)
    WHERE direction = 'inbound' AND read_at IS NULL AND deleted = 0;

-- A mail (.eml / .msg) registered on this PC as a request, by its Message-ID (or a hash of
-- the message when it has none): the same mail dropped twice, or imported again by a
-- script, is said and not registered again. Desktop-side only: the server keeps its own list
-- for the mail it reads over IMAP.
CREATE TABLE mail_registration (
    authority_pk INTEGER NOT NULL REFERENCES authority(pk),
    message_id TEXT NOT NULL,
    request_pk INTEGER NOT NULL REFERENCES request(pk),
    registered_at TEXT NOT NULL,
    PRIMARY KEY (authority_pk, message_id)
);
