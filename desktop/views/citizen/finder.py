"""« Usagers › Rechercher un usager… »: look-up as you type over every commune; Entrée or a
double-click opens the citizen's file."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from desktop.services.citizens import CitizenService
from desktop.store.citizens import CitizenHit
from sync.protocol.vocabulary import CITIZEN_KIND_LABELS, CitizenKind

HINT = "Tapez au moins deux lettres du nom, le début du courriel ou du téléphone."


def describe_hit(hit: CitizenHit) -> str:
    name = hit.display_name
    if hit.kind is not CitizenKind.PERSON:
        name += f" ({CITIZEN_KIND_LABELS[hit.kind].lower()})"
    town = f"{hit.postcode} {hit.city}".strip()
    details = " · ".join(part for part in (hit.email, hit.phone, town) if part)
    return f"{name} — {hit.authority}\n{details}" if details else f"{name} — {hit.authority}"


class CitizenFinder(QDialog):
    citizenChosen = Signal(int)

    def __init__(self, service: CitizenService, parent: QObject | None = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.setObjectName("citizen-finder")
        self.setWindowTitle("Rechercher un usager")
        self._service = service
        self.search = QLineEdit(self)
        self.search.setObjectName("finder-search")
        self.search.setPlaceholderText("Nom, courriel ou téléphone, dans toutes vos communes")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setObjectName("finder-results")
        self.results.setAlternatingRowColors(True)
        self.status = QLabel(HINT, self)
        self.status.setObjectName("finder-status")
        layout = QVBoxLayout(self)
        label = QLabel("&Usager :", self)
        label.setBuddy(self.search)
        layout.addWidget(label)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        self.resize(560, 480)
        self.search.textChanged.connect(self.run)
        self.results.itemActivated.connect(self._chosen)
        self.search.installEventFilter(self)

    def run(self) -> None:
        hits = self._service.search(self.search.text())
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(describe_hit(hit))
            item.setData(Qt.ItemDataRole.UserRole, hit.pk)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
            self.status.setText(f"{len(hits)} usager(s) trouvé(s). Entrée ouvre la fiche.")
        elif len(self.search.text().strip()) >= 2:
            self.status.setText("Aucun usager trouvé.")
        else:
            self.status.setText(HINT)

    def _chosen(self, item: QListWidgetItem) -> None:
        pk = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(pk, int):
            self.citizenChosen.emit(pk)
            self.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(self.results.currentRow() + step, 0), self.results.count() - 1)
                self.results.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                current = self.results.currentItem()
                if current is not None:
                    self._chosen(current)
                return True
        return super().eventFilter(watched, event)
