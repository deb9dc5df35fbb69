-- Saved views of the bannette (issue 12): an agent's search + filters + sort under a name, in
-- the order of the side list. Per agent on this PC; the filter is kept as JSON with communes
-- and démarches by id (their pk changes when the store is rebuilt), read back leniently so
-- that a view saved by another version of the app still opens.
CREATE TABLE saved_view (
    pk INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL,
    name TEXT NOT NULL,
    filter TEXT NOT NULL,
    sort_column TEXT NOT NULL,
    sort_descending INTEGER NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (agent_id, name)
);
CREATE INDEX saved_view_agent ON saved_view(agent_id, position);
