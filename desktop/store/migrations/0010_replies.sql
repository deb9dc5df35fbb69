-- Issue 10: answering a request. Same conventions as 0001 (id for life, version from the
-- server, deleted as tombstone).
--
-- The parapheur folders of the commune, pulled from the server (entity parapheur_folders) or
-- created here by « Envoyer au parapheur » before the server has heard of them (version 0,
-- sending 'queued': « en attente d'envoi »). Steps and annex ids are the wire JSON: they are
-- read whole, never queried inside.
CREATE TABLE parapheur_folder (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    authority_pk INTEGER NOT NULL REFERENCES authority(pk),
    request_pk INTEGER REFERENCES request(pk),
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'pending', 'visaed', 'signed', 'rejected')),
    sending TEXT NOT NULL DEFAULT 'queued' CHECK (sending IN ('queued', 'sent', 'failed')),
    main_attachment_id TEXT NOT NULL,
    annex_ids TEXT NOT NULL DEFAULT '[]',
    steps TEXT NOT NULL DEFAULT '[]',
    public_annotation TEXT NOT NULL DEFAULT '',
    private_annotation TEXT NOT NULL DEFAULT '',
    wished_date TEXT,
    signed_attachment_id TEXT,
    bordereau_attachment_id TEXT,
    last_error TEXT,
    stuck INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- The last state the secrétaire was told about (a rejection is notified once).
    notified_state TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX parapheur_folder_request ON parapheur_folder(request_pk, created_at);
CREATE INDEX parapheur_folder_state ON parapheur_folder(deleted, state);

-- Each saved state of a reply drafted in Word: the .docx stays in this PC's content-addressed
-- cache (attachments are PDF, JPG or PNG only), its PDF rendering is attached to the request
-- and syncs like any attachment (pdf_attachment_id, NULL until converted).
CREATE TABLE reply_version (
    pk INTEGER PRIMARY KEY,
    request_pk INTEGER NOT NULL REFERENCES request(pk),
    number INTEGER NOT NULL,
    template TEXT NOT NULL DEFAULT '',
    docx_sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    pdf_attachment_id TEXT,
    saved_at TEXT NOT NULL,
    agent_pk INTEGER REFERENCES agent(pk),
    UNIQUE (request_pk, number)
);

-- The messages of a request pulled from the server (entity messages): what matters here is the
-- proof of the reply's sending (reply.send by e-mail: the server's SMTP sending, its time, the
-- Message-ID and the receiving server's answer; a refusal or a bounce), shown on the request.
CREATE TABLE message (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    request_pk INTEGER NOT NULL REFERENCES request(pk),
    direction TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    to_email TEXT,
    delivery TEXT,
    delivered_at TEXT,
    smtp_message_id TEXT,
    smtp_response TEXT,
    failure TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX message_request ON message(request_pk, at);
