"""The « Usager » window: identity and contact (editable, with the store's checks, saved
offline as ``citizen.upsert``), a duplicate banner, and the citizen's whole story in tabs —
requests, calls, messages, documents — across the communes the agent sees, newest first.

Another workspace adds its own tab with :meth:`CitizenWindow.add_tab` (e.g. the RGPD access
trail): the window knows nothing of what it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services.citizens import CitizenService
from desktop.store.citizens import CitizenStory
from desktop.store.database import StoreError
from desktop.views.citizen.duplicate_banner import DuplicateBanner
from desktop.views.citizen.identity_form import IdentityForm
from desktop.views.citizen.merge_dialog import MergeDialog
from desktop.views.dialog_parts import error_label
from desktop.views.formatting import duration_fr, numeric_moment_fr
from sync.protocol.vocabulary import CITIZEN_KIND_LABELS, STATUS_LABELS


def _day(moment: datetime) -> str:
    return f"{moment:%d/%m/%Y}"


def story_table(name: str, headers: Sequence[str], parent: QWidget) -> QTableWidget:
    """A read-only list of dated lines, one row each, sortable by nothing (newest first)."""
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[tuple[Sequence[str], int | None]]) -> None:
    """Each row's texts, and the request it belongs to (kept on the first cell)."""
    table.setRowCount(len(rows))
    for r, (texts, request_pk) in enumerate(rows):
        for c, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if c == 0 and request_pk is not None:
                item.setData(Qt.ItemDataRole.UserRole, request_pk)
            table.setItem(r, c, item)


class CitizenWindow(QWidget):
    """One citizen's file, in its own top-level window."""

    #: Double-click on a line of a request (or of something of a request): its pk.
    requestActivated = Signal(int)
    #: « Ouvrir » in the duplicate banner: the other citizen's pk.
    citizenRequested = Signal(int)
    #: The identity was saved or a merge was made: the bannette shows names.
    citizenChanged = Signal(int)

    def __init__(self, service: CitizenService, pk: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("citizen-window")
        self._service = service
        self.pk = service.load(pk).pk
        self.story: CitizenStory | None = None

        self.header = QLabel(self)
        self.header.setObjectName("citizen-header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.banner = DuplicateBanner(
            lambda authority, citizen, exclude: service.duplicates(authority, citizen, exclude),
            self,
        )
        self.banner.openRequested.connect(self.citizenRequested)
        self.banner.mergeRequested.connect(self.merge_with)

        identity_box = QGroupBox("Identité et coordonnées", self)
        self.form = IdentityForm(identity_box)
        self.error = error_label(identity_box, "citizen-error")
        self.save_button = QPushButton("&Enregistrer les modifications", identity_box)
        self.save_button.setObjectName("citizen-save")
        self.save_button.setToolTip("Enregistrer l'identité et les coordonnées (Ctrl+Entrée)")
        self.save_button.clicked.connect(self.save)
        self.form.changed.connect(self._on_edit)
        box_layout = QVBoxLayout(identity_box)
        box_layout.addWidget(self.form)
        box_layout.addWidget(self.error)
        box_layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)
        box_layout.addStretch(1)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)
        QShortcut(QKeySequence("Escape"), self, self.close)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("citizen-tabs")
        self.requests = story_table(
            "citizen-requests", ("N°", "Commune", "Reçue le", "Objet", "Statut"), self
        )
        self.calls = story_table(
            "citizen-calls", ("Le", "Commune", "Appelant", "Demande", "Durée", "Motif"), self
        )
        self.messages = story_table(
            "citizen-messages", ("Le", "Commune", "Demande", "Sens", "Objet"), self
        )
        self.documents = story_table(
            "citizen-documents", ("Le", "Commune", "Demande", "Type", "Fichier"), self
        )
        self._story_tabs = (
            (self.requests, "&Demandes"),
            (self.calls, "&Appels"),
            (self.messages, "Messa&ges"),
            (self.documents, "D&ocuments"),
        )
        for table, title in self._story_tabs:
            self.add_tab(title, table)
            table.cellDoubleClicked.connect(lambda row, _col, t=table: self._activate(t, row))

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(identity_box)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 680])
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self.resize(1120, 620)
        self.refresh()

    # --- extension point ------------------------------------------------------------------
    def add_tab(self, title: str, widget: QWidget) -> int:
        """Adds a tab after the story's (another workspace's view of this citizen, such as
        the RGPD access trail); returns its index. ``self.pk`` is the citizen shown."""
        widget.setParent(self.tabs)
        return self.tabs.addTab(widget, title)

    # --- showing --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reads the citizen and their story again (after a save, a merge or a sync)."""
        story = self._service.story(self.pk)
        self.pk = story.citizen.pk
        self.story = story
        record = story.citizen
        self.setWindowTitle(f"Usager — {record.display_name}")
        details = [CITIZEN_KIND_LABELS[record.kind], record.authority]
        elsewhere = ""
        if story.elsewhere:
            names = ", ".join(sorted({r.authority for r in story.elsewhere}))
            elsewhere = f"<br>Aussi connu dans : {escape(names)}"
        self.header.setText(
            f"<h2 style='margin:0'>{escape(record.display_name)}</h2>"
            f"{escape(' · '.join(details))}{elsewhere}"
        )
        self.form.set_value(record.identity)
        self.error.setVisible(False)
        self.save_button.setEnabled(False)
        _fill(
            self.requests,
            [
                (
                    (
                        r.number,
                        r.authority,
                        _day(r.received_at),
                        r.subject,
                        STATUS_LABELS[r.status],
                    ),
                    r.pk,
                )
                for r in story.requests
            ],
        )
        _fill(
            self.calls,
            [
                (
                    (
                        numeric_moment_fr(c.called_at),
                        c.authority,
                        c.caller_name,
                        c.request_number or "",
                        duration_fr(c.duration_seconds),
                        c.motive,
                    ),
                    c.request_pk,
                )
                for c in story.calls
            ],
        )
        _fill(
            self.messages,
            [
                (
                    (
                        numeric_moment_fr(m.at),
                        m.authority,
                        m.number,
                        "Reçu" if m.inbound else "Envoyé",
                        m.subject,
                    ),
                    m.request_pk,
                )
                for m in story.messages
            ],
        )
        _fill(
            self.documents,
            [
                ((_day(d.at), d.authority, d.number, d.kind, d.name), d.request_pk)
                for d in story.documents
            ],
        )
        counts = (len(story.requests), len(story.calls), len(story.messages), len(story.documents))
        for (table, title), count in zip(self._story_tabs, counts, strict=True):
            self.tabs.setTabText(self.tabs.indexOf(table), f"{title} ({count})")
        self._check_duplicates()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Back to this window: read again what a sync or another window may have changed
        (a merge undone by the server, a request moved), unless an edit is being typed."""
        super().changeEvent(event)
        if (
            event.type() == QEvent.Type.ActivationChange
            and self.isActiveWindow()
            and not self.save_button.isEnabled()
        ):
            try:
                self.refresh()
            except StoreError:
                self.close()  # the citizen was erased meanwhile

    def _check_duplicates(self) -> None:
        if self.story is not None:
            self.banner.check(self.story.citizen.authority_pk, self.form.value(), self.pk)

    def _on_edit(self) -> None:
        changed = self.story is not None and self.form.value() != self.story.citizen.identity
        self.save_button.setEnabled(changed)
        self._check_duplicates()

    def _activate(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        pk = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(pk, int):
            self.requestActivated.emit(pk)

    # --- acting ---------------------------------------------------------------------------
    def save(self) -> None:
        """Saves through the store; on refusal, says why in French and keeps what is typed."""
        try:
            changed = self._service.save(self.pk, self.form.value())
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        if changed:
            self.refresh()
            self.citizenChanged.emit(self.pk)

    def merge_with(self, other_pk: int) -> MergeDialog:
        dialog = MergeDialog(self._service, self.pk, other_pk, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._merged(dialog.merged_pk))
        dialog.open()
        return dialog

    def _merged(self, survivor_pk: int | None) -> None:
        if survivor_pk is not None:
            self.pk = survivor_pk
            self.refresh()
            self.citizenChanged.emit(self.pk)
