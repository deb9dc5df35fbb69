"""« Nouvelle demande » : registering a request that came by post, phone, at the counter or by
e-mail (the web and service-public.fr ones arrive from the server by themselves).

The dialog knows nothing of SQL: it is given the communes, and callables to list a commune's
démarches, to find its citizens and to register the entry (``desktop.store.intake``). A refusal
from the store is shown in red inside the dialog, which stays open with everything typed, so a
mistyped e-mail never costs the secrétaire the whole entry.

``install_intake(window)`` adds the action (Ctrl+N) to the window's « Demande » menu and toolbar
and, once a request is registered, shows and selects it in the bannette.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.legal_time import wall_clock
from desktop.services.incoming_files import AttachReport, attach_files
from desktop.store.database import StoreError
from desktop.store.inbox import Choice
from desktop.store.intake import (
    INTAKE_CHANNELS,
    MAX_SHORT,
    OLDEST_RECEIPT,
    CitizenMatch,
    NewCitizen,
    NewRequest,
    authority_department,
    find_citizens,
    procedures_for,
    register_request,
)
from desktop.views.citizen.duplicate_banner import DuplicateHooks, creation_banner
from desktop.views.citizen.identity_form import IdentityForm
from desktop.views.citizen_search import CitizenSearch, FindCitizens
from desktop.views.date_entry import DateEntry
from desktop.views.dialog_parts import (
    chain_tab_order,
    combo_key,
    error_label,
    save_shortcuts,
)
from desktop.views.mail_drop import attach_mail_intake, install_mail_drop
from desktop.views.scans.intake_files import IntakeFiles
from desktop.views.window_actions import request_action, request_bars
from sync.protocol.vocabulary import CHANNEL_LABELS, Channel

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

Register = Callable[[NewRequest], int]
ListProcedures = Callable[[int], list[Choice]]

SEARCH_HINT = "Tapez au moins deux lettres du nom, le début du courriel ou le téléphone."


class IntakeDialog(QDialog):
    """The entry form; ``registered_pk`` holds the new request once « Enregistrer » worked."""

    def __init__(
        self,
        authorities: Sequence[Choice],
        procedures_of: ListProcedures,
        find: FindCitizens,
        register: Register,
        *,
        now: Callable[[], datetime] = datetime.now,
        parent: QWidget | None = None,
        duplicates: DuplicateHooks | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("intake-dialog")
        self.setWindowTitle("Nouvelle demande")
        self._procedures_of = procedures_of
        self._register = register
        self._now = now
        self.registered_pk: int | None = None

        request_box = self._build_request(authorities, now())
        citizen_box = self._build_citizen()
        self.error = error_label(self, "intake-error")
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(
            "Enre&gistrer", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("intake-save")
        self.save_button.setToolTip("Enregistrer la demande (Ctrl+Entrée)")
        self.save_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        save_shortcuts(self, self.save)

        columns = QHBoxLayout()
        columns.addWidget(request_box, 1)
        columns.addWidget(citizen_box, 1)
        self.files = IntakeFiles(self)  # dropped or chosen files, joined once registered
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.files)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._set_tab_order()
        self.files.accept_drops_on(self)
        self.resize(920, 660)

        self.authority.currentIndexChanged.connect(self._on_authority)
        self.subject.textChanged.connect(self._update)
        self.procedure.currentIndexChanged.connect(self._update)
        self.received.valueChanged.connect(self._update)
        self.modes.idToggled.connect(self._on_mode)
        self.citizens = CitizenSearch(self.search, self.matches, find, self.authority_pk)
        self.citizens.chosenChanged.connect(self._update)
        self.citizens.entered.connect(
            lambda: self.subject.setFocus(Qt.FocusReason.TabFocusReason)
        )
        self.kind.currentIndexChanged.connect(self._on_kind)
        for field in (self.last_name, self.organisation):
            field.textChanged.connect(self._update)
        # « Cet usager existe peut-être déjà » under the new citizen's fields (issue 12).
        self.duplicates = None if duplicates is None else creation_banner(
            self, duplicates, self.citizens, lambda: self.existing_radio.setChecked(True))
        if self.duplicates is not None:
            self.new_form.addRow(self.duplicates)
            for edit in (self.last_name, self.first_name, self.organisation, self.rna,
                         self.siret, self.email, self.phone, self.address, self.postcode):
                edit.textChanged.connect(self._check_duplicates)
        self._on_authority()
        self._on_kind()
        self._on_mode(0, True)
        self.authority.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- building ---------------------------------------------------------------------------
    def _build_request(self, authorities: Sequence[Choice], now: datetime) -> QGroupBox:
        box = QGroupBox("Demande", self)
        self.authority = QComboBox(box)
        self.authority.setObjectName("intake-authority")
        for choice in authorities:
            self.authority.addItem(choice.label, choice.key)
        self.procedure = QComboBox(box)
        self.procedure.setObjectName("intake-procedure")
        self.procedure.setPlaceholderText("Choisir la démarche…")
        self.channel = QComboBox(box)
        self.channel.setObjectName("intake-channel")
        for channel in INTAKE_CHANNELS:
            self.channel.addItem(CHANNEL_LABELS[channel], channel)
        moment = now.replace(second=0, microsecond=0)
        # Typed, never silently another date: the legal deadlines all start from this one.
        self.received = DateEntry(
            box, name="intake-received", today=lambda: self._now().date(), with_time=True,
            minimum=moment - OLDEST_RECEIPT, maximum=moment,
            too_early="La date de réception remonte à plus d'un an : vérifiez l'année.",
            too_late="La date de réception ne peut pas être dans le futur.",
        )
        self.received.set_value(moment)
        self.received.edit.setToolTip(
            "Jour et heure d'arrivée en mairie : les délais partent de là. "
            + self.received.edit.toolTip()
        )
        self.subject = QLineEdit(box)
        self.subject.setObjectName("intake-subject")
        self.subject.setMaxLength(MAX_SHORT)
        self.subject.setPlaceholderText("Par exemple : Réservation de la salle des fêtes")
        self.body = QPlainTextEdit(box)
        self.body.setObjectName("intake-body")
        self.body.setTabChangesFocus(True)
        self.body.setPlaceholderText("Ce que demande l'usager, en quelques lignes")
        form = QFormLayout(box)
        form.addRow("&Commune :", self.authority)
        form.addRow("&Démarche :", self.procedure)
        form.addRow("C&anal :", self.channel)
        form.addRow("Da&te de réception :", self.received)
        form.addRow("&Objet :", self.subject)
        form.addRow("Descr&iption :", self.body)
        return box

    def _build_citizen(self) -> QGroupBox:
        box = QGroupBox("Usager", self)
        self.existing_radio = QRadioButton("Usager e&xistant", box)
        self.existing_radio.setObjectName("intake-existing")
        self.new_radio = QRadioButton("Nou&vel usager", box)
        self.new_radio.setObjectName("intake-new")
        self.modes = QButtonGroup(box)
        self.modes.addButton(self.existing_radio, 0)
        self.modes.addButton(self.new_radio, 1)
        self.existing_radio.setChecked(True)
        radios = QHBoxLayout()
        radios.addWidget(self.existing_radio)
        radios.addWidget(self.new_radio)
        radios.addStretch(1)
        self.pages = QStackedWidget(box)
        self.pages.addWidget(self._build_search_page())
        self.pages.addWidget(self._build_new_page())
        layout = QVBoxLayout(box)
        layout.addLayout(radios)
        layout.addWidget(self.pages, 1)
        return box

    def _build_search_page(self) -> QWidget:
        page = QWidget(self)
        self.search = QLineEdit(page)
        self.search.setObjectName("intake-search")
        self.search.setPlaceholderText("Nom, courriel ou téléphone")
        self.matches = QListWidget(page)
        self.matches.setObjectName("intake-matches")
        self.matches.setMinimumHeight(120)
        self.chosen = QLabel(SEARCH_HINT, page)
        self.chosen.setObjectName("intake-chosen")
        self.chosen.setWordWrap(True)
        search_label = QLabel("Rec&hercher :", page)
        search_label.setBuddy(self.search)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(search_label)
        layout.addWidget(self.search)
        layout.addWidget(self.matches, 1)
        layout.addWidget(self.chosen)
        return page

    def _build_new_page(self) -> QWidget:
        """The new citizen's identity: the form the citizen's file uses (one set of fields
        and rules), named « intake-… »; its fields are reached as the dialog's own."""
        self.identity = IdentityForm(self, prefix="intake", contact_names=False)
        self.new_form = self.identity.form
        for name in ("kind", "last_name", "first_name", "organisation", "rna", "siret",
                     "email", "phone", "address", "postcode", "city"):
            setattr(self, name, getattr(self.identity, name))
        return self.identity

    def _set_tab_order(self) -> None:
        chain_tab_order([
            self.authority, self.procedure, self.channel, self.received.edit, self.subject,
            self.body, self.existing_radio, self.new_radio, self.search, self.matches,
            self.kind, self.last_name, self.first_name, self.organisation, self.rna, self.siret,
            self.email, self.phone, self.address, self.postcode, self.city, self.save_button,
        ])

    # --- what was entered -------------------------------------------------------------------
    def authority_pk(self) -> int | None:
        return combo_key(self.authority)

    def chosen_match(self) -> CitizenMatch | None:
        return None if self.new_radio.isChecked() else self.citizens.chosen()

    def new_citizen(self) -> NewCitizen:
        return self.identity.value()

    def entry(self) -> NewRequest:
        """The entry as the store takes it (validated there, not here)."""
        match = self.chosen_match()
        received = self.received.value()  # a datetime: the field takes a time
        return NewRequest(
            authority_pk=self.authority_pk() or 0,
            procedure_pk=int(self.procedure.currentData() or 0),
            channel=Channel(self.channel.currentData()),
            # None (invalid) never reaches the store: missing() and save() refuse it first.
            received_at=received if isinstance(received, datetime) else datetime.min,
            subject=self.subject.text(),
            body=self.body.toPlainText(),
            citizen_pk=match.pk if match is not None else None,
            new_citizen=self.new_citizen() if self.new_radio.isChecked() else None,
        )

    def missing(self) -> list[str]:
        """What « Enregistrer » waits for (its tooltip says so); the rest is the store's."""
        needed = []
        if self.authority_pk() is None:
            needed.append("la commune")
        if self.procedure.currentIndex() < 0:
            needed.append("la démarche")
        if self.received.problem() is not None:
            needed.append("une date de réception valide")
        if not self.subject.text().strip():
            needed.append("l'objet")
        if self.new_radio.isChecked():
            citizen = self.new_citizen()
            if not (citizen.last_name or citizen.organisation).strip():
                needed.append("le nom de l'usager")
        elif self.chosen_match() is None:
            needed.append("l'usager")
        return needed

    # --- reactions --------------------------------------------------------------------------
    def _on_authority(self) -> None:
        """Another commune: its own démarches and citizens."""
        pk = self.authority_pk()
        self.procedure.clear()
        for choice in self._procedures_of(pk) if pk is not None else []:
            self.procedure.addItem(choice.label, choice.key)
        self.procedure.setCurrentIndex(0 if self.procedure.count() == 1 else -1)
        self.citizens.run()

    def _on_mode(self, mode: int, checked: bool) -> None:
        if not checked:
            return
        self.pages.setCurrentIndex(mode)
        if mode == 1 and not (self.last_name.text() or self.organisation.text()):
            # What was just searched for is usually the name to create.
            typed = self.search.text().strip()
            if typed and not any(c.isdigit() or c == "@" for c in typed):
                self.last_name.setText(typed)
        self._update()

    def _on_kind(self) -> None:
        self._update()  # the form shows the fields of the kind itself

    def _update(self) -> None:
        match = self.chosen_match()
        if match is not None:
            self.chosen.setText(f"Usager choisi : {match.display_name}")
        elif self.citizens.searching() and not self.matches.count():
            self.chosen.setText(
                "Aucun usager trouvé dans cette commune : choisissez « Nouvel usager »."
            )
        else:
            self.chosen.setText(SEARCH_HINT)
        needed = self.missing()
        self.save_button.setEnabled(not needed)
        self.save_button.setToolTip(
            f"À renseigner : {', '.join(needed)}." if needed
            else "Enregistrer la demande (Ctrl+Entrée)"
        )

    def _check_duplicates(self) -> None:
        if self.duplicates is not None and self.new_radio.isChecked():
            self.duplicates.check(self.authority_pk(), self.new_citizen())

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def save(self) -> None:
        """Register through the store; on refusal, say why and keep everything typed."""
        problem = self.received.problem()
        if problem is not None:
            self.show_error(f"Date de réception : {problem}")
            self.received.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if not self.save_button.isEnabled():
            self.show_error("À renseigner avant d'enregistrer : " + ", ".join(self.missing()) + ".")
            return
        try:
            pk = self._register(self.entry())
        except StoreError as exc:
            self.show_error(str(exc))
            return
        self.registered_pk = pk
        self.accept()


# --------------------------------------------------------------------------- in the window


class IntakeFlow(QObject):
    """Opens the dialog over the window and, once a request is registered, shows it."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.dialog: IntakeDialog | None = None
        #: What became of the dialog's files once its request was registered.
        self.attached: AttachReport | None = None

    def _now(self, authority_pk: int | None = None) -> datetime:
        """The window's day (injectable in tests) at the time the commune's clocks show by the
        window's clock (the window's first commune when none is given), naive: the PC's own
        zone plays no part."""
        window = self._window
        if authority_pk is None:
            communes = window._repo.authorities()  # noqa: SLF001
            authority_pk = int(communes[0].key) if communes else None
        department = authority_department(window._repo.connection, authority_pk)  # noqa: SLF001
        return wall_clock(window._today(), department, now=window.now())  # noqa: SLF001

    def open(self) -> IntakeDialog:
        from desktop.views.citizen.install import duplicate_hooks

        window = self._window
        conn = window._repo.connection  # noqa: SLF001
        agent_id = window._agent_id  # noqa: SLF001

        def register(new: NewRequest) -> int:
            return register_request(conn, new, agent_id=agent_id, now=self._now(new.authority_pk))

        authorities = window._repo.authorities()  # noqa: SLF001
        # The dialog's clock reads the first commune's zone once: its date field re-reads the
        # clock at every keystroke, and must not reach the database for it.
        first = authority_department(conn, int(authorities[0].key)) if authorities else None
        dialog = IntakeDialog(
            authorities,
            lambda authority: procedures_for(conn, authority),
            lambda authority, text: find_citizens(conn, authority, text),
            register,
            now=lambda: wall_clock(window._today(), first, now=window.now()),  # noqa: SLF001
            parent=window,
            duplicates=duplicate_hooks(window),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        attach_mail_intake(dialog, conn, agent_id)  # a dropped .eml / .msg fills it
        registration = dialog._register  # noqa: SLF001 - plain, or with a mail's own files

        def register_then_join(new: NewRequest) -> int:
            """The files dropped or chosen in the dialog join the request, however it was
            registered (typed, or filled from a mail with the mail's own files)."""
            pk = registration(new)
            self.attached = attach_files(conn, pk, dialog.files.ready, agent_id=agent_id,
                                         now=self._now(new.authority_pk))
            return pk

        dialog._register = register_then_join  # noqa: SLF001
        dialog.accepted.connect(lambda: self._registered(dialog.registered_pk))
        self.dialog = dialog
        dialog.destroyed.connect(self._forget)
        dialog.open()
        return dialog

    def _forget(self) -> None:
        self.dialog = None

    def _registered(self, pk: int | None) -> None:
        if pk is None:
            return
        window = self._window
        window.model.reload(data_changed=True)
        window.select_request(pk)
        # The window refreshes the row, its detail, the actions and the deadlines; the sync
        # (when installed) counts one more change waiting.
        window.request_actions.requestChanged.emit(pk)
        row = window._repo.rows([pk]).get(pk)  # noqa: SLF001
        if row is not None:
            joined = f" ; {self.attached.summary()}" if self.attached and (
                self.attached.joined or self.attached.refused) else "."
            window.statusBar().showMessage(f"Demande {row.reference} enregistrée{joined}", 10_000)


def install_intake(window: MainWindow) -> QAction:
    """« Demande › Nouvelle demande… » (Ctrl+N), first in the menu and the toolbar."""
    intake = IntakeFlow(window)
    install_mail_drop(window)  # a mail dropped on the bannette opens the filled intake
    action = request_action(
        window, "&Nouvelle demande…", name="action-new-request", shortcut="Ctrl+N",
        tip="Enregistrer une demande reçue par courrier, par téléphone, au guichet ou par "
            "courriel",
        slot=intake.open,
    )
    for bar in request_bars(window):
        first = bar.actions()[0] if bar.actions() else None
        bar.insertAction(first, action)  # type: ignore[arg-type]
        if first is not None:
            bar.insertSeparator(first)
    return action
