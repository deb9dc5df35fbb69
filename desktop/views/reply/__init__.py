"""The reply of a request: the workshop (template, draft, versions, PDF), the parapheur,
the sending."""
