-- Issue 13: « Administration » — the commune's settings and its procedures catalogue.
--
-- The adjoints of the commune and their delegations (JSON list of wire ``Deputy``: name, title,
-- delegations = procedure codes or « * », agent_id), synced like the other settings.
ALTER TABLE authority ADD COLUMN deputies TEXT NOT NULL DEFAULT '[]';
-- The reply templates offered first for a procedure (JSON list of template names).
ALTER TABLE procedure ADD COLUMN reply_templates TEXT NOT NULL DEFAULT '[]';
-- A change of a procedure's silence rule or period applies to requests received from then on:
-- the requests already held keep the rule they were received under, frozen here at the moment
-- of the change (NULL: the request follows its procedure's current rule).
ALTER TABLE request ADD COLUMN rule_silence TEXT
    CHECK (rule_silence IS NULL OR rule_silence IN ('accept', 'reject', 'none'));
ALTER TABLE request ADD COLUMN rule_period INTEGER;
ALTER TABLE request ADD COLUMN rule_unit TEXT
    CHECK (rule_unit IS NULL OR rule_unit IN ('days', 'weeks', 'months'));
CREATE INDEX request_procedure ON request(procedure_pk);
-- A request moved to another procedure follows that procedure's rule.
CREATE TRIGGER request_rule_follows_procedure AFTER UPDATE OF procedure_pk ON request
WHEN NEW.procedure_pk IS NOT OLD.procedure_pk AND NEW.rule_silence IS NOT NULL
BEGIN
    UPDATE request SET rule_silence = NULL, rule_period = NULL, rule_unit = NULL
    WHERE pk = NEW.pk;
END;
-- A role belongs to (agent, commune): the « Administration » menu and screens are for the
-- admins of the commune concerned. Without a row here, the agent's single role (as before).
CREATE TABLE agent_role (
    agent_pk INTEGER NOT NULL REFERENCES agent(pk),
    authority_pk INTEGER NOT NULL REFERENCES authority(pk),
    role TEXT NOT NULL CHECK (role IN ('clerk', 'official', 'admin')),
    PRIMARY KEY (agent_pk, authority_pk)
);
