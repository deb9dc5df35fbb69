"""Identity and contact of a citizen, editable: kind, name or organisation, RNA/SIRET, e-mail,
phone, address. The checks are the store's (``citizen_problems``): the form only collects."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.store.intake import MAX_EMAIL, MAX_PHONE, MAX_SHORT, NewCitizen
from sync.protocol.vocabulary import CITIZEN_KIND_LABELS, CitizenKind

ORGANISATION_LABELS = {
    CitizenKind.ASSOCIATION: "No&m de l'association :",
    CitizenKind.COMPANY: "&Raison sociale :",
}


class IdentityForm(QWidget):
    """``value()`` is what is typed; ``changed`` fires at every edit."""

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        prefix: str = "citizen",
        contact_names: bool = True,
    ) -> None:
        """``prefix`` names the fields (« intake-email »…); with ``contact_names`` an
        association or a company keeps the name of a contact person (the file), without it
        only its own name (a quick entry at the intake)."""
        super().__init__(parent)
        self._contact_names = contact_names

        def line(name: str, max_length: int = MAX_SHORT) -> QLineEdit:
            edit = QLineEdit(self)
            edit.setObjectName(f"{prefix}-{name}")
            edit.setMaxLength(max_length)
            edit.textChanged.connect(self.changed)
            return edit

        self.kind = QComboBox(self)
        self.kind.setObjectName(f"{prefix}-kind")
        for kind in CitizenKind:
            self.kind.addItem(CITIZEN_KIND_LABELS[kind], kind)
        self.last_name = line("last-name")
        self.first_name = line("first-name")
        self.organisation = line("organisation")
        self.rna = line("rna", 12)
        self.rna.setPlaceholderText("W123456789")
        self.siret = line("siret", 17)
        self.siret.setPlaceholderText("14 chiffres")
        self.email = line("email", MAX_EMAIL)
        self.phone = line("phone", MAX_PHONE)
        self.address = line("address")
        self.address.setPlaceholderText("Numéro et voie")
        self.postcode = line("postcode", 5)
        self.postcode.setMaximumWidth(self.fontMetrics().horizontalAdvance("00000") + 24)
        self.city = line("city")
        self.city.setPlaceholderText("Ville")
        town = QHBoxLayout()
        town.addWidget(self.postcode)
        town.addWidget(self.city, 1)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("T&ype d'usager :", self.kind)
        self.form.addRow("No&m :", self.last_name)
        self.form.addRow("&Prénom :", self.first_name)
        self.form.addRow(ORGANISATION_LABELS[CitizenKind.COMPANY], self.organisation)
        self.form.addRow("N° R&NA :", self.rna)
        self.form.addRow("N° &SIRET :", self.siret)
        self.form.addRow("Co&urriel :", self.email)
        self.form.addRow("Télép&hone :", self.phone)
        self.form.addRow("Adr&esse :", self.address)
        self.form.addRow("Code posta&l et ville :", town)
        label = self.form.labelForField(town)
        if isinstance(label, QLabel):
            label.setBuddy(self.postcode)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.kind.currentIndexChanged.connect(self.changed)
        self._on_kind()

    def value(self) -> NewCitizen:
        kind = CitizenKind(self.kind.currentData())
        person = kind is CitizenKind.PERSON
        names = person or self._contact_names
        return NewCitizen(
            kind=kind,
            last_name=self.last_name.text() if names else "",
            first_name=self.first_name.text() if names else "",
            organisation="" if person else self.organisation.text(),
            rna=self.rna.text() if kind is CitizenKind.ASSOCIATION else "",
            siret=self.siret.text() if kind is CitizenKind.COMPANY else "",
            email=self.email.text(),
            phone=self.phone.text(),
            address=self.address.text(),
            postcode=self.postcode.text(),
            city=self.city.text(),
        ).normalised()

    def set_value(self, citizen: NewCitizen) -> None:
        self.blockSignals(True)
        self.kind.setCurrentIndex(max(self.kind.findData(citizen.kind), 0))
        for edit, text in (
            (self.last_name, citizen.last_name),
            (self.first_name, citizen.first_name),
            (self.organisation, citizen.organisation),
            (self.rna, citizen.rna),
            (self.siret, citizen.siret),
            (self.email, citizen.email),
            (self.phone, citizen.phone),
            (self.address, citizen.address),
            (self.postcode, citizen.postcode),
            (self.city, citizen.city),
        ):
            edit.setText(text)
        self.blockSignals(False)
        self._on_kind()

    def _on_kind(self) -> None:
        kind = CitizenKind(self.kind.currentData())
        person = kind is CitizenKind.PERSON
        # A company or an association keeps a contact person's name too, in the file.
        for widget, visible in (
            (self.last_name, person or self._contact_names),
            (self.first_name, person or self._contact_names),
            (self.organisation, not person),
            (self.rna, kind is CitizenKind.ASSOCIATION),
            (self.siret, kind is CitizenKind.COMPANY),
        ):
            self.form.setRowVisible(widget, visible)
        label = self.form.labelForField(self.organisation)
        if isinstance(label, QLabel) and not person:
            label.setText(ORGANISATION_LABELS[kind])
