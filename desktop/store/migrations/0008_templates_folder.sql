-- Issue 10: each commune may keep its own Word templates in a folder of its choice.
--
-- The folder is a path on this PC (a network share, « Documents\Modèles de la mairie »), so it
-- is a local setting of the authority: the sync never sends nor overwrites it (the authority's
-- upsert names its columns). Empty: the shipped templates only.
ALTER TABLE authority ADD COLUMN templates_folder TEXT NOT NULL DEFAULT '';
