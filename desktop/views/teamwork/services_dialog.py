"""« Administration › Services… »: the services of a commune, their names and members.

Only the commune's administrators may change them: the server refuses anyone else, and the
dialog says so up front when the agent of this PC is not one (it stays readable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.store.database import StoreError
from desktop.store.inbox import Choice
from desktop.store.teamwork import Service
from desktop.views.dialog_parts import error_label

#: save(authority_pk, name, member_ids, active, service_id or None) -> the service's id.
SaveService = Callable[[int, str, list[str], bool, str | None], str]


class ServicesDialog(QDialog):
    def __init__(
        self,
        authorities: Sequence[Choice],
        list_services: Callable[[int], list[Service]],
        members: Callable[[int], list[Choice]],
        save: SaveService,
        *,
        note: str = "",
        read_only: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("services-dialog")
        self.setWindowTitle("Services de la commune")
        self._list_services, self._members, self._save = list_services, members, save
        self._editing: str | None = None
        self.authority = QComboBox(self)
        self.authority.setObjectName("services-authority")
        for choice in authorities:
            self.authority.addItem(choice.label, choice.key)
        self.services = QListWidget(self)
        self.services.setObjectName("services-list")
        self.name = QLineEdit(self)
        self.name.setObjectName("service-name")
        self.name.setMaxLength(200)
        self.name.setPlaceholderText("Ex. : Urbanisme, État civil, Accueil")
        self.active = QCheckBox("Service en activité (décocher pour le retirer)", self)
        self.active.setObjectName("service-active")
        self.active.setChecked(True)
        self.member_list = QListWidget(self)
        self.member_list.setObjectName("service-members")
        self.new_button = QPushButton("Nou&veau service", self)
        self.new_button.setObjectName("service-new")
        self.save_button = QPushButton("&Enregistrer", self)
        self.save_button.setObjectName("service-save")
        self.error = error_label(self, "services-error")
        self.note = QLabel(note, self)
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))
        self.note.setStyleSheet("color:#664d03")

        form = QFormLayout()
        form.addRow("&Nom :", self.name)
        form.addRow("", self.active)
        form.addRow("&Membres :", self.member_list)
        right = QVBoxLayout()
        right.addLayout(form)
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(self.new_button)
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.save_button)
        right.addLayout(buttons_row)
        body = QHBoxLayout()
        body.addWidget(self.services, 2)
        body.addLayout(right, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText("Fermer")
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("&Commune :", self.authority)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(close)

        self.authority.currentIndexChanged.connect(lambda _i: self.reload())
        self.services.currentItemChanged.connect(lambda *_: self._edit_current())
        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self.save)
        self.resize(720, 420)
        self.read_only = read_only
        for widget in (self.name, self.active, self.member_list, self.new_button,
                       self.save_button):
            widget.setEnabled(not read_only)
        self.reload()

    def authority_pk(self) -> int | None:
        data = self.authority.currentData()
        return int(data) if data is not None else None

    def reload(self, select: str | None = None) -> None:
        authority_pk = self.authority_pk()
        self.services.blockSignals(True)
        self.services.clear()
        if authority_pk is not None:
            for service in self._list_services(authority_pk):
                label = service.name if service.active else f"{service.name} (retiré)"
                item = QListWidgetItem(label, self.services)
                item.setData(Qt.ItemDataRole.UserRole, service)
                if service.id == select:
                    self.services.setCurrentItem(item)
        self.services.blockSignals(False)
        if self.services.currentItem() is not None:
            self._edit_current()
        else:
            self.start_new()

    def _fill_members(self, chosen: Sequence[str]) -> None:
        self.member_list.clear()
        authority_pk = self.authority_pk()
        if authority_pk is None:
            return
        for choice in self._members(authority_pk):
            item = QListWidgetItem(choice.label, self.member_list)
            item.setData(Qt.ItemDataRole.UserRole, choice.key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if choice.key in chosen
                               else Qt.CheckState.Unchecked)

    def _edit_current(self) -> None:
        item = self.services.currentItem()
        service = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(service, Service):
            return
        self._editing = service.id
        self.name.setText(service.name)
        self.active.setChecked(service.active)
        self._fill_members(service.member_ids)
        self.error.setVisible(False)

    def start_new(self) -> None:
        self._editing = None
        self.services.clearSelection()
        self.name.clear()
        self.active.setChecked(True)
        self._fill_members(())
        self.name.setFocus()

    def checked_members(self) -> list[str]:
        return [
            str(self.member_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.member_list.count())
            if self.member_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def save(self) -> str | None:
        authority_pk = self.authority_pk()
        if authority_pk is None:
            return None
        try:
            service_id = self._save(authority_pk, self.name.text(), self.checked_members(),
                                    self.active.isChecked(), self._editing)
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return None
        self.error.setVisible(False)
        self.reload(select=service_id)
        return service_id
