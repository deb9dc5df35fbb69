-- An open request whose procedure has no silence rule (« Signalement voirie ») keeps the
-- mairie's internal target as its échéance once acknowledged (desktop.domain.due, ANSWER_TARGET):
-- it still awaits an answer. Before, the échéance was emptied (« Aucune échéance : la demande est
-- traitée ») and the request left « Échéances ». Those rows are exactly the open ones without an
-- échéance; they get received day + the commune's internal target, as next_due() computes it.
UPDATE request
SET due_kind = 'answer_target',
    due_date = date(
        substr(received_at, 1, 10),
        '+' || (SELECT a.internal_target_days FROM authority a WHERE a.pk = request.authority_pk)
            || ' days'
    )
WHERE deleted = 0
  AND due_kind IS NULL
  AND due_date IS NULL
  AND status NOT IN ('answered', 'closed');
