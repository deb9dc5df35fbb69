"""« Mon parapheur »: what waits for the élu who is logged in.

Folders whose next step is theirs (oldest first, late ones marked), the PDF page by page with
zoom, the annotations, and large « Viser », « Signer », « Rejeter » buttons (a comment is
mandatory to reject); below, « Demandes à examiner »: requests a secrétaire flagged for their
opinion, where they give an avis. Every decision is applied here and queued: an élu working
offline at home sees it done at once, and the server hears of it, in order, at the next sync.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.french import format_date_fr
from desktop.store.attachments import find_attachment
from desktop.store.database import StoreError
from desktop.store.replies import (
    OPINIONS,
    STEP_KIND_LABELS,
    Folder,
    OpinionAsked,
    decide,
    folders_waiting_for,
    give_opinion,
    opinions_asked_of,
)
from desktop.store.sync_store import blob_path
from desktop.views.dialog_parts import error_label
from desktop.views.widgets.pdf_viewer import PdfViewer

LATE = QBrush(QColor("#842029"))
DONE_TEXTS = {"visa": "Dossier visé", "sign": "Dossier signé", "reject": "Dossier rejeté"}
BIG = "QPushButton { font-size: 15pt; padding: 10px 22px; }"


def folder_text(folder: Folder, today: date) -> str:
    step = folder.waiting_step or {}
    kind = STEP_KIND_LABELS.get(str(step.get("kind")), "")
    late = "En retard — " if folder.late(today) else ""
    wished = f" · souhaitée le {format_date_fr(folder.wished_date)}" if folder.wished_date else ""
    return (f"{late}{folder.request_number or folder.title}\n"
            f"{kind} · reçu le {format_date_fr(folder.created_at.date())}{wished}")


class OfficialDesk(QWidget):
    """The élu's desk over the GUI thread's connection."""

    #: A decision or an avis was recorded (the request's pk, or None): the window refreshes.
    changed = Signal(object)
    #: What the status bar says once a decision is recorded.
    decided = Signal(str)
    #: Starts the download of an attachment (id, sha256) and says whether it could; set by
    #: the window when it syncs with a server. The PDF then shows by itself (``arrived``).
    fetch: Callable[[str, str], bool] | None = None

    def __init__(self, conn: sqlite3.Connection, agent_id: str, *,
                 today: Callable[[], date], now: Callable[[], datetime],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("official-desk")
        self._conn, self._agent_id, self._today, self._now = conn, agent_id, today, now

        self.folders = QListWidget(self)
        self.folders.setObjectName("desk-folders")
        self.reviews = QListWidget(self)
        self.reviews.setObjectName("desk-reviews")
        for entries in (self.folders, self.reviews):
            entries.setWordWrap(True)
            entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            entries.setSpacing(3)
        self.folders_title = QLabel(self)
        self.reviews_title = QLabel(self)
        for title in (self.folders_title, self.reviews_title):
            title.setStyleSheet("font-weight: bold; font-size: 11pt;")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.folders_title)
        left_layout.addWidget(self.folders, 2)
        left_layout.addWidget(self.reviews_title)
        left_layout.addWidget(self.reviews, 1)

        # --- a folder ---
        folder_page = QWidget(self)
        self.title = QLabel(folder_page)
        self.title.setObjectName("desk-title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.annotations = QLabel(folder_page)
        self.annotations.setObjectName("desk-annotations")
        self.annotations.setWordWrap(True)
        self.document = QComboBox(folder_page)
        self.document.setObjectName("desk-document")
        self.document.setToolTip("Le document à signer et ses annexes")
        self.viewer = PdfViewer(folder_page)
        self.comment = QPlainTextEdit(folder_page)
        self.comment.setObjectName("desk-comment")
        self.comment.setPlaceholderText("Commentaire (obligatoire pour rejeter)")
        self.comment.setMaximumHeight(70)
        self.visa_button = QPushButton("Viser", folder_page)
        self.visa_button.setObjectName("desk-visa")
        self.sign_button = QPushButton("Signer", folder_page)
        self.sign_button.setObjectName("desk-sign")
        self.reject_button = QPushButton("Rejeter", folder_page)
        self.reject_button.setObjectName("desk-reject")
        for button in (self.visa_button, self.sign_button, self.reject_button):
            button.setStyleSheet(BIG)
        self.sign_button.setStyleSheet(BIG + "QPushButton:enabled { background: #1e6b3a; "
                                       "color: white; }")
        self.folder_error = error_label(folder_page, "desk-error")
        actions = QHBoxLayout()
        actions.addWidget(self.visa_button)
        actions.addWidget(self.sign_button)
        actions.addStretch(1)
        actions.addWidget(self.reject_button)
        folder_layout = QVBoxLayout(folder_page)
        folder_layout.addWidget(self.title)
        folder_layout.addWidget(self.annotations)
        folder_layout.addWidget(self.document)
        folder_layout.addWidget(self.viewer, 1)
        folder_layout.addWidget(self.comment)
        folder_layout.addWidget(self.folder_error)
        folder_layout.addLayout(actions)

        # --- a request to review ---
        review_page = QWidget(self)
        self.review_title = QLabel(review_page)
        self.review_title.setObjectName("review-title")
        self.review_title.setWordWrap(True)
        self.review_title.setStyleSheet("font-size: 12pt;")
        self.opinion = QComboBox(review_page)
        self.opinion.setObjectName("review-opinion")
        for key, label in OPINIONS.items():
            self.opinion.addItem(label, key)
        self.opinion_comment = QPlainTextEdit(review_page)
        self.opinion_comment.setObjectName("review-comment")
        self.opinion_comment.setPlaceholderText("Votre avis, en quelques mots")
        self.opinion_button = QPushButton("Donner mon avis", review_page)
        self.opinion_button.setObjectName("review-give")
        self.opinion_button.setStyleSheet(BIG)
        self.review_error = error_label(review_page, "review-error")
        review_layout = QVBoxLayout(review_page)
        review_layout.addWidget(self.review_title)
        review_layout.addWidget(QLabel("Avis :", review_page))
        review_layout.addWidget(self.opinion)
        review_layout.addWidget(self.opinion_comment, 1)
        review_layout.addWidget(self.review_error)
        review_layout.addWidget(self.opinion_button, 0, Qt.AlignmentFlag.AlignRight)

        self.empty = QLabel("Rien ne vous attend. Bonne journée !", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(folder_page)
        self.stack.addWidget(review_page)
        self._folder_page, self._review_page = folder_page, review_page
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setSizes([360, 900])
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)

        self.folders.currentRowChanged.connect(self._show_folder)
        self.document.currentIndexChanged.connect(
            lambda _index: self._show_document(self.shown_document() or "")
        )
        self.reviews.currentRowChanged.connect(self._show_review)
        self.visa_button.clicked.connect(lambda: self.decide("visa"))
        self.sign_button.clicked.connect(lambda: self.decide("sign"))
        self.reject_button.clicked.connect(lambda: self.decide("reject"))
        self.opinion_button.clicked.connect(self.give)
        self.refresh()

    # --- lists ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reads the lists again, keeping the folder on screen when it still waits."""
        shown = self.current_folder()
        today = self._today()
        folders = folders_waiting_for(self._conn, self._agent_id)
        reviews = opinions_asked_of(self._conn, self._agent_id)
        self.folders.blockSignals(True)
        self.reviews.blockSignals(True)
        self.folders.clear()
        self.reviews.clear()
        for folder in folders:
            item = QListWidgetItem(folder_text(folder, today))
            item.setData(Qt.ItemDataRole.UserRole, folder)
            if folder.late(today):
                item.setForeground(LATE)
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.folders.addItem(item)
        for asked in reviews:
            item = QListWidgetItem(f"{asked.number} — {asked.subject}\n{asked.citizen}")
            item.setData(Qt.ItemDataRole.UserRole, asked)
            self.reviews.addItem(item)
        self.folders.blockSignals(False)
        self.reviews.blockSignals(False)
        self.folders_title.setText(f"Dossiers à viser ou signer ({len(folders)})")
        self.reviews_title.setText(f"Demandes à examiner ({len(reviews)})")
        if folders:
            ids = [f.id for f in folders]
            row = ids.index(shown.id) if shown is not None and shown.id in ids else 0
            # The folder on screen stays as it is (its comment half typed, its zoom), unless
            # its document is still to be shown (it was being downloaded).
            if shown is not None and shown.id in ids and self.viewer.path is not None and \
                    self.stack.currentWidget() is self._folder_page:
                self.folders.blockSignals(True)
                self.folders.setCurrentRow(row)
                self.folders.blockSignals(False)
            else:
                self.folders.setCurrentRow(row)
                self._show_folder(row)
        elif reviews:
            self.reviews.setCurrentRow(0)
            self._show_review(0)
        else:
            self.stack.setCurrentWidget(self.empty)

    def current_folder(self) -> Folder | None:
        item = self.folders.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _show_folder(self, row: int) -> None:
        if row < 0:
            return
        self.reviews.blockSignals(True)
        self.reviews.setCurrentRow(-1)
        self.reviews.blockSignals(False)
        folder: Folder = self.folders.item(row).data(Qt.ItemDataRole.UserRole)
        self.stack.setCurrentWidget(self._folder_page)
        self.folder_error.setVisible(False)
        self.comment.clear()
        self.title.setText(folder.title)
        notes = []
        if folder.public_annotation:
            notes.append(f"<b>Annotation :</b> {_html(folder.public_annotation)}")
        if folder.private_annotation:
            notes.append(f"<b>Annotation privée :</b> {_html(folder.private_annotation)}")
        done = [s for s in folder.steps if s.get("state") == "done"]
        for step in done:
            name = folder.names.get(str(step.get("official_id")), "?")
            notes.append(f"{STEP_KIND_LABELS.get(str(step.get('kind')), '')} de {_html(name)}"
                         + (f" : {_html(step['comment'])}" if step.get("comment") else ""))
        self.annotations.setText("<br>".join(notes) or "Aucune annotation.")
        step = folder.waiting_step or {}
        visa = step.get("kind") == "visa"
        self.visa_button.setVisible(visa)
        self.sign_button.setVisible(not visa)
        self.document.blockSignals(True)
        self.document.clear()
        for index, attachment_id in enumerate([folder.main_attachment_id, *folder.annex_ids]):
            attachment = find_attachment(self._conn, attachment_id)
            name = attachment.filename if attachment is not None else "pièce inconnue"
            label = f"À signer : {name}" if index == 0 else f"Annexe : {name}"
            self.document.addItem(label, attachment_id)
        self.document.blockSignals(False)
        self.document.setVisible(self.document.count() > 1)
        self._show_document(folder.main_attachment_id)

    def shown_document(self) -> str | None:
        """The attachment on screen: the one chosen in the list of the folder's documents."""
        data = self.document.currentData()
        return str(data) if data is not None else None

    def _show_document(self, attachment_id: str) -> None:
        attachment = find_attachment(self._conn, attachment_id)
        if attachment is not None and attachment.cached:
            self.viewer.load(blob_path(self._conn, attachment.sha256))
        elif attachment is not None and self.fetch is not None and self.fetch(
            attachment.id, attachment.sha256
        ):
            self.viewer.clear(f"Téléchargement de « {attachment.filename} »…")
        else:
            self.viewer.clear("Le document n'est pas encore sur ce poste : synchronisez (F5) "
                              "pour le recevoir.")

    def download_failed(self, attachment_id: str, message: str) -> None:
        if self.shown_document() == attachment_id:
            self.viewer.clear(f"Le document n'a pas pu être téléchargé. {message}")

    def arrived(self, attachment_id: str, _path: str = "") -> None:
        """A download finished: shown at once if it is the document on screen."""
        if self.shown_document() == attachment_id:
            self._show_document(attachment_id)

    def _show_review(self, row: int) -> None:
        if row < 0:
            return
        self.folders.blockSignals(True)
        self.folders.setCurrentRow(-1)
        self.folders.blockSignals(False)
        asked: OpinionAsked = self.reviews.item(row).data(Qt.ItemDataRole.UserRole)
        self.stack.setCurrentWidget(self._review_page)
        self.review_error.setVisible(False)
        self.opinion_comment.clear()
        who = f" par {asked.asked_by}" if asked.asked_by else ""
        question = f"<p><i>« {_html(asked.question)} »</i></p>" if asked.question else ""
        self.review_title.setText(
            f"<b>{_html(asked.number)} — {_html(asked.subject)}</b><br>{_html(asked.citizen)}"
            f"<p>Avis demandé le {format_date_fr(asked.asked_at.date())}{_html(who)}.</p>"
            f"{question}"
        )

    # --- decisions --------------------------------------------------------------------------
    def decide(self, action: str) -> bool:
        folder = self.current_folder()
        if folder is None or folder.waiting_step is None:
            return False
        comment = self.comment.toPlainText().strip()
        if action == "reject" and not comment:
            self._folder_error("Un rejet doit être motivé : écrivez un commentaire.")
            self.comment.setFocus()
            return False
        try:
            decide(self._conn, folder.id, position=int(folder.waiting_step["position"]),
                   action=action, comment=comment or None, agent_id=self._agent_id,
                   at=self._now())
        except StoreError as exc:
            self._folder_error(str(exc))
            return False
        self.changed.emit(folder.request_pk)
        self.decided.emit(f"{DONE_TEXTS[action]} : la décision partira à la prochaine "
                          "synchronisation.")
        self.refresh()
        return True

    def give(self) -> bool:
        item = self.reviews.currentItem()
        if item is None:
            return False
        asked: OpinionAsked = item.data(Qt.ItemDataRole.UserRole)
        try:
            give_opinion(self._conn, asked.request_pk, asked.ask_id,
                         str(self.opinion.currentData()), self.opinion_comment.toPlainText(),
                         agent_id=self._agent_id, at=self._now())
        except StoreError as exc:
            self.review_error.setText(str(exc))
            self.review_error.setVisible(True)
            return False
        self.changed.emit(asked.request_pk)
        self.refresh()
        return True

    def _folder_error(self, text: str) -> None:
        self.folder_error.setText(text)
        self.folder_error.setVisible(True)


def _html(text: str) -> str:
    from html import escape

    return escape(text)
