"""« Administration › Démarches »: the commune's procedures catalogue.

The list on the left (retired ones greyed), the procedure on the right: code, title, silence
rule, period and unit, required documents and reply templates (one per line). « Retirer » keeps
the procedure on the requests that use it and takes it out of the intake's choices; nothing is
ever deleted. A new silence rule or period applies to requests received from then on, and the
form says so before saving.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.models.procedures_model import ProceduresModel
from desktop.store.commune_admin import (
    ProcedureEntry,
    blank_procedure,
    catalogue,
    save_procedure,
    set_active,
)
from desktop.store.database import StoreError
from desktop.store.teamwork import services
from desktop.views.admin.parts import line_edit, list_table, open_checked, saved_locally
from desktop.views.detail_pane import UNIT_LABELS
from desktop.views.dialog_parts import error_label, save_shortcuts
from sync.protocol.vocabulary import SILENCE_RULE_LABELS, PeriodUnit, SilenceRule

NEW_REQUESTS_ONLY = (
    "Un changement de règle ou de délai ne vaut que pour les demandes reçues à partir de "
    "l'enregistrement : les demandes déjà reçues gardent leur délai."
)


def _lines(edit: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(line.strip() for line in edit.toPlainText().splitlines() if line.strip())


class ProceduresDialog(QDialog):
    def __init__(
        self, conn: sqlite3.Connection, authority_pk: int, agent_id: str | None, *,
        commune: str = "", on_saved: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._conn = conn
        self._pk = authority_pk
        self._agent_id = agent_id
        self._on_saved = on_saved
        self._current: ProcedureEntry = blank_procedure()
        self.setObjectName("procedures-dialog")
        self.setWindowTitle(f"Démarches — {commune}" if commune else "Démarches")
        self.resize(1240, 620)
        self.model = ProceduresModel(parent=self)
        self.table = list_table(self, self.model, "procedures-table",
                                {2: 200, 3: 90, 4: 80, 5: 70})
        self.table.setColumnHidden(1, True)  # the code is in the form

        form_page = QWidget(self)
        form = QFormLayout(form_page)
        self.name = line_edit(form_page, "procedure-name")
        self.code = line_edit(form_page, "procedure-code", placeholder="ex. occupation-terrasse")
        self.rule = QComboBox(form_page)
        self.rule.setObjectName("procedure-rule")
        for rule in SilenceRule:
            self.rule.addItem(SILENCE_RULE_LABELS[rule], rule.value)
        self.period = QSpinBox(form_page)
        self.period.setObjectName("procedure-period")
        self.period.setRange(1, 365)
        self.unit = QComboBox(form_page)
        self.unit.setObjectName("procedure-unit")
        for unit in PeriodUnit:
            self.unit.addItem(UNIT_LABELS[unit.value][1], unit.value)
        delay = QHBoxLayout()
        delay.addWidget(self.period)
        delay.addWidget(self.unit, 1)
        self.documents = QPlainTextEdit(form_page)
        self.documents.setObjectName("procedure-documents")
        self.documents.setPlaceholderText("Une pièce par ligne")
        self.templates = QPlainTextEdit(form_page)
        self.templates.setObjectName("procedure-templates")
        self.templates.setPlaceholderText("Un modèle de réponse par ligne (nom du fichier .docx)")
        self.templates.setMaximumHeight(70)
        self.service = QComboBox(form_page)
        self.service.setObjectName("procedure-service")
        self._services = services(conn, [authority_pk])
        self.note = QLabel(NEW_REQUESTS_ONLY, form_page)
        self.note.setObjectName("period-note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #664d03; background: #fff3cd; padding: 4px;")
        form.addRow("&Intitulé :", self.name)
        form.addRow("&Code :", self.code)
        form.addRow("&Silence de l'administration :", self.rule)
        form.addRow("Délai :", delay)
        form.addRow("", self.note)
        form.addRow("&Pièces à fournir :", self.documents)
        form.addRow("&Modèles de réponse :", self.templates)
        form.addRow("Service par dé&faut :", self.service)
        hint = QLabel("Les nouvelles demandes de cette démarche lui sont attribuées dès leur "
                      "enregistrement (l'agent peut ensuite les attribuer autrement).", form_page)
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.state = QLabel(form_page)
        self.state.setObjectName("procedure-state")
        self.state.setWordWrap(True)
        form.addRow("", self.state)
        self.error = error_label(form_page, "procedure-error")
        form.addRow("", self.error)

        self.new_button = QPushButton("&Nouvelle démarche", self)
        self.new_button.setObjectName("new-procedure")
        self.save_button = QPushButton("&Enregistrer", self)
        self.save_button.setObjectName("save-procedure")
        self.retire_button = QPushButton("&Retirer", self)
        self.retire_button.setObjectName("retire-procedure")
        close = QPushButton("&Fermer", self)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.retire_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(form_page)
        splitter.setSizes([720, 500])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self.save)
        self.retire_button.clicked.connect(self.toggle_active)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        for signal in (self.period.valueChanged, self.unit.currentIndexChanged,
                       self.rule.currentIndexChanged):
            signal.connect(self._show_note)
        self.rule.currentIndexChanged.connect(self._period_needed)
        save_shortcuts(self, self.save)
        self.reload()

    # --- list ---------------------------------------------------------------------------------
    def reload(self, select_pk: int | None = None) -> None:
        self.model.set_rows(catalogue(self._conn, self._pk))
        row = self.model.row_of(select_pk)
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        else:
            self.start_new()

    def _selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in selected.indexes()}
        entry = self.model.entry(min(rows)) if rows else None
        if entry is not None:
            self.show_entry(entry)

    # --- form ---------------------------------------------------------------------------------
    def show_entry(self, entry: ProcedureEntry) -> None:
        self._current = entry
        self.name.setText(entry.name)
        self.code.setText(entry.code)
        self.rule.setCurrentIndex(self.rule.findData(entry.silence_rule.value))
        self.period.setValue(entry.period)
        self.unit.setCurrentIndex(self.unit.findData(entry.unit.value))
        self.documents.setPlainText("\n".join(entry.required_documents))
        self.templates.setPlainText("\n".join(entry.reply_templates))
        self._fill_services(entry.default_service_id)
        self.error.setVisible(False)
        if entry.pk is None:
            self.state.setText("Nouvelle démarche propre à la commune.")
        else:
            used = (f"Utilisée par {entry.in_use} demande{'s' if entry.in_use > 1 else ''}."
                    if entry.in_use else "Utilisée par aucune demande.")
            self.state.setText(used + ("" if entry.active else " Retirée."))
        self._period_needed()
        self.retire_button.setEnabled(entry.pk is not None)
        self.retire_button.setText("&Rétablir" if not entry.active else "&Retirer")
        self._show_note()

    def _fill_services(self, chosen: str) -> None:
        """The commune's active services; a retired one stays shown while it is the default
        (saving then asks for another)."""
        self.service.clear()
        self.service.addItem("— aucun —", "")
        for service in self._services:
            if service.active or service.id == chosen:
                label = service.name if service.active else f"{service.name} (supprimé)"
                self.service.addItem(label, service.id)
        self.service.setCurrentIndex(max(self.service.findData(chosen), 0))

    def _period_needed(self) -> None:
        """Without an implicit decision the period means nothing: not asked."""
        needed = self.rule.currentData() != SilenceRule.NONE.value
        self.period.setEnabled(needed)
        self.unit.setEnabled(needed)

    def _show_note(self) -> None:
        """The warning shows when the rule or period of a procedure in use is being changed."""
        e = self._current
        changed = e.pk is not None and self.period.isEnabled() and (
            self.rule.currentData() != e.silence_rule.value or self.period.value() != e.period
            or self.unit.currentData() != e.unit.value)
        self.note.setVisible(bool(changed and e.in_use))

    def entered(self) -> ProcedureEntry:
        rule = SilenceRule(self.rule.currentData())
        keep = rule is SilenceRule.NONE and self._current.silence_rule is SilenceRule.NONE
        return replace(
            self._current, name=self.name.text().strip(), code=self.code.text().strip(),
            silence_rule=rule,
            period=self._current.period if keep else self.period.value(),
            unit=self._current.unit if keep else PeriodUnit(self.unit.currentData()),
            required_documents=_lines(self.documents), reply_templates=_lines(self.templates),
            default_service_id=str(self.service.currentData() or ""),
        )

    def start_new(self) -> None:
        self.table.clearSelection()
        self.show_entry(blank_procedure())
        self.name.setFocus()

    def save(self) -> None:
        try:
            pk = save_procedure(self._conn, self._pk, self.entered(), agent_id=self._agent_id)
        except StoreError as exc:
            self._refuse(str(exc))
            return
        self._saved(pk, "Démarche enregistrée.")

    def toggle_active(self) -> None:
        entry = self._current
        if entry.pk is None:
            return
        try:
            set_active(self._conn, self._pk, entry.pk, not entry.active,
                       agent_id=self._agent_id)
        except StoreError as exc:
            self._refuse(str(exc))
            return
        self._saved(entry.pk, "Démarche rétablie." if not entry.active else
                    "Démarche retirée : elle n'est plus proposée à l'enregistrement et reste "
                    "sur les demandes qui l'utilisent.")

    def _refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(True)

    def _saved(self, pk: int, message: str) -> None:
        self.reload(select_pk=pk)
        self.state.setText(message)
        if self._on_saved is not None:
            self._on_saved()


def open_procedures(window: QMainWindow, authority_pk: int) -> ProceduresDialog | None:
    def make(conn: sqlite3.Connection, agent_id: str | None) -> ProceduresDialog:
        name = str(conn.execute("SELECT name FROM authority WHERE pk = ?",
                                (authority_pk,)).fetchone()[0])
        return ProceduresDialog(conn, authority_pk, agent_id, commune=name,
                                on_saved=lambda: saved_locally(window), parent=window)

    return open_checked(window, authority_pk, make)
