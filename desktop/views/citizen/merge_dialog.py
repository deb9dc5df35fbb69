"""« Fusionner deux fiches »: which record survives, and field by field which value to keep.
The requests and calls of the other record move to the survivor; nothing is deleted (the
absorbed record stays as a tombstone pointing to the survivor)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.services.citizens import CitizenService
from desktop.store.citizens import MERGE_CHOICES, CitizenRecord, Side, merged_identity
from desktop.store.database import StoreError
from desktop.store.intake import NewCitizen
from desktop.views.dialog_parts import error_label
from sync.protocol.vocabulary import CITIZEN_KIND_LABELS


def _shown(citizen: NewCitizen, choice: str) -> str:
    """A field as the agent reads it (the address on one line)."""
    if choice == "kind":
        return CITIZEN_KIND_LABELS[citizen.kind]
    if choice == "address":
        return citizen.postal_address
    return str(getattr(citizen, choice))


class MergeDialog(QDialog):
    """``merged_pk`` is the survivor once « Fusionner » worked."""

    def __init__(
        self,
        service: CitizenService,
        survivor_pk: int,
        absorbed_pk: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("merge-dialog")
        self.setWindowTitle("Fusionner deux fiches d'usager")
        self._service = service
        self.merged_pk: int | None = None
        self.survivor: CitizenRecord = service.load(survivor_pk)
        self.absorbed: CitizenRecord = service.load(absorbed_pk)
        self.summary = QLabel(self)
        self.summary.setObjectName("merge-summary")
        self.summary.setWordWrap(True)
        self.grid_host = QWidget(self)
        self.grid = QGridLayout(self.grid_host)
        self.groups: dict[str, QButtonGroup] = {}
        self.swap_button = QPushButton("&Inverser (garder l'autre fiche)", self)
        self.swap_button.setObjectName("merge-swap")
        self.swap_button.clicked.connect(self.swap)
        self.error = error_label(self, "merge-error")
        buttons = QDialogButtonBox(self)
        self.merge_button = buttons.addButton("&Fusionner", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setObjectName("merge-ok")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.grid_host)
        layout.addWidget(self.swap_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fill()

    def _fill(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.groups.clear()
        keep, gone = self.survivor, self.absorbed
        requests, calls = self._service.moved_counts(gone.pk)
        self.summary.setText(
            f"La fiche « {gone.display_name} » sera réunie à « {keep.display_name} » "
            f"({keep.authority}) : ses demandes ({requests}) et ses appels ({calls}) seront "
            "rattachés à la fiche conservée, rien n'est supprimé. Choisissez, champ par "
            "champ, la valeur à garder."
        )
        for column, title in enumerate(("", "Fiche conservée", "Fiche absorbée"), start=0):
            header = QLabel(f"<b>{title}</b>", self.grid_host)
            self.grid.addWidget(header, 0, column)
        defaults = merged_identity(keep.identity, gone.identity, {})
        for row, (choice, label) in enumerate(MERGE_CHOICES.items(), start=1):
            left, right = _shown(keep.identity, choice), _shown(gone.identity, choice)
            if not left and not right:
                continue
            self.grid.addWidget(QLabel(f"{label} :", self.grid_host), row, 0)
            group = QButtonGroup(self.grid_host)
            for column, (text, side) in enumerate(((left, "survivor"), (right, "absorbed")), 1):
                radio = QRadioButton(text or "(vide)", self.grid_host)
                radio.setObjectName(f"merge-{choice}-{side}")
                group.addButton(radio, column)
                self.grid.addWidget(radio, row, column)
                radio.setEnabled(left != right)
            chosen = 2 if left != right and _shown(defaults, choice) == right else 1
            button = group.button(chosen)
            if button is not None:
                button.setChecked(True)
            self.groups[choice] = group

    def keep(self) -> dict[str, Side]:
        return {
            choice: ("absorbed" if group.checkedId() == 2 else "survivor")
            for choice, group in self.groups.items()
        }

    def choose(self, choice: str, side: Side) -> None:
        """Ticks one value (what a click does; used by tests and the keyboard)."""
        button = self.groups[choice].button(2 if side == "absorbed" else 1)
        if button is not None:
            button.setChecked(True)

    def swap(self) -> None:
        self.survivor, self.absorbed = self.absorbed, self.survivor
        self._fill()

    def save(self) -> None:
        try:
            self._service.merge(self.survivor.pk, self.absorbed.pk, self.keep())
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        self.merged_pk = self.survivor.pk
        self.accept()
