"""« Écrire à l'usager »: a message for the citizen, e-mailed by the server or recorded as
given by other means (courrier, téléphone, guichet).

The dialog only gathers what is typed; ``send`` (the store, through the window) writes it or
raises ``StoreError``: the refusal is shown in red under the form and nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.store.database import StoreError
from desktop.store.messages import OTHER_MEANS, Outgoing, Recipient
from desktop.views.dialog_parts import chain_tab_order, error_label, save_shortcuts
from sync.protocol.vocabulary import Channel

#: Asks the agent for a file to join; None when she cancels.
FileChooser = Callable[[QWidget], Path | None]


def choose_file(parent: QWidget) -> Path | None:
    """The system's file dialog, limited to what may be attached (the same filter as
    « Joindre un fichier… », without loading the sync layer the attachments screen needs)."""
    name, _filter = QFileDialog.getOpenFileName(
        parent, "Joindre un fichier", "", "Pièces (*.pdf *.jpg *.jpeg *.png)"
    )
    return Path(name) if name else None


#: How each way is offered (a message given by other means is only recorded).
WAYS: dict[Channel, str] = {
    Channel.EMAIL: "Courriel (envoyé par le serveur)",
    Channel.PAPER: "Transmis par courrier (à consigner)",
    Channel.PHONE: "Dit par téléphone (à consigner)",
    Channel.COUNTER: "Remis au guichet (à consigner)",
}

NO_ADDRESS = (
    "L'usager n'a pas d'adresse électronique connue. Saisissez-en une, ou consignez un "
    "message transmis autrement (courrier, téléphone, guichet)."
)
NOT_SHARED = (
    "Cette demande n'est pas encore partagée avec le serveur : le courriel ne peut pas partir. "
    "Consignez un message transmis autrement."
)


class WriteDialog(QDialog):
    """Recipient, way, subject, text and files; « Envoyer » calls ``send``."""

    def __init__(
        self,
        recipient: Recipient,
        send: Callable[[Outgoing], None],
        parent: QWidget | None = None,
        *,
        choose: FileChooser = choose_file,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("thread-write")
        self.setWindowTitle(f"Écrire à l'usager — demande n° {recipient.number}")
        self.resize(620, 560)
        self._send = send
        self._choose = choose
        self.files: list[Path] = []

        self.way = QComboBox(self)
        self.way.setObjectName("thread-way")
        for channel in (Channel.EMAIL, *OTHER_MEANS):
            self.way.addItem(WAYS[channel], channel.value)
        self.to = QLineEdit(recipient.email, self)
        self.to.setObjectName("thread-to")
        self.to.setPlaceholderText("adresse@exemple.fr")
        self.hint = QLabel(self)
        self.hint.setObjectName("thread-hint")
        self.hint.setWordWrap(True)
        self.subject = QLineEdit(recipient.subject, self)
        self.subject.setObjectName("thread-subject")
        self.subject.setMaxLength(200)
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("thread-body")
        self.body.setPlaceholderText("Bonjour,\n\n…")
        self.file_list = QListWidget(self)
        self.file_list.setObjectName("thread-files")
        self.file_list.setMaximumHeight(80)
        add = QPushButton("&Joindre un fichier…", self)
        add.setObjectName("thread-add-file")
        add.clicked.connect(self.add_file)
        remove = QPushButton("&Retirer", self)
        remove.clicked.connect(self.remove_file)
        file_buttons = QHBoxLayout()
        file_buttons.addWidget(add)
        file_buttons.addWidget(remove)
        file_buttons.addStretch(1)
        self.error = error_label(self, "thread-error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("&Moyen :", self.way)
        form.addRow("&À :", self.to)
        form.addRow("", self.hint)
        form.addRow("&Objet :", self.subject)
        form.addRow("Mess&age :", self.body)
        form.addRow("Pièces jointes :", self.file_list)
        form.addRow("", file_buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        save_shortcuts(self, self.save)
        chain_tab_order([self.way, self.to, self.subject, self.body, add, remove])

        self._shared = recipient.shared
        if not recipient.email or not recipient.shared:
            self.way.setCurrentIndex(1)  # courrier: what is left without an address
        self.way.currentIndexChanged.connect(self._way_changed)
        self.to.textChanged.connect(self._way_changed)
        self._way_changed()
        self.body.setFocus()

    @property
    def channel(self) -> Channel:
        return Channel(str(self.way.currentData()))

    def _way_changed(self, *_args: object) -> None:
        email = self.channel is Channel.EMAIL
        self.to.setEnabled(email)
        self.ok.setText("&Envoyer" if email else "&Consigner")
        if not self._shared:
            hint = NOT_SHARED
        elif not self.to.text().strip():
            hint = NO_ADDRESS
        else:
            hint = ""
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))

    def add_file(self) -> None:
        path = self._choose(self)
        if path is not None and path not in self.files:
            self.files.append(path)
            self.file_list.addItem(path.name)

    def remove_file(self) -> None:
        row = self.file_list.currentRow()
        if 0 <= row < len(self.files):
            del self.files[row]
            self.file_list.takeItem(row)

    def outgoing(self) -> Outgoing:
        email = self.channel is Channel.EMAIL
        return Outgoing(
            subject=self.subject.text(), body=self.body.toPlainText(), channel=self.channel,
            to_email=self.to.text() if email else "", files=tuple(self.files),
        )

    def save(self) -> None:
        try:
            self._send(self.outgoing())
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        self.accept()
