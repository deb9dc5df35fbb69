"""« Aide › Champs des modèles »: the merge fields a Word template may use, with a search box.

The list is the document layer's ``FIELD_HELP`` (the one ``python -m desktop.documents fields``
prints and the template README's table shows), so the help cannot drift from what the checks
accept. The search ignores case and accents: « reponse » finds « réponse ».
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.documents.fields import FIELD_HELP

HEADERS = ("Champ à taper dans Word", "Signification", "Exemple", "Rubrique")


def _folded(text: str) -> str:
    """Lower case without accents, for a search that forgives both."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class TemplateFieldsDialog(QDialog):
    """The table of the merge fields, filtered as the secrétaire types."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("template-fields-dialog")
        self.setWindowTitle("Champs des modèles de courrier")
        intro = QLabel(
            "Dans un modèle Word (.docx), tapez le champ tel qu'il est écrit ici, accolades "
            "comprises : bannette le remplace par la valeur de la demande. Un champ inconnu ou "
            "mal orthographié est signalé avant que le courrier soit produit.", self)
        intro.setWordWrap(True)
        self.search = QLineEdit(self)
        self.search.setObjectName("template-fields-search")
        self.search.setPlaceholderText("Rechercher un champ (nom, signification, exemple)…")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(len(FIELD_HELP), len(HEADERS), self)
        self.table.setObjectName("template-fields-table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)  # one line a field; the tooltip shows a long one whole
        self._haystacks: list[str] = []
        for row, field in enumerate(FIELD_HELP):
            values = (field.typed, field.description, field.example, field.group)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, column, item)
            self._haystacks.append(_folded(" ".join(values)))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(2, 220)
        self.count = QLabel(self)
        self.count.setObjectName("template-fields-count")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self.filter)
        self.filter("")
        self.resize(900, 620)
        self.search.setFocus()


    def filter(self, text: str) -> None:
        """Shows the fields whose name, meaning or example contain every word typed."""
        words = _folded(text).split()
        shown = 0
        for row, haystack in enumerate(self._haystacks):
            hidden = not all(word in haystack for word in words)
            self.table.setRowHidden(row, hidden)
            shown += not hidden
        total = len(self._haystacks)
        self.count.setText(
            f"{total} champs." if shown == total else
            "Aucun champ ne correspond à la recherche." if shown == 0 else
            f"{shown} champ{'s' if shown > 1 else ''} sur {total}."
        )

    def visible_fields(self) -> list[str]:
        return [FIELD_HELP[row].typed for row in range(self.table.rowCount())
                if not self.table.isRowHidden(row)]


def show_template_fields(parent: QWidget) -> TemplateFieldsDialog:
    """Non-modal: the secrétaire keeps it open beside Word while she writes her template."""
    dialog = TemplateFieldsDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def install_template_fields_help(window: QMainWindow) -> None:
    """Adds « Champs des modèles » to « Aide » (installed before)."""
    from desktop.views.help import add_help_entry

    add_help_entry(
        window, "Champs des &modèles", lambda: show_template_fields(window),
        name="action-template-fields",
        tip="Les champs à placer dans un modèle Word : nom, signification, exemple",
    )
