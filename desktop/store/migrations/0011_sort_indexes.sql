-- Sorting the bannette by any column reads an index in order instead of sorting 100,000 rows
-- (issue 12: the subject column took 552 ms, the citizen 260 ms). Each index holds only live
-- requests (WHERE deleted = 0, the condition of every bannette query) so it covers the sort.
--
-- The subject sorts accent- and case-insensitively through fold(), a Python function every
-- connection of desktop.store.database.connect registers as deterministic: a connection
-- without it cannot write a request's subject (SQLite says « no such function: fold »).
CREATE INDEX request_sort_subject ON request(fold(subject)) WHERE deleted = 0;
-- The life-cycle order of the statuses (desktop.store.inbox.STATUS_ORDER_SQL writes the same
-- expression: SQLite uses the index only when the query's expression is identical).
CREATE INDEX request_sort_status ON request(
    (CASE status WHEN 'received' THEN 0 WHEN 'acknowledged' THEN 1
     WHEN 'awaiting_documents' THEN 2 WHEN 'drafting' THEN 3 WHEN 'at_parapheur' THEN 4
     WHEN 'answered' THEN 5 WHEN 'closed' THEN 6 ELSE 7 END)
) WHERE deleted = 0;
CREATE INDEX request_sort_channel ON request(channel) WHERE deleted = 0;
CREATE INDEX request_sort_due ON request(due_date IS NULL, due_date) WHERE deleted = 0;
-- Joined columns: the small table is read in name order, then its live requests by pk.
CREATE INDEX request_sort_citizen ON request(citizen_pk) WHERE deleted = 0;
CREATE INDEX request_sort_procedure ON request(procedure_pk) WHERE deleted = 0;
CREATE INDEX request_sort_authority ON request(authority_pk) WHERE deleted = 0;
CREATE INDEX request_sort_number ON request(authority_pk, number) WHERE deleted = 0;
CREATE INDEX procedure_sort_name ON procedure(name);
CREATE INDEX authority_sort_name ON authority(name);
CREATE INDEX authority_sort_code ON authority(insee_code);
