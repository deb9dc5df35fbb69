"""« Échanges avec l'usager »: the request's thread as a section of the detail pane.

Oldest first, like a mail conversation read top to bottom: each reply sits under what it
answers, and the link « Écrire à l'usager » comes right after the latest message. Each message
says when (the commune's clock), which way, by which channel, who wrote it, its subject and
text, its files (the pane's own « bannette-attachment » links: they open through the same
file opener as the request's attachments) and, for an e-mail that leaves, where it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from desktop.store.messages import ThreadMessage
from desktop.views.detail_pane import attachment_url
from desktop.views.formatting import numeric_moment_fr

#: The pane's links that belong to the thread (``bannette-thread:write-<request pk>``).
THREAD_SCHEME = "bannette-thread"
WRITE_PREFIX = "write-"
#: The section's anchor in the pane (``scrollToAnchor``).
ANCHOR = "echanges"
INCOMING_BACKGROUND = "#e8f0fb"
OUTGOING_BACKGROUND = "#f3f3f3"


def _state_html(message: ThreadMessage) -> str:
    state = message.state
    if not state:
        return ""
    css = "late" if message.delivery == "failed" else (
        "ok" if message.delivery in ("sent", "posted") else "muted")
    what = f"Courriel à {escape(message.to_email)} : " if message.to_email else ""
    if message.failure and message.delivery is None:
        css = "late"
    return f"<br><span class='{css}'>{what}{escape(state)}</span>"


def _files_html(message: ThreadMessage, names: Mapping[str, str]) -> str:
    if not message.attachment_ids:
        return ""
    links = []
    for attachment_id in message.attachment_ids:
        name = names.get(attachment_id)
        if name is None:
            links.append("<span class='muted'>pièce retirée de la demande</span>")
        else:
            href = escape(attachment_url(attachment_id), quote=True)
            links.append(f"<a href='{href}'>{escape(name)}</a>")
    label = "Pièce jointe" if len(links) == 1 else "Pièces jointes"
    return f"<br><span class='muted'>{label} :</span> " + " · ".join(links)


def message_html(message: ThreadMessage, names: Mapping[str, str]) -> str:
    way = "Reçu de l'usager" if message.incoming else "Envoyé à l'usager"
    facts = [escape(numeric_moment_fr(message.at)), escape(message.channel_label)]
    if message.agent:
        facts.append(escape(message.agent))
    new = " <span class='late'>· nouveau</span>" if message.unread else ""
    body = escape(message.body).replace("\n", "<br>") if message.body else (
        "<span class='muted'>(sans texte)</span>")
    subject = escape(message.subject) or "<span class='muted'>(sans objet)</span>"
    background = INCOMING_BACKGROUND if message.incoming else OUTGOING_BACKGROUND
    return (
        f"<table width='100%' cellspacing='0' cellpadding='6' bgcolor='{background}' "
        f"style='margin-bottom: 6px;'><tr><td>"
        f"<b>{way}</b> <span class='muted'>— {' · '.join(facts)}</span>{new}<br>"
        f"<b>{subject}</b><br>{body}"
        f"{_files_html(message, names)}{_state_html(message)}"
        f"</td></tr></table>"
    )


def write_url(request_pk: int) -> str:
    return f"{THREAD_SCHEME}:{WRITE_PREFIX}{request_pk}"


def thread_html(messages: Sequence[ThreadMessage], names: Mapping[str, str],
                email: str, request_pk: int) -> str:
    """The section; ``names`` gives the file name of each attachment id still joined to the
    request, ``email`` the citizen's address (empty: say so and offer other means)."""
    unread = sum(1 for m in messages if m.unread)
    count = f"{len(messages)} — {unread} nouveau{'x' if unread > 1 else ''}" if unread \
        else str(len(messages))
    parts = [f"<h3><a name='{ANCHOR}'></a>Échanges avec l'usager ({count})</h3>"]
    if not messages:
        parts.append("<p class='muted'>Aucun message échangé avec l'usager.</p>")
    parts += [message_html(m, names) for m in messages]
    write = f"<a href='{write_url(request_pk)}'>Écrire à l'usager…</a>"
    if email:
        parts.append(f"<p>{write} <span class='muted'>(courriel à {escape(email)})</span></p>")
    else:
        parts.append(f"<p>{write} <span class='muted'>— l'usager n'a pas d'adresse "
                     "électronique : consignez un échange par courrier, téléphone ou au "
                     "guichet</span></p>")
    return "".join(parts)
