-- Issue 12: the team's day-to-day work. Services (teams) of a commune, pulled from the
-- server (entity services); a request is assigned to an agent, a service, or both.
CREATE TABLE service (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    authority_pk INTEGER NOT NULL REFERENCES authority(pk),
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX service_authority ON service(authority_pk, name);

CREATE TABLE service_member (
    service_pk INTEGER NOT NULL REFERENCES service(pk),
    agent_pk INTEGER NOT NULL REFERENCES agent(pk),
    PRIMARY KEY (service_pk, agent_pk)
);
CREATE INDEX service_member_agent ON service_member(agent_pk, service_pk);

-- The service is kept by its id (a pull may bring a request before its service: no parking).
ALTER TABLE request ADD COLUMN assigned_service_id TEXT;
-- « Attribuée à » as shown (the agent's name, else the service's), kept by the triggers
-- below so the bannette sorts on an index instead of joining two tables per row.
ALTER TABLE request ADD COLUMN assignee_label TEXT NOT NULL DEFAULT '';
-- « Mes demandes » / « Mon service » read in the bannette's default order (newest first).
CREATE INDEX request_assigned_agent ON request(deleted, assigned_agent_pk, received_at);
CREATE INDEX request_assigned_service ON request(deleted, assigned_service_id, received_at);
CREATE INDEX request_assignee ON request(deleted, assignee_label);

CREATE TRIGGER request_assignee_insert AFTER INSERT ON request
WHEN NEW.assigned_agent_pk IS NOT NULL OR NEW.assigned_service_id IS NOT NULL
BEGIN
    UPDATE request SET assignee_label = COALESCE(
        (SELECT display_name FROM agent WHERE pk = NEW.assigned_agent_pk),
        (SELECT name FROM service WHERE id = NEW.assigned_service_id), '')
    WHERE pk = NEW.pk;
END;
CREATE TRIGGER request_assignee_update
AFTER UPDATE OF assigned_agent_pk, assigned_service_id ON request
-- A pull rewrites every column of a row it upserts: only a real change costs an UPDATE.
WHEN NEW.assigned_agent_pk IS NOT OLD.assigned_agent_pk
  OR NEW.assigned_service_id IS NOT OLD.assigned_service_id
BEGIN
    UPDATE request SET assignee_label = COALESCE(
        (SELECT display_name FROM agent WHERE pk = NEW.assigned_agent_pk),
        (SELECT name FROM service WHERE id = NEW.assigned_service_id), '')
    WHERE pk = NEW.pk;
END;
CREATE TRIGGER agent_renamed_assignee AFTER UPDATE OF display_name ON agent
WHEN NEW.display_name IS NOT OLD.display_name
BEGIN
    UPDATE request SET assignee_label = NEW.display_name
    WHERE deleted = 0 AND assigned_agent_pk = NEW.pk;
END;
CREATE TRIGGER service_named_assignee AFTER INSERT ON service
BEGIN
    UPDATE request SET assignee_label = NEW.name
    WHERE deleted = 0 AND assigned_service_id = NEW.id AND assigned_agent_pk IS NULL;
END;
CREATE TRIGGER service_renamed_assignee AFTER UPDATE OF name ON service
WHEN NEW.name IS NOT OLD.name
BEGIN
    UPDATE request SET assignee_label = NEW.name
    WHERE deleted = 0 AND assigned_service_id = NEW.id AND assigned_agent_pk IS NULL;
END;

-- Assignments to this PC's agent (or one of her services) made by someone else, pulled and
-- not yet notified (« Demande n° … vous a été attribuée par … »).
CREATE TABLE assignment_notice (
    pk INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    request_pk INTEGER NOT NULL REFERENCES request(pk),
    by_agent TEXT NOT NULL DEFAULT '',
    to_service TEXT NOT NULL DEFAULT '',
    notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX assignment_notice_open ON assignment_notice(notified);

-- Requests assigned before this version get their label once.
UPDATE request SET assignee_label = COALESCE(
    (SELECT display_name FROM agent WHERE pk = request.assigned_agent_pk), '')
WHERE assigned_agent_pk IS NOT NULL;
