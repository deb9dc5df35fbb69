"""The reply of a request in the detail pane: its versions and its parapheur folder (state,
circuit, annotations, the signed PDF and the bordereau once they came back)."""

from __future__ import annotations

import sqlite3
from html import escape

from desktop.domain.french import format_date_fr
from desktop.store.attachments import find_attachment
from desktop.store.replies import (
    STEP_KIND_LABELS,
    reply_delivery,
    reply_versions,
    request_folder,
)
from sync.protocol.wire import StepState

STEP_STATES = {StepState.WAITING.value: "en attente", StepState.DONE.value: "fait",
               StepState.REJECTED.value: "rejeté"}


def reply_html(conn: sqlite3.Connection, request_pk: int) -> str:
    versions = reply_versions(conn, request_pk)
    folder = request_folder(conn, request_pk)
    delivery = reply_delivery(conn, request_pk)
    if not versions and folder is None and delivery is None:
        return ""
    rows: list[tuple[str, str]] = []
    if versions:
        latest = versions[0]
        rows.append(("Réponse", f"version {latest.number} du "
                                f"{format_date_fr(latest.saved_at.date())} à "
                                f"{latest.saved_at:%H:%M}"
                                + (f" ({latest.agent})" if latest.agent else "")))
    if folder is not None:
        rows.append(("Parapheur", folder.status_text))
        for step in folder.steps:
            name = folder.names.get(str(step.get("official_id")), "?")
            state = STEP_STATES.get(str(step.get("state")), "")
            comment = f" — « {step['comment']} »" if step.get("comment") else ""
            rows.append((f"{STEP_KIND_LABELS.get(str(step.get('kind')), '')} "
                         f"{step.get('position')}", f"{name} : {state}{comment}"))
        if folder.wished_date:
            rows.append(("Signature souhaitée", format_date_fr(folder.wished_date)))
        if folder.public_annotation:
            rows.append(("Annotation", folder.public_annotation))
        for label, attachment_id in (("PDF signé", folder.signed_attachment_id),
                                     ("Bordereau", folder.bordereau_attachment_id)):
            attachment = find_attachment(conn, attachment_id) if attachment_id else None
            if attachment is not None:
                rows.append((label, attachment.filename))
    if delivery is not None:
        rows.append(("Envoi", delivery.text))
    body = "".join(
        f"<tr><td class='k'>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows
    )
    return f"<h3>Réponse</h3><table cellspacing='0' cellpadding='2'>{body}</table>"

