"""« Administration › Commune »: the commune's settings, edited offline and synced.

Identity and service (printed in every letterhead, R112-5), the maire and the adjoints with
their delegations (the signature block, the parapheur circuit), the administrative court (the
appeal routes), the internal target delay, the templates folder of this PC. The mailbox and
parapheur connections live on the server only: their tab talks to the server when online and
says so in French when not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.signature import Deputy
from desktop.store.commune_admin import (
    CommuneSettings,
    read_settings,
    save_settings,
)
from desktop.store.database import StoreError
from desktop.store.logo import keep_logo, logo_bytes
from desktop.store.replies import Official, officials
from desktop.views.admin.menu import AdminServer, admin_server
from desktop.views.admin.parts import line_edit, open_checked, saved_locally
from desktop.views.dialog_parts import error_label, save_shortcuts
from sync.protocol.files import logo_problem

DELEGATIONS_HELP = (
    "Délégations : codes des démarches que l'adjoint signe, séparés par des virgules "
    "(« * » : toutes). Exemple : etat-civil, salle-communale"
)
PARAPHEUR_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "builtin": (),
    "iparapheur": (("url", "Adresse du service"), ("login", "Identifiant"),
                   ("tenant", "Entité (tenant)"), ("desk", "Bureau"), ("type", "Type"),
                   ("subtype", "Sous-type")),
    "xparaph": (("url", "Adresse du service"), ("siret", "SIRET"), ("login", "Identifiant"),
                ("logingen", "Identifiant générique"), ("docutype", "Type de document"),
                ("docustype", "Sous-type de document")),
}
CONNECTOR_LABELS = {"builtin": "Parapheur intégré", "iparapheur": "i-Parapheur (v5)",
                    "xparaph": "Xparaph"}


def mailbox_settings_path(authority_id: str) -> str:
    """The server's mailbox (IMAP) settings of a commune (``server/api/mailbox.py`` of the mail
    intake work: GET/PUT ``{host, port, security, username, password?, folder, move_to,
    enabled}``); a server without it answers 404 and the form says so."""
    return f"/authorities/{authority_id}/mailbox"


def parapheur_settings_path(authority_id: str) -> str:
    return f"/authorities/{authority_id}/parapheur-settings"


class DeputiesTable(QTableWidget):
    """The adjoints, one row each: name, title, delegations, and the élu account that signs
    in the parapheur (proposed first for the procedures delegated to them)."""

    def __init__(self, deputies: tuple[Deputy, ...], accounts: Sequence[Official] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self._accounts = list(accounts)
        self.setObjectName("deputies")
        self.setHorizontalHeaderLabels(
            ["Nom", "Qualité", "Délégations (codes)", "Compte d'élu (parapheur)"])
        self.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, 170)
        self.setColumnWidth(1, 120)
        self.setColumnWidth(3, 170)
        self.verticalHeader().setVisible(False)
        for deputy in deputies:
            self.add(deputy)

    def add(self, deputy: Deputy | None = None) -> None:
        deputy = deputy or Deputy("", "Adjoint au maire")
        row = self.rowCount()
        self.insertRow(row)
        for column, text in enumerate(
            (deputy.name, deputy.title, ", ".join(deputy.delegations))
        ):
            self.setItem(row, column, QTableWidgetItem(text))
        account = QComboBox(self)
        account.addItem("—", None)
        for official in self._accounts:
            account.addItem(official.name, official.id)
        account.setCurrentIndex(max(account.findData(deputy.agent_id), 0))
        self.setCellWidget(row, 3, account)

    def remove_current(self) -> None:
        if self.currentRow() >= 0:
            self.removeRow(self.currentRow())

    def deputies(self) -> tuple[Deputy, ...]:
        found: list[Deputy] = []
        for row in range(self.rowCount()):
            name, title, codes = (self._text(row, c) for c in range(3))
            if not (name or title or codes):
                continue  # an empty row added and left
            delegations = tuple(c.strip() for c in codes.split(",") if c.strip())
            account = self.cellWidget(row, 3)
            agent_id = account.currentData() if isinstance(account, QComboBox) else None
            found.append(Deputy(name, title or "Adjoint au maire", delegations, agent_id))
        return tuple(found)

    def _text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text().strip() if item is not None else ""


class ConnectionsTab(QWidget):
    """« Connexions (serveur) »: the parapheur (and, when the server offers it, the mailbox)
    of the commune, read from and saved to the server; nothing of it is kept on this PC."""

    def __init__(self, server: AdminServer | None, authority_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._server = server
        self._authority_id = authority_id
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Ces réglages sont gardés sur le serveur seulement : les mots de passe ne "
            "sont jamais enregistrés sur ce poste.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.state = QLabel(self)
        self.state.setObjectName("connections-state")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        layout.addWidget(QLabel("<b>Parapheur électronique</b>", self))
        form = QFormLayout()
        self._form = form
        self.connector = QComboBox(self)
        self.connector.setObjectName("parapheur-connector")
        for key, label in CONNECTOR_LABELS.items():
            self.connector.addItem(label, key)
        form.addRow("&Parapheur :", self.connector)
        self.fields: dict[str, QLineEdit] = {}
        for key, label in dict.fromkeys(
            pair for pairs in PARAPHEUR_FIELDS.values() for pair in pairs
        ):
            if key in self.fields:
                continue
            edit = QLineEdit(self)
            edit.setObjectName(f"parapheur-{key}")
            self.fields[key] = edit
            form.addRow(f"{label} :", edit)
        self.password = QLineEdit(self)
        self.password.setObjectName("parapheur-password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Mot de passe :", self.password)
        layout.addLayout(form)
        self.save_button = QPushButton("Enregistrer sur le &serveur", self)
        self.save_button.setObjectName("save-connections")
        self.save_button.clicked.connect(self.save)
        layout.addWidget(self.save_button)
        mail = QFormLayout()
        self.mail_fields: dict[str, QLineEdit] = {}
        for key, label, default in (
            ("host", "Serveur IMAP", ""), ("port", "Port", "993"),
            ("security", "Sécurité (tls, starttls)", "tls"), ("username", "Identifiant", ""),
            ("folder", "Dossier relevé", "INBOX"), ("move_to", "Dossier après relevé", "Bannette"),
        ):
            self.mail_fields[key] = line_edit(self, f"mailbox-{key}", default)
            mail.addRow(f"{label} :", self.mail_fields[key])
        self.mail_password = line_edit(self, "mailbox-password")
        self.mail_password.setEchoMode(QLineEdit.EchoMode.Password)
        mail.addRow("Mot de passe :", self.mail_password)
        self.mail_save = QPushButton("Enregistrer la &boîte aux lettres sur le serveur", self)
        self.mail_save.setObjectName("save-mailbox")
        self.mail_save.setEnabled(False)
        self.mail_save.clicked.connect(self.save_mailbox)
        self.mailbox = QLabel(self)
        self.mailbox.setObjectName("mailbox-state")
        self.mailbox.setWordWrap(True)
        layout.addWidget(QLabel("<b>Boîte aux lettres de la mairie (courriels reçus)</b>", self))
        layout.addLayout(mail)
        layout.addWidget(self.mail_save)
        layout.addWidget(self.mailbox)
        layout.addStretch(1)
        self.connector.currentIndexChanged.connect(self._show_fields)
        self._show_fields()
        self.load()

    def _show_fields(self) -> None:
        wanted = {key for key, _ in PARAPHEUR_FIELDS.get(self.connector.currentData(), ())}
        for key, edit in self.fields.items():  # only the chosen parapheur's settings
            self._form.setRowVisible(edit, key in wanted)
        self._form.setRowVisible(self.password, bool(wanted))

    def _offline(self, message: str) -> None:
        self.state.setText(message)
        self.save_button.setEnabled(False)

    def load(self) -> None:
        if self._server is None:
            self._offline("Hors ligne : ces réglages se consultent et se modifient sur le "
                          "serveur. Connectez-vous (« Synchronisation › Se connecter au "
                          "serveur ») puis rouvrez cet écran.")
            return
        self.state.setText("Lecture des réglages sur le serveur…")
        self._server.api("GET", parapheur_settings_path(self._authority_id), None,
                         self._shown, self._offline)
        self._server.api("GET", mailbox_settings_path(self._authority_id), None,
                         self._mailbox_shown, self._mailbox_missing)

    def _mailbox_shown(self, answer: object) -> None:
        if not isinstance(answer, dict):
            return
        for key, edit in self.mail_fields.items():
            edit.setText(str(answer.get(key) or ""))
        self.mail_password.clear()
        self.mail_password.setPlaceholderText("(inchangé)" if answer.get("has_password") else "")
        error = answer.get("last_error")
        self.mailbox.setText("Boîte aux lettres (IMAP) : réglée sur le serveur."
                             + (f" Dernier relevé en erreur : {error}" if error else ""))
        self.mail_save.setEnabled(True)

    def _mailbox_missing(self, message: str) -> None:
        """No settings yet (404) or no such endpoint on this server: the form stays usable
        only when the server has the endpoint (a PUT then says if it does not)."""
        self.mailbox.setText("Boîte aux lettres (IMAP) : pas encore réglée sur ce serveur "
                             f"({message.rstrip('.')}).")
        self.mail_save.setEnabled(True)

    def save_mailbox(self) -> None:
        if self._server is None:
            return
        body: dict[str, object] = {k: e.text().strip() for k, e in self.mail_fields.items()}
        body["port"] = int(str(body["port"])) if str(body["port"]).isdigit() else 993
        if self.mail_password.text():
            body["password"] = self.mail_password.text()
        self.mailbox.setText("Enregistrement de la boîte aux lettres sur le serveur…")
        self._server.api("PUT", mailbox_settings_path(self._authority_id), body,
                         self._mailbox_shown,
                         lambda message: self.mailbox.setText(f"Non enregistrée : {message}"))

    def _shown(self, answer: object) -> None:
        if not isinstance(answer, dict):
            self._offline("Réponse inattendue du serveur.")
            return
        index = self.connector.findData(answer.get("connector", "builtin"))
        self.connector.setCurrentIndex(max(index, 0))
        config = answer.get("config") or {}
        for key, edit in self.fields.items():
            edit.setText(str(config.get(key, "")))
        self.password.clear()  # never kept on screen, never sent back by the server
        self.password.setPlaceholderText(
            "(inchangé)" if answer.get("password_set") else "")
        self.state.setText("Réglages lus sur le serveur.")
        self.save_button.setEnabled(True)

    def save(self) -> None:
        if self._server is None:
            return
        wanted = [key for key, _ in PARAPHEUR_FIELDS.get(self.connector.currentData(), ())]
        config = {key: self.fields[key].text().strip() for key in wanted}
        if wanted:
            config["password"] = self.password.text()
        self.state.setText("Enregistrement sur le serveur…")
        self._server.api(
            "PUT", parapheur_settings_path(self._authority_id),
            {"connector": self.connector.currentData(), "config": config},
            self._saved, self._not_saved,
        )

    def _saved(self, answer: object) -> None:
        self._shown(answer)
        self.state.setText("Parapheur enregistré sur le serveur.")

    def _not_saved(self, message: str) -> None:
        self.state.setText(f"Non enregistré : {message}")


LOGO_FILTER = "Images PNG ou JPEG (*.png *.jpg *.jpeg)"
NO_LOGO = "Aucun logo : les courriers n'en portent pas."


class LogoPicker(QWidget):
    """The logo printed in the letterhead: a preview, « Choisir une image… » and « Retirer ».
    A chosen image is checked by its content (PNG or JPEG, 1 Mo) and put in the file cache at
    once; the settings keep only its SHA-256 until « Enregistrer »."""

    def __init__(self, conn: sqlite3.Connection, sha256: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._conn = conn
        self.sha256 = sha256
        self.setObjectName("logo-picker")
        self.preview = QLabel(self)
        self.preview.setObjectName("logo-preview")
        self.preview.setFixedHeight(84)
        self.preview.setMinimumWidth(230)
        self.preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choose = QPushButton("C&hoisir une image…", self)
        self.choose.setObjectName("logo-choose")
        self.choose.clicked.connect(self._ask_file)
        self.remove = QPushButton("Re&tirer", self)
        self.remove.setObjectName("logo-remove")
        self.remove.clicked.connect(self.clear)
        self.message = QLabel(self)
        self.message.setObjectName("logo-message")
        self.message.setWordWrap(True)
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview, 1)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._show()

    def _ask_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Logo de la commune", "", LOGO_FILTER)
        if path:
            self.choose_file(Path(path))

    def choose_file(self, path: Path) -> bool:
        """Takes ``path`` as the new logo; False (the reason shown, the logo kept) when the
        file is not a PNG or JPEG by its content, is too large or cannot be read."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            return self._refused(f"Impossible de lire le fichier « {path.name} » : {exc}.")
        problem = logo_problem(data, path.name)
        if problem is None and not QPixmap().loadFromData(data):
            # The right first bytes, a broken image: Word would show a hole for the logo.
            problem = f"l'image « {path.name} » est illisible ; choisissez-en une autre."
        if problem is not None:
            return self._refused(problem)
        try:
            sha256 = keep_logo(self._conn, data, path.name)
        except StoreError as exc:  # the cache folder cannot be written
            return self._refused(str(exc))
        self.sha256 = sha256
        self._show()
        return True

    def clear(self) -> None:
        self.sha256 = ""
        self._show()

    def _refused(self, message: str) -> bool:
        self.message.setText(f"Logo refusé : {message}")
        return False

    def _show(self) -> None:
        data = logo_bytes(self._conn, self.sha256)
        pixmap = QPixmap()
        if data is not None and pixmap.loadFromData(data):
            self.preview.setPixmap(pixmap.scaled(
                220, 76, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self.message.setText("Imprimé en haut à gauche de chaque courrier.")
        else:
            self.preview.setPixmap(QPixmap())
            self.preview.setText("" if not self.sha256 else "(logo pas encore reçu du serveur)")
            self.message.setText(NO_LOGO if not self.sha256 else "")
        self.remove.setEnabled(bool(self.sha256))


class SettingsDialog(QDialog):
    """The commune's settings; « Enregistrer » saves here at once and queues them."""

    def __init__(
        self, conn: sqlite3.Connection, authority_pk: int, agent_id: str | None, *,
        server: AdminServer | None = None, on_saved: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._conn = conn
        self._pk = authority_pk
        self._agent_id = agent_id
        self._on_saved = on_saved
        self.settings = read_settings(conn, authority_pk)
        s = self.settings
        self.setObjectName("settings-dialog")
        self.setWindowTitle(f"Paramètres de la commune — {s.name}")
        self.resize(760, 560)
        tabs = QTabWidget(self)
        self.tabs = tabs

        # 1. the commune and its service
        page = QWidget(tabs)
        form = QFormLayout(page)
        self.name = line_edit(page, "name", s.name)
        self.address = line_edit(page, "address", s.address)
        self.postcode = line_edit(page, "postcode", s.postcode)
        self.postcode.setMaximumWidth(90)
        self.city = line_edit(page, "city", s.city)
        town = QHBoxLayout()
        town.addWidget(self.postcode)
        town.addWidget(self.city, 1)
        self.service = line_edit(page, "service-name", s.service_name)
        self.email = line_edit(page, "email", s.email)
        self.phone = line_edit(page, "phone", s.phone)
        form.addRow("&Nom :", self.name)
        form.addRow("&Adresse :", self.address)
        form.addRow("Code postal et ville :", town)
        form.addRow("&Service en charge des demandes :", self.service)
        form.addRow("&Courriel du service :", self.email)
        form.addRow("&Téléphone du service :", self.phone)
        tabs.addTab(page, "Commune et service")

        # 2. who signs
        page = QWidget(tabs)
        box = QVBoxLayout(page)
        form = QFormLayout()
        self.mayor_name = line_edit(page, "mayor-name", s.mayor_name)
        self.mayor_title = line_edit(page, "mayor-title", s.mayor_title)
        form.addRow("&Maire :", self.mayor_name)
        form.addRow("&Qualité (signature) :", self.mayor_title)
        box.addLayout(form)
        box.addWidget(QLabel("Adjoints et délégations de signature :", page))
        self.deputies = DeputiesTable(s.deputies, officials(conn, authority_pk), page)
        box.addWidget(self.deputies, 1)
        hint = QLabel(DELEGATIONS_HELP, page)
        hint.setWordWrap(True)
        box.addWidget(hint)
        buttons = QHBoxLayout()
        add = QPushButton("A&jouter un adjoint", page)
        add.clicked.connect(lambda: self.deputies.add())
        remove = QPushButton("&Retirer l'adjoint choisi", page)
        remove.clicked.connect(self.deputies.remove_current)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        box.addLayout(buttons)
        tabs.addTab(page, "Maire et adjoints")

        # 3. letters and delays
        page = QWidget(tabs)
        form = QFormLayout(page)
        self.court = line_edit(page, "court", s.administrative_court)
        self.court.setPlaceholderText("tribunal administratif de …")
        self.target = QSpinBox(page)
        self.target.setObjectName("target-days")
        self.target.setRange(1, 60)
        self.target.setValue(s.internal_target_days)
        self.target.setSuffix(" jours")
        self.folder = line_edit(page, "templates-folder", s.templates_folder)
        choose = QPushButton("&Parcourir…", page)
        choose.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        form.addRow("&Tribunal administratif compétent :", self.court)
        form.addRow("&Délai interne d'accusé de réception :", self.target)
        note = QLabel("Objectif de la mairie ; le délai légal (10 jours ouvrés pour une "
                      "demande électronique) reste compté à part.", page)
        note.setWordWrap(True)
        form.addRow("", note)
        form.addRow("Dossier des modèles (ce poste) :", row)
        self.logo = LogoPicker(conn, s.logo_sha256, page)
        form.addRow("&Logo (en-tête des courriers) :", self.logo)
        tabs.addTab(page, "Courriers et délais")

        # 4. the server's connections
        authority_id = str(conn.execute("SELECT id FROM authority WHERE pk = ?",
                                        (authority_pk,)).fetchone()[0])
        self.connections = ConnectionsTab(server, authority_id, tabs)
        scroll = QScrollArea(tabs)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.connections)
        tabs.addTab(scroll, "Connexions (serveur)")

        self.error = error_label(self, "settings-error")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Enregistrer")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Annuler")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        save_shortcuts(self, self.save)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Dossier des modèles de la commune",
                                                  self.folder.text())
        if folder:
            self.folder.setText(folder)

    def entered(self) -> CommuneSettings:
        return replace(
            self.settings,
            name=self.name.text(), address=self.address.text(), postcode=self.postcode.text(),
            city=self.city.text(), service_name=self.service.text(), email=self.email.text(),
            phone=self.phone.text(), mayor_name=self.mayor_name.text(),
            mayor_title=self.mayor_title.text(), administrative_court=self.court.text(),
            internal_target_days=self.target.value(), deputies=self.deputies.deputies(),
            templates_folder=self.folder.text(), logo_sha256=self.logo.sha256,
        )

    def save(self) -> None:
        try:
            save_settings(self._conn, self._pk, self.entered(), agent_id=self._agent_id)
        except StoreError as exc:
            self.error.setText(str(exc))
            self.error.setVisible(True)
            return
        if self._on_saved is not None:
            self._on_saved()
        self.accept()


def open_settings(window: QMainWindow, authority_pk: int) -> SettingsDialog | None:
    """Opens the settings (the role checked again: a dialog never opens for a non-admin)."""
    return open_checked(window, authority_pk, lambda conn, agent_id: SettingsDialog(
        conn, authority_pk, agent_id, server=admin_server(window), parent=window,
        on_saved=lambda: saved_locally(window, "Paramètres de la commune enregistrés.")))
