"""The selected request in full: summary, citizen, form fields, attachments and history.

Rendered as rich text in a QTextBrowser: it reads well, selects and copies like a document,
and costs one widget however many events the history holds.

Each attachment carries a link (``bannette-attachment:<id>``): « Ouvrir » when this PC holds
the file, « Télécharger » when only the server does. The pane only says which one was
clicked (``attachmentRequested``); ``desktop.views.attachments_ui`` opens or fetches it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from html import escape

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from desktop.documents import LetterKind
from desktop.domain.deadlines import LegalDates, working_days_late
from desktop.domain.due import describe
from desktop.domain.french import format_date_fr
from desktop.services.letters import LETTER_NAMES
from desktop.store.attachments import LocalAttachment
from desktop.store.inbox import AttachmentView, RequestDetail
from desktop.store.letters import LetterRecord
from desktop.store.phone_calls import CallView
from desktop.store.teamwork import event_text
from desktop.views.formatting import duration_fr, moment_fr, numeric_moment_fr, size_fr
from sync.protocol.vocabulary import (
    CHANNEL_LABELS,
    CITIZEN_KIND_LABELS,
    EVENT_LABELS,
    IMPLICIT_OUTCOMES,
    OUTCOME_LABELS,
    SEND_MODE_LABELS,
    SILENCE_RULE_LABELS,
    STATUS_LABELS,
    CitizenKind,
    EventKind,
    Outcome,
    SendMode,
    SilenceRule,
    Status,
)

UNIT_LABELS = {
    "days": ("jour", "jours"),
    "weeks": ("semaine", "semaines"),
    "months": ("mois", "mois"),
}
MEDIA_LABELS = {"application/pdf": "PDF", "image/jpeg": "Image JPEG", "image/png": "Image PNG"}
ATTACHMENT_SCHEME = "bannette-attachment"
#: « Retirer la pièce »: a file joined by mistake (``attachmentRemovalRequested``).
REMOVE_SCHEME = "bannette-attachment-remove"
#: « Aperçu »: the file shown inside the app (``attachmentPreviewRequested``).
PREVIEW_SCHEME = "bannette-attachment-preview"
#: « ouvrir la fiche » next to the citizen: the « Usager » window (desktop.views.citizen).
CITIZEN_SCHEME = "bannette-citizen"

STYLE = """
<style>
h2 { margin: 0 0 4px 0; }
h3 { margin: 14px 0 4px 0; color: #444; border-bottom: 1px solid #ccc; }
td.k { color: #555; padding-right: 12px; vertical-align: top; white-space: nowrap; }
td.kw { color: #555; padding-right: 12px; vertical-align: top; width: 40%; }
.muted { color: #666; }
.late { color: #842029; font-weight: bold; }
.ok { color: #0f5132; }
li { margin-bottom: 4px; }
</style>
"""


UNASSIGNED = ("Assignation", "Non assignée")

#: A label longer than this may wrap (a form field's label is the citizen's form's words):
#: kept on one line it would widen the label column and squeeze every value beside it.
LONG_LABEL = 24


def _label_cell(label: str) -> str:
    css = "kw" if len(label) > LONG_LABEL else "k"
    return f"<td class='{css}'>{escape(label)}</td>"


def _rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr>{_label_cell(k)}<td>{escape(v)}</td></tr>" for k, v in pairs if v
    )
    return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"


def _event_text(kind: str, detail: dict[str, object]) -> str:
    try:
        event_kind = EventKind(kind)
    except ValueError:
        return kind
    team = event_text(kind, detail)  # assignment, internal note, edit (desktop.store.teamwork)
    if team is not None:
        return team
    label = EVENT_LABELS[event_kind]
    if event_kind == EventKind.STATUS_CHANGED:
        before, after = str(detail.get("from", "")), str(detail.get("to", ""))
        try:
            return f"{label} : {STATUS_LABELS[Status(before)]} → {STATUS_LABELS[Status(after)]}"
        except ValueError:
            return label
    if event_kind == EventKind.OUTCOME_SET:
        try:
            return f"{label} : {OUTCOME_LABELS[Outcome(str(detail.get('outcome')))]}"
        except ValueError:
            return label
    if event_kind == EventKind.CREATED and "channel" in detail:
        return f"{label} ({CHANNEL_LABELS.get(detail['channel'], '')})"  # type: ignore[call-overload]
    if event_kind == EventKind.MISSING_DOCUMENTS_REQUESTED:
        documents = detail.get("documents") or []
        text = f"{label} : {', '.join(map(str, documents))}"  # type: ignore[call-overload]
        deadline = detail.get("deadline")
        if isinstance(deadline, str):
            text += f" (à fournir avant le {format_date_fr(date.fromisoformat(deadline))})"
        return text
    if event_kind == EventKind.MISSING_DOCUMENTS_RECEIVED and detail.get("received_on"):
        received = date.fromisoformat(str(detail["received_on"]))
        return f"{label} le {format_date_fr(received)} : le délai repart"
    if event_kind in (EventKind.ATTACHMENT_ADDED, EventKind.ATTACHMENT_REMOVED) and detail.get(
        "filename"
    ):
        return f"{label} : {detail['filename']}"
    if event_kind == EventKind.ATTACHMENT_REFUSED and detail.get("filename"):
        return f"{label} : {detail['filename']} — {detail.get('reason', '')}".rstrip(" —")
    if event_kind == EventKind.REGISTRATION_RECEIPT_SENT and detail.get("automatic"):
        return f"{label} (automatique)"
    if event_kind in (EventKind.ACKNOWLEDGEMENT_SENT, EventKind.REGISTRATION_RECEIPT_SENT):
        return label + _sending_text(detail)
    if event_kind == EventKind.LETTER_PRODUCED:
        try:
            name = LETTER_NAMES[LetterKind(str(detail.get("letter")))]
        except ValueError:
            return label
        edition = detail.get("edition")
        version = f" (version {edition})" if isinstance(edition, int) and edition > 1 else ""
        return f"{label} : {name}{version}"
    return label


def _sending_text(detail: dict[str, object]) -> str:
    """« le 24 novembre 2026 (courrier) » from a sending's day and mode, when recorded."""
    text = ""
    sent_on = detail.get("sent_on")
    if isinstance(sent_on, str):
        with contextlib.suppress(ValueError):
            text += f" le {format_date_fr(date.fromisoformat(sent_on))}"
    with contextlib.suppress(ValueError):
        text += f" ({SEND_MODE_LABELS[SendMode(str(detail.get('mode')))]})"
    return text


_BASIS = re.compile(r"\(([^()]*)\)\s*$")


def _basis(reason: str) -> str:
    """The legal basis at the end of a reason: « 1 jour ouvré, art. R112-11-1 CRPA ».

    The engine's reasons repeat the date, which the pane already shows in bold; in a narrow
    pane the basis alone reads better. The full sentence stays in the tooltip of the échéance.
    """
    match = _BASIS.search(reason)
    return match.group(1) if match else reason


def lateness_fr(due: date, done: date, department: str) -> str:
    """« en retard de 32 jours ouvrés » for a step done after its due day, "" when on time."""
    late = working_days_late(due, done, department)
    if not late:
        return ""
    return f"en retard de {late} jour{'s' if late > 1 else ''} ouvré{'s' if late > 1 else ''}"


def _sent(moment: datetime | None, due: date, department: str) -> tuple[str, bool]:
    """What the pane says of a letter sent at ``moment`` against its due day, and whether it
    was late: « envoyé le 1er décembre 2026, en retard de 32 jours ouvrés »."""
    if moment is None:
        return "", False
    late = lateness_fr(due, moment.date(), department)
    text = f"envoyé le {format_date_fr(moment.date())}"
    return (f"{text}, {late}", True) if late else (text, False)


def _legal_rows(legal: LegalDates, detail: RequestDetail, today: date) -> str:
    """The four legal dates: the date, what happens then, and the article that sets it."""
    department = detail.row.department

    def cell(
        when: date, what: str, reason: str, done: str = "", late_done: bool = False
    ) -> str:
        css = "late" if late_done or (not done and when < today) else ("ok" if done else "")
        head = f"<b class='{css}'>{escape(format_date_fr(when))}</b>"
        if what:
            head += f" — {escape(what)}"
        if done:
            mark = "late" if late_done else "ok"
            head += f" <span class='{mark}'>{'⚠' if late_done else '✓'} {escape(done)}</span>"
        return f"{head}<br><span class='muted'>{escape(_basis(reason))}</span>"

    if legal.registration_receipt_due is None:
        receipt = f"<span class='muted'>{escape(legal.registration_receipt_reason)}</span>"
    else:
        receipt = cell(
            legal.registration_receipt_due, "", legal.registration_receipt_reason,
            *_sent(detail.registration_receipt_at, legal.registration_receipt_due, department),
        )
    if legal.acknowledgement_due is None:
        acknowledgement = f"<span class='muted'>{escape(legal.acknowledgement_reason)}</span>"
    else:
        acknowledgement = cell(
            legal.acknowledgement_due, "", legal.acknowledgement_reason,
            *_sent(detail.acknowledged_at, legal.acknowledgement_due, department),
        )
    if legal.implicit_decision_date is None:
        reason = escape(legal.implicit_decision_reason)
        decision = (
            f"<b>{reason}</b>" if legal.suspended_since else f"<span class='muted'>{reason}</span>"
        )
    else:
        accept = legal.silence_rule == SilenceRule.ACCEPT
        outcome = detail.row.outcome
        decided = OUTCOME_LABELS[outcome].lower() if outcome in IMPLICIT_OUTCOMES else ""
        decision = cell(
            legal.implicit_decision_date,
            "" if decided else ("accord tacite" if accept else "rejet tacite"),
            legal.implicit_decision_reason,
            decided,
        )
    target = cell(
        legal.internal_target_due, "", legal.internal_target_reason,
        *_sent(detail.acknowledged_at, legal.internal_target_due, department),
    )
    rows = [
        ("Accusé d'enregistrement", receipt),
        ("Accusé de réception", acknowledgement),
        ("Décision implicite", decision),
        ("Objectif interne", target),
    ]
    cells = "".join(f"<tr><td class='k'>{escape(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table cellspacing='0' cellpadding='2'>{cells}</table>"


def attachment_url(attachment_id: str) -> str:
    return f"{ATTACHMENT_SCHEME}:{attachment_id}"


def _attachment_item(attachment: AttachmentView | LocalAttachment) -> str:
    """Name, type and size; with the local state, the link that opens or fetches it."""
    media = MEDIA_LABELS.get(attachment.media_type, attachment.media_type)
    head = (
        f"<b>{escape(attachment.filename)}</b> "
        f"<span class='muted'>— {escape(media)}, {size_fr(attachment.size)}</span>"
    )
    if not isinstance(attachment, LocalAttachment):
        return f"<li>{head}</li>"
    href = escape(attachment_url(attachment.id), quote=True)
    if attachment.cached:
        preview = escape(f"{PREVIEW_SCHEME}:{attachment.id}", quote=True)
        action = (f"<a href='{preview}'>Aperçu</a> · <a href='{href}'>Ouvrir</a> "
                  "<span class='ok'>· disponible hors ligne</span>")
    elif not attachment.on_server:  # a local-only row (the offline demonstration)
        action = "<span class='muted'>fichier absent de ce poste et du serveur</span>"
    else:
        action = f"<a href='{href}'>Télécharger</a> <span class='muted'>· sur le serveur</span>"
    if attachment.upload_pending:
        action += " <span class='muted'>· en attente d'envoi au serveur</span>"
    remove = escape(f"{REMOVE_SCHEME}:{attachment.id}", quote=True)
    action += f" · <a href='{remove}'>Retirer la pièce</a>"
    return f"<li>{head}<br>{action}</li>"


def _attachments_section(attachments: Sequence[AttachmentView | LocalAttachment]) -> list[str]:
    parts = [f"<h3>Pièces jointes ({len(attachments)})</h3>"]
    if attachments:
        parts.append(f"<ul>{''.join(_attachment_item(a) for a in attachments)}</ul>")
    else:
        parts.append("<p class='muted'>Aucune pièce jointe.</p>")
    return parts


def _call_row(call: CallView) -> str:
    facts = " · ".join(
        escape(part) for part in (call.phone_number, duration_fr(call.duration_seconds)) if part
    )
    agent = f" <span class='muted'>— {escape(call.agent)}</span>" if call.agent else ""
    motive = f"<br>{escape(call.motive).replace(chr(10), '<br>')}" if call.motive else ""
    return (
        f"<tr><td class='k'>{escape(numeric_moment_fr(call.called_at))}</td>"
        f"<td><b>{escape(call.caller_name)}</b> <span class='muted'>· {facts}</span>"
        f"{agent}{motive}</td></tr>"
    )


def calls_html(calls: Sequence[CallView]) -> str:
    """A request's calls as a section of the detail pane (its classes: ``k``, ``muted``)."""
    head = f"<h3>Appels téléphoniques ({len(calls)})</h3>"
    if not calls:
        return head + "<p class='muted'>Aucun appel téléphonique.</p>"
    rows = "".join(_call_row(call) for call in calls)
    return f"{head}<table cellspacing='0' cellpadding='2'>{rows}</table>"


def _acknowledgement_summary(detail: RequestDetail, legal: LegalDates | None) -> str:
    """When the acknowledgement was sent and, when that was after its due day, by how much:
    the legal delay for an electronic request, the mairie's own target otherwise."""
    sent = detail.acknowledged_at
    if sent is None:
        return _acknowledgement_text(detail)
    text = moment_fr(sent)
    if legal is None:
        return text
    department = detail.row.department
    if legal.acknowledgement_due is not None:
        late = lateness_fr(legal.acknowledgement_due, sent.date(), department)
        return f"{text} — {late} (délai légal)" if late else text
    late = lateness_fr(legal.internal_target_due, sent.date(), department)
    return f"{text} — {late} sur l'objectif interne" if late else text


def _letter_line(letter: LetterRecord, newer: int | None = None) -> tuple[str, str]:
    """(« Accusé de réception », « produit le … ; envoyé le … par courrier »); ``newer`` is
    the edition that replaced an unsent one."""
    name = LETTER_NAMES[LetterKind(letter.kind)]
    name = name[:1].upper() + name[1:]
    if letter.edition > 1:
        name += f" (version {letter.edition})"
    formats = "Word et PDF" if letter.pdf else "Word seulement"
    text = f"produit le {moment_fr(letter.produced_at)} ({formats})"
    if letter.sent_on is not None:
        mode = SEND_MODE_LABELS[letter.sent_mode] if letter.sent_mode else ""
        how = f" par {mode}" if letter.sent_mode in (SendMode.POST, SendMode.EMAIL) else (
            f", {mode}" if mode else "")
        text += f" ; envoyé le {format_date_fr(letter.sent_on)}{how}"
    elif newer is not None:
        text += f" ; remplacé par la version {newer}"
    else:
        text += " ; pas encore envoyé"
    return name, text


def letters_section(letters: Sequence[LetterRecord]) -> list[str]:
    if not letters:
        return []
    latest = {x.kind: x.edition for x in letters}
    for x in letters:
        latest[x.kind] = max(latest[x.kind], x.edition)
    lines = [
        _letter_line(x, latest[x.kind] if x.edition < latest[x.kind] else None) for x in letters
    ]
    return [f"<h3>Courriers ({len(letters)})</h3>", _rows(lines)]


def _acknowledgement_text(detail: RequestDetail) -> str:
    """The summary's « Accusé de réception »: sent, or produced and waiting to leave."""
    if detail.acknowledged_at is not None:
        return moment_fr(detail.acknowledged_at)
    produced = [x for x in detail.letters if x.kind == LetterKind.ACKNOWLEDGEMENT.value]
    if produced:
        return f"produit le {format_date_fr(produced[-1].produced_at.date())}, pas encore envoyé"
    return "—"


def render_detail(
    detail: RequestDetail,
    today: date,
    legal: LegalDates | None = None,
    attachments: Sequence[LocalAttachment] | None = None,
    calls: Sequence[CallView] | None = None,
    extra: str = "",
) -> str:
    """The request as rich text. ``attachments`` (with their local state) adds the « Ouvrir »
    and « Télécharger » links; without it the attachments are listed by name only."""
    row = detail.row
    status = STATUS_LABELS[row.status]
    if row.outcome:
        status += f" — {OUTCOME_LABELS[row.outcome]}"
    unit_singular, unit_plural = UNIT_LABELS.get(detail.period_unit, ("", ""))
    rule = SilenceRule(detail.silence_rule)
    rule_text = SILENCE_RULE_LABELS[rule]
    if rule != SilenceRule.NONE:
        unit = unit_singular if detail.period == 1 else unit_plural
        rule_text += f" ({detail.period} {unit})"
    summary = [
        ("Reçue le", moment_fr(row.received_at)),
        ("Canal", CHANNEL_LABELS[row.channel]),
        ("Démarche", row.procedure),
        ("Règle de silence", rule_text),
        ("Commune", row.authority),
        ("Statut", status),
        ("Attribuée à", detail.assigned_to) if detail.assigned_to else UNASSIGNED,
        (
            "Accusé d'enregistrement",
            moment_fr(detail.registration_receipt_at) if detail.registration_receipt_at else "",
        ),
        ("Accusé de réception", _acknowledgement_summary(detail, legal)),
        ("Échéance", describe(row.due_kind, row.due_date)),
    ]
    for asked, received, documents in detail.missing_documents:
        # The date goes with the value: in the label it made the label column as wide as the
        # pane and squeezed every value to one word per line.
        state = f"reçues le {format_date_fr(received)}" if received else "en attente"
        summary.append(
            ("Pièces demandées", f"le {format_date_fr(asked)} : {', '.join(documents)} ({state})")
        )

    c = detail.citizen
    identity: list[tuple[str, str]] = [("Type", CITIZEN_KIND_LABELS[c.kind])]
    if c.kind == CitizenKind.PERSON:
        identity += [("Nom", c.last_name.upper()), ("Prénom", c.first_name)]
    else:
        identity += [("Raison sociale", c.organisation)]
        identity += [("N° RNA", c.rna), ("SIRET", c.siret)]
        identity += [("Contact", f"{c.first_name} {c.last_name}".strip())]
    identity += [
        ("Adresse", f"{c.address}, {c.postcode} {c.city}".strip(", ")),
        ("Courriel", c.email),
        ("Téléphone", c.phone),
    ]

    parts = [
        STYLE,
        f"<h2>{escape(row.reference)} — {escape(row.subject)}</h2>",
        _rows(summary),
        extra,  # what other workspaces add (the reply and its parapheur folder)
    ]
    if legal is not None:
        parts += ["<h3>Délais légaux</h3>", _legal_rows(legal, detail, today)]
    parts += letters_section(detail.letters)
    parts += [
        f"<h3>Usager <a href='{CITIZEN_SCHEME}:fiche' style='font-size:small;"
        "font-weight:normal'>(ouvrir la fiche)</a></h3>",
        _rows(identity),
    ]
    if detail.body:
        parts += ["<h3>Message</h3>", f"<p>{escape(detail.body)}</p>"]
    if detail.form_fields:
        parts += ["<h3>Champs du formulaire</h3>", _rows(list(detail.form_fields.items()))]
    parts += _attachments_section(detail.attachments if attachments is None else attachments)
    if calls is not None:
        parts.append(calls_html(calls))
    parts.append(f"<h3>Historique ({len(detail.events)})</h3>")
    history = "".join(
        f"<tr><td class='k'>{escape(moment_fr(e.at))}</td>"
        f"<td>{escape(_event_text(e.kind, e.detail))}"
        f"{' <span class=muted>— ' + escape(e.agent) + '</span>' if e.agent else ''}</td></tr>"
        for e in detail.events
    )
    parts.append(f"<table cellspacing='0' cellpadding='2'>{history}</table>")
    return "".join(parts)


AttachmentSource = Callable[[int], Sequence[LocalAttachment]]
CallSource = Callable[[int], Sequence[CallView]]


class DetailPane(QTextBrowser):
    """Shows one request; empty with a hint when nothing is selected."""

    EMPTY = "<p style='color:#666'>Sélectionnez une demande pour afficher son détail.</p>"

    #: « Ouvrir » or « Télécharger » clicked: the attachment's id.
    attachmentRequested = Signal(str)
    #: « Retirer la pièce » clicked: the attachment's id.
    attachmentRemovalRequested = Signal(str)
    #: « Aperçu » clicked: the attachment's id.
    attachmentPreviewRequested = Signal(str)
    #: The request now shown (its pk), or None when the pane is empty.
    requestShown = Signal(object)
    #: A link of another workspace's section (« Écrire à l'usager… »), from this pane or a
    #: pane that mirrors it.
    otherLinkClicked = Signal(QUrl)
    #: « ouvrir la fiche » of the citizen clicked: the request's pk (the citizen's window).
    citizenRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail")
        self.setOpenLinks(False)
        self.shown_pk: int | None = None
        self._attachments: AttachmentSource | None = None
        self._calls: CallSource | None = None
        self._extra: Callable[[int], str] | None = None
        self._shown: tuple[RequestDetail, date, LegalDates | None] | None = None
        #: Called with each pane that mirrors this one (a request's own window), so that it
        #: takes what this one takes (files dropped on it).
        self.on_mirrored: list[Callable[[DetailPane], object]] = []
        self.anchorClicked.connect(self._on_anchor)
        self.setHtml(self.EMPTY)

    def set_attachment_source(self, source: AttachmentSource | None) -> None:
        """Where the attachments' local state comes from (a store query bound to the window's
        connection); with one, each attachment gets its « Ouvrir » / « Télécharger » link."""
        self._attachments = source
        self.refresh_attachments()

    def mirror(self, other: DetailPane) -> None:
        """Shows what ``other`` shows of a request (attachments' local state, calls), and hands
        its attachment links to ``other``'s listeners (the request's own window)."""
        self._attachments, self._calls = other._attachments, other._calls  # noqa: SLF001
        self._extra = other._extra  # noqa: SLF001
        self.attachmentRequested.connect(other.attachmentRequested)
        self.attachmentRemovalRequested.connect(other.attachmentRemovalRequested)
        self.attachmentPreviewRequested.connect(other.attachmentPreviewRequested)
        for hook in other.on_mirrored:
            hook(self)
        self.otherLinkClicked.connect(other.otherLinkClicked)
        self.citizenRequested.connect(other.citizenRequested)

    def set_extra_source(self, source: Callable[[int], str] | None) -> None:
        """Rich text added under the summary for each request (the reply's state)."""
        self._extra = source
        self.refresh_attachments()

    def add_extra_source(self, source: Callable[[int], str]) -> None:
        """Another workspace's section under the summary, after those already there (the
        reply's state, then the thread of messages)."""
        previous = self._extra
        self._extra = source if previous is None else (lambda pk: previous(pk) + source(pk))
        self.refresh_attachments()

    def set_call_source(self, source: CallSource | None) -> None:
        """Where the request's phone calls come from; with one, the pane lists them."""
        self._calls = source
        self.refresh_attachments()

    def refresh_attachments(self) -> None:
        """Render again what is shown: a file arrived in the cache or left for the server."""
        if self._shown is not None:
            self._render(*self._shown, keep_position=True)

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == ATTACHMENT_SCHEME and url.path():
            self.attachmentRequested.emit(url.path())
        elif url.scheme() == REMOVE_SCHEME and url.path():
            self.attachmentRemovalRequested.emit(url.path())
        elif url.scheme() == PREVIEW_SCHEME and url.path():
            self.attachmentPreviewRequested.emit(url.path())
        elif url.scheme() == CITIZEN_SCHEME and self.shown_pk is not None:
            self.citizenRequested.emit(self.shown_pk)
        else:
            self.otherLinkClicked.emit(url)

    def show_detail(
        self,
        pk: int | None,
        detail: RequestDetail | None,
        today: date,
        legal: LegalDates | None = None,
    ) -> None:
        same = detail is not None and pk == self.shown_pk
        self.shown_pk = pk if detail is not None else None
        self._shown = (detail, today, legal) if detail is not None else None
        if detail is None:
            self.setHtml(self.EMPTY)
        else:
            self._render(detail, today, legal, keep_position=same)
        self.requestShown.emit(self.shown_pk)

    def _render(
        self, detail: RequestDetail, today: date, legal: LegalDates | None, *,
        keep_position: bool,
    ) -> None:
        local = calls = None
        extra = ""
        if self.shown_pk is not None:
            local = self._attachments(self.shown_pk) if self._attachments else None
            calls = self._calls(self.shown_pk) if self._calls else None
            extra = self._extra(self.shown_pk) if self._extra else ""
        # setHtml scrolls back to the top: the same request re-rendered keeps its place.
        position = self.verticalScrollBar().value()
        self.setHtml(render_detail(detail, today, legal, local, calls, extra))
        if keep_position:
            self.verticalScrollBar().setValue(position)
