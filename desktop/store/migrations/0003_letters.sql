-- Issue 5: what the legal letters need that the first schema did not hold.
--
-- The signatory of the letters is the mayor (or whoever the authority names), and the appeal
-- routes of a rejection name the administrative court; both belong to the authority. Empty
-- values are allowed: the letters then say « le tribunal administratif territorialement
-- compétent » and sign with the title alone.
ALTER TABLE authority ADD COLUMN mayor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE authority ADD COLUMN mayor_title TEXT NOT NULL DEFAULT 'Le Maire';
ALTER TABLE authority ADD COLUMN administrative_court TEXT NOT NULL DEFAULT '';

-- A request for missing documents states the date by which they must be sent (L114-5); the
-- acknowledgement sent while they are awaited repeats it, so it is stored with the request.
ALTER TABLE missing_documents ADD COLUMN deadline TEXT;

-- The deadlines view and the implicit-decision sweep read open requests by échéance.
CREATE INDEX request_open_due ON request(deleted, status, due_date);
