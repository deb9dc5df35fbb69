"""« Appel téléphonique » : logging a call in seconds while the citizen is still on the line.

The chronometer starts when the dialog opens, so the agent types only the caller, the number
and the motive; the duration is there already (and hers to correct: typing in it stops the
count). An existing citizen of the commune can be picked from the intake's search; a call about
the selected request is attached to it by default. « Enregistrer et créer une demande… » opens
« Nouvelle demande » prefilled from the call and logs the call attached to the request once it
is registered — or unattached if the agent gives up: what was typed is never lost.

Like the intake, the dialog knows nothing of SQL: it is given the communes and callables
(``CallServices``). A refusal is shown in red inside the dialog, which stays open with
everything typed.

``install_phone_calls(window)`` adds « Demande › Appel téléphonique… » (Ctrl+Maj+N) after
« Nouvelle demande… »; the detail pane lists a request's calls (``detail_pane.calls_html``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTime, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
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
    QPlainTextEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.french import de_name, format_time_fr
from desktop.store.database import StoreError
from desktop.store.inbox import Choice
from desktop.store.intake import (
    MAX_PHONE,
    MAX_SHORT,
    CitizenMatch,
    NewCitizen,
    find_citizens,
)
from desktop.store.phone_calls import (
    MAX_CALLER,
    NewCall,
    RequestLink,
    call_problems,
    caller_on_file,
    calls_for_request,
    citizen_from_caller,
    log_call,
    request_link,
)
from desktop.views.citizen.duplicate_banner import DuplicateHooks, creation_banner
from desktop.views.citizen_search import CitizenSearch, FindCitizens
from desktop.views.dialog_parts import (
    chain_tab_order,
    combo_key,
    error_label,
    save_shortcuts,
)
from desktop.views.intake_dialog import IntakeDialog, IntakeFlow
from desktop.views.window_actions import request_action, request_bars
from sync.protocol.vocabulary import Channel

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

#: QTime cannot hold 24 h: the chronometer and the field stop one second short of it.
LONGEST_SHOWN = 24 * 3600 - 1
#: Keys that move through the duration field without changing it (they leave the count on).
_NAVIGATION_KEYS = frozenset({
    Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter,
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_Shift,
    Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
})
NO_CITIZEN = "Aucun usager choisi : l'appel sera enregistré sans fiche usager."


# --------------------------------------------------------------------------- what it is given


@dataclass(frozen=True)
class IntakePrefill:
    """What « Nouvelle demande » starts from when a call becomes a request."""

    authority_pk: int
    received_at: datetime
    subject: str
    body: str
    citizen: CitizenMatch | None
    new_citizen: NewCitizen | None


def intake_prefill(call: NewCall, citizen: CitizenMatch | None) -> IntakePrefill:
    """Received by phone when the call started; the object is the motive's first line, the
    rest its description; the citizen chosen, else the caller as a new citizen."""
    first, _newline, rest = call.motive.strip().partition("\n")
    return IntakePrefill(
        authority_pk=call.authority_pk,
        received_at=call.called_at,
        subject=first.strip()[:MAX_SHORT],
        body=rest.strip(),
        citizen=citizen,
        new_citizen=None if citizen else citizen_from_caller(call.caller_name, call.phone_number),
    )


@dataclass(frozen=True)
class CallServices:
    """Everything the dialog may ask of the store and of the window."""

    find: FindCitizens
    check: Callable[[NewCall], list[str]]
    log: Callable[[NewCall], int]
    request_link: Callable[[int], RequestLink | None]
    #: Opens « Nouvelle demande » prefilled; its ``registered_pk`` says what became of it.
    open_intake: Callable[[IntakePrefill], IntakeDialog]
    now: Callable[[], datetime] = datetime.now
    #: The commune's citizen the caller is beyond doubt (same name), when none was chosen.
    on_file: Callable[[NewCall], CitizenMatch | None] = lambda _call: None
    #: Seconds on a clock that never goes back (the chronometer's; injectable for tests).
    clock: Callable[[], float] = time.monotonic
    #: « Cet usager existe peut-être déjà » for a caller typed without choosing a citizen.
    duplicates: DuplicateHooks | None = None


def _seconds(value: QTime) -> int:
    return value.hour() * 3600 + value.minute() * 60 + value.second()


# --------------------------------------------------------------------------- the dialog


class PhoneCallDialog(QDialog):
    """The call form. Once accepted, ``logged_pk`` is the call and ``logged_request`` the
    request it was attached to (``created_request`` when it was made from the call)."""

    def __init__(
        self,
        authorities: Sequence[Choice],
        services: CallServices,
        *,
        request: RequestLink | None = None,
        authority_pk: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("phone-call-dialog")
        self.setWindowTitle("Appel téléphonique")
        self._services = services
        self._request = request
        self.called_at = services.now().replace(microsecond=0)
        self.logged_pk: int | None = None
        self.logged_request: RequestLink | None = None
        self.created_request: RequestLink | None = None
        self.intake: IntakeDialog | None = None
        #: What picking a citizen wrote in a field (a later pick may replace it, not a typing).
        self._filled: dict[str, str] = {}
        #: The chronometer: seconds counted before ``_started``, and when it last started.
        self._counted = 0
        self._started: float | None = services.clock()

        form = self._build_form(authorities)
        self.error = error_label(self, "phone-call-error")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self._build_buttons())
        self._set_tab_order()
        self.resize(600, 460)

        if authority_pk is not None:
            index = self.authority.findData(authority_pk)
            self.authority.setCurrentIndex(max(index, 0))
        self.citizens = CitizenSearch(
            self.search, self.matches, services.find, self.authority_pk, one_line=True
        )
        self.citizens.chosenChanged.connect(self._on_match)
        self.duplicates = None if services.duplicates is None else creation_banner(
            self, services.duplicates, self.citizens)
        if self.duplicates is not None:
            box = self.search.parentWidget()
            citizen_layout = box.layout() if box is not None else None
            if citizen_layout is not None:
                citizen_layout.addWidget(self.duplicates)
            for edit in (self.caller, self.number):
                edit.textChanged.connect(self._check_duplicates)
        self.citizens.entered.connect(
            lambda: self.motive.setFocus(Qt.FocusReason.TabFocusReason)
        )
        self.authority.currentIndexChanged.connect(self._on_authority)
        self.duration.timeChanged.connect(self._on_duration_edited)
        self.duration.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self._on_authority()
        self._show_chrono()
        self.caller.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- building ---------------------------------------------------------------------------
    def _build_form(self, authorities: Sequence[Choice]) -> QFormLayout:
        self.authority = QComboBox(self)
        self.authority.setObjectName("phone-call-authority")
        for choice in authorities:
            self.authority.addItem(choice.label, choice.key)
        self.caller = QLineEdit(self)
        self.caller.setObjectName("phone-call-caller")
        self.caller.setMaxLength(MAX_CALLER)
        self.caller.setPlaceholderText("Nom de la personne qui appelle")
        self.number = QLineEdit(self)
        self.number.setObjectName("phone-call-number")
        self.number.setMaxLength(MAX_PHONE)
        self.number.setPlaceholderText("Par exemple : 03 29 41 22 10")
        self.motive = QPlainTextEdit(self)
        self.motive.setObjectName("phone-call-motive")
        self.motive.setTabChangesFocus(True)
        self.motive.setPlaceholderText(
            "Ce que veut l'appelant ; la première ligne servira d'objet si l'appel devient "
            "une demande"
        )
        self.link = QCheckBox(self)
        self.link.setObjectName("phone-call-link")
        self.link.setChecked(self._request is not None)
        form = QFormLayout()
        form.addRow("&Commune :", self.authority)
        form.addRow("A&ppelant :", self.caller)
        form.addRow("&Numéro :", self.number)
        form.addRow("&Usager :", self._build_citizen())
        form.addRow("&Motif :", self.motive)
        form.addRow("&Durée :", self._build_chrono())
        form.addRow("", self.link)
        label = form.labelForField(self.duration.parentWidget())
        if isinstance(label, QLabel):
            label.setBuddy(self.duration)
        label = form.labelForField(self.search.parentWidget())
        if isinstance(label, QLabel):
            label.setBuddy(self.search)
        return form

    def _build_citizen(self) -> QWidget:
        box = QWidget(self)
        self.search = QLineEdit(box)
        self.search.setObjectName("phone-call-search")
        self.search.setPlaceholderText("Rechercher un usager de la commune (facultatif)")
        self.matches = QListWidget(box)
        self.matches.setObjectName("phone-call-matches")
        self.matches.setFixedHeight(self.fontMetrics().height() * 6)
        self.chosen = QLabel(NO_CITIZEN, box)
        self.chosen.setObjectName("phone-call-chosen")
        self.chosen.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.matches)
        layout.addWidget(self.chosen)
        return box

    def _build_chrono(self) -> QWidget:
        box = QWidget(self)
        self.duration = QTimeEdit(box)
        self.duration.setObjectName("phone-call-duration")
        self.duration.setDisplayFormat("mm:ss")
        self.duration.setTimeRange(QTime(0, 0), QTime(23, 59, 59))
        self.duration.setToolTip("Durée de l'appel : la taper arrête le chronomètre.")
        self.chrono_button = QPushButton(box)
        self.chrono_button.setObjectName("phone-call-chrono")
        self.chrono_button.setAutoDefault(False)
        self.chrono_button.clicked.connect(self.toggle_chrono)
        self.chrono_state = QLabel(box)
        self.chrono_state.setObjectName("phone-call-chrono-state")
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.duration)
        layout.addWidget(self.chrono_button)
        layout.addWidget(self.chrono_state, 1)
        return box

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton(
            "&Enregistrer l'appel", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("phone-call-save")
        self.save_button.setToolTip("Enregistrer l'appel (Ctrl+Entrée)")
        self.save_button.setDefault(True)
        self.request_button = buttons.addButton(
            "Enre&gistrer et créer une demande…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.request_button.setObjectName("phone-call-request")
        self.request_button.setToolTip(
            "Ouvrir « Nouvelle demande » rempli avec l'appel ; l'appel y sera rattaché"
        )
        self.request_button.clicked.connect(self.save_and_create_request)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText("Annuler")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        save_shortcuts(self, self.save)
        return buttons

    def _set_tab_order(self) -> None:
        chain_tab_order([
            self.authority, self.caller, self.number, self.search, self.matches, self.motive,
            self.duration, self.chrono_button, self.link, self.save_button, self.request_button,
        ])

    # --- what was entered -------------------------------------------------------------------
    def authority_pk(self) -> int | None:
        return combo_key(self.authority)

    def chosen_match(self) -> CitizenMatch | None:
        return self.citizens.chosen()

    def seconds(self) -> int:
        """The duration shown (and logged)."""
        return _seconds(self.duration.time())

    def linked_request(self) -> RequestLink | None:
        """The request the call will be attached to, if the box says so."""
        usable = self.link.isEnabled() and self.link.isChecked()
        return self._request if usable else None

    def entry(
        self, request: RequestLink | None = None, citizen_pk: int | None = None
    ) -> NewCall:
        """The call as the store takes it (checked there, not here); ``citizen_pk`` stands for
        the citizen chosen in the list when given."""
        match = self.chosen_match()
        if citizen_pk is None and match is not None:
            citizen_pk = match.pk
        return NewCall(
            authority_pk=self.authority_pk() or 0,
            caller_name=self.caller.text(),
            phone_number=self.number.text(),
            motive=self.motive.toPlainText(),
            duration_seconds=self.seconds(),
            called_at=self.called_at,
            citizen_pk=citizen_pk,
            request_pk=request.pk if request is not None else None,
        )

    # --- the chronometer --------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        return self._started is not None

    def tick(self) -> None:
        """Every second while the call goes on: the duration follows the clock."""
        if self._started is None:
            return
        # Rounded, not truncated: the timer fires a hair early as often as late, and the count
        # must not stutter (two ticks on 00:04, none on 00:05).
        elapsed = round(self._services.clock() - self._started)
        self._set_seconds(min(self._counted + max(elapsed, 0), LONGEST_SHOWN))

    def _set_seconds(self, seconds: int) -> None:
        self.duration.blockSignals(True)
        # « mm:ss » as long as a call lasts less than an hour, which is nearly always.
        display = "H:mm:ss" if seconds >= 3600 else "mm:ss"
        if self.duration.displayFormat() != display:
            self.duration.setDisplayFormat(display)
        self.duration.setTime(QTime(0, 0).addSecs(seconds))
        self.duration.blockSignals(False)

    def stop_chrono(self) -> None:
        if self._started is not None:
            self.tick()
            self._counted, self._started = self.seconds(), None
            self._show_chrono()

    def toggle_chrono(self) -> None:
        if self._started is not None:
            self.stop_chrono()
        else:
            self._counted, self._started = self.seconds(), self._services.clock()
            self._show_chrono()

    def _show_chrono(self) -> None:
        running = self._started is not None
        self.chrono_button.setText("Arrê&ter" if running else "Re&prendre")
        self.chrono_button.setToolTip(
            "Arrêter le chronomètre" if running else "Reprendre le chronomètre"
        )
        started = f"appel commencé à {format_time_fr(self.called_at)}"
        self.chrono_state.setText(
            f"Chronomètre en marche — {started}" if running else f"Arrêté — {started}"
        )

    def _on_duration_edited(self) -> None:
        """The agent set the duration herself: it is what she means; the count stops."""
        if self._started is not None:
            self._started = None
            self._counted = self.seconds()
            self._show_chrono()

    # --- reactions --------------------------------------------------------------------------
    def _on_authority(self) -> None:
        """Another commune: its own citizens; the request stays attachable only in its own."""
        self.citizens.run()
        request = self._request
        self.link.setVisible(request is not None)
        if request is None:
            self.link.setEnabled(False)
            return
        self.link.setText(f"&Rattacher à la demande {request.number}")
        same = request.authority_pk == self.authority_pk()
        self.link.setEnabled(same)
        self.link.setToolTip(
            request.subject if same
            else f"La demande {request.number} est d'une autre commune que l'appel."
        )

    def _on_match(self) -> None:
        """A citizen picked: the caller's name and number come from the file when not typed."""
        # Most calls are logged without looking anyone up: the list shows only when asked.
        self.matches.setVisible(self.citizens.searching())
        match = self.chosen_match()
        if match is not None:
            self._fill(self.caller, match.display_name)
            self._fill(self.number, match.phone)
        self._show_chosen()

    def _check_duplicates(self) -> None:
        """A caller typed without a citizen chosen whose number is on file: said, not imposed."""
        if self.duplicates is None:
            return
        if self.chosen_match() is not None:
            self.duplicates.show_candidates([])
            return
        caller = citizen_from_caller(self.caller.text(), self.number.text())
        self.duplicates.check(self.authority_pk(), caller)

    def _fill(self, edit: QLineEdit, value: str) -> None:
        typed = edit.text()
        if value and (not typed.strip() or typed == self._filled.get(edit.objectName())):
            edit.setText(value)
            self._filled[edit.objectName()] = value

    def _show_chosen(self) -> None:
        match = self.chosen_match()
        if match is not None:
            self.chosen.setText(f"Usager choisi : {match.display_name}")
        elif self.citizens.searching() and not self.matches.count():
            self.chosen.setText("Aucun usager trouvé dans cette commune.")
        else:
            self.chosen.setText(NO_CITIZEN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """In the duration field the first key that changes it stops the count, before the
        next tick can overwrite what is being typed."""
        if (
            watched is self.duration
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() not in _NAVIGATION_KEYS
            and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self._on_duration_edited()
        return super().eventFilter(watched, event)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # --- saving -----------------------------------------------------------------------------
    def save(self) -> None:
        """« Enregistrer l'appel »: logged, attached to the request if the box is checked."""
        if self.isEnabled():
            self._save(self.linked_request())

    def _save(self, request: RequestLink | None) -> None:
        # A request made from the call is the caller's: the call is theirs too (whoever was
        # finally chosen in « Nouvelle demande »).
        made = request if request is not None and request is self.created_request else None
        call = self.entry(request, made.citizen_pk if made is not None else None)
        try:
            pk = self._services.log(call)
        except StoreError as exc:
            self.show_error(str(exc))
            return
        self.logged_pk, self.logged_request = pk, request
        self.timer.stop()
        self.accept()

    def save_and_create_request(self) -> None:
        """Checks the call first (it must be loggable whatever becomes of the request), stops
        the count (the call is being saved), then opens « Nouvelle demande » prefilled; the
        call is logged when that dialog closes."""
        if not self.isEnabled():
            return
        call = self.entry()
        problems = self._services.check(call)
        if problems:
            self.show_error("\n".join(problems))
            return
        self.show_error("")
        self.stop_chrono()
        call = call.normalised()
        # The caller chosen in the list, else the one citizen of that name: never a double.
        citizen = self.chosen_match() or self._services.on_file(call)
        intake = self._services.open_intake(intake_prefill(call, citizen))
        self.intake = intake
        self.setEnabled(False)  # one form at a time; this one waits, filled in, underneath
        intake.accepted.connect(lambda: self._after_intake(intake.registered_pk))
        intake.rejected.connect(lambda: self._after_intake(None))

    def _after_intake(self, request_pk: int | None) -> None:
        """The request is registered (attach the call to it) or abandoned (log it alone)."""
        self.intake = None
        self.setEnabled(True)
        created = self._services.request_link(request_pk) if request_pk is not None else None
        if created is not None:
            # Should the call still be refused, a second « Enregistrer » attaches it here.
            self.created_request = self._request = created
            # Registered in another commune than first said: the call was about that one.
            self.authority.setCurrentIndex(max(self.authority.findData(created.authority_pk), 0))
            self._on_authority()
            self.link.setChecked(True)
        self._save(created)


# --------------------------------------------------------------------------- intake prefilled


def _select_data(combo: QComboBox, value: object) -> None:
    for index in range(combo.count()):
        if combo.itemData(index) == value:
            combo.setCurrentIndex(index)
            return


def prefill_intake(dialog: IntakeDialog, prefill: IntakePrefill) -> None:
    """Fills « Nouvelle demande » from the call, leaving the focus where typing is needed."""
    _select_data(dialog.authority, prefill.authority_pk)
    _select_data(dialog.channel, Channel.PHONE)
    dialog.received.set_value(prefill.received_at)
    dialog.subject.setText(prefill.subject)
    dialog.body.setPlainText(prefill.body)
    if prefill.citizen is not None:
        dialog.existing_radio.setChecked(True)
        dialog.citizens.pick(prefill.citizen)
    elif prefill.new_citizen is not None:
        dialog.new_radio.setChecked(True)
        dialog.last_name.setText(prefill.new_citizen.last_name)
        dialog.first_name.setText(prefill.new_citizen.first_name)
        dialog.phone.setText(prefill.new_citizen.phone)
    needed = dialog.procedure if dialog.procedure.currentIndex() < 0 else dialog.subject
    needed.setFocus(Qt.FocusReason.OtherFocusReason)


# --------------------------------------------------------------------------- in the detail


# --------------------------------------------------------------------------- in the window


class PhoneCalls(QObject):
    """Opens the dialog over the window; once a call is logged, refreshes what shows it and
    tells the sync one more change waits (``localChanged`` when no request was touched)."""

    #: A call was logged that changed no request: for the « N modifications en attente » count.
    localChanged = Signal()
    #: A call was logged (its pk).
    callLogged = Signal(int)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("phone-calls")
        self._window = window
        # The window's own « Nouvelle demande » flow (numbering, selection, status), reused.
        self._intake = IntakeFlow(window)
        self._last_authority: int | None = None
        self.dialog: PhoneCallDialog | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        return self._window._repo.connection  # noqa: SLF001

    def _now(self, authority_pk: int | None = None) -> datetime:
        # The same clock as « Nouvelle demande », the commune's wall time.
        return self._intake._now(authority_pk)  # noqa: SLF001

    def services(self) -> CallServices:
        from desktop.views.citizen.install import duplicate_hooks

        conn, agent_id = self.conn, self._window._agent_id  # noqa: SLF001
        return CallServices(
            find=lambda authority, text: find_citizens(conn, authority, text),
            check=lambda call: call_problems(call, self._now()),
            log=lambda call: log_call(
                conn, call, agent_id=agent_id, now=self._now(call.authority_pk)
            ),
            request_link=lambda pk: request_link(conn, pk),
            open_intake=self._open_intake,
            on_file=lambda call: caller_on_file(
                conn, call.authority_pk, call.caller_name, call.phone_number),
            now=self._now,
            duplicates=duplicate_hooks(self._window),
        )

    def open(self) -> PhoneCallDialog:
        window = self._window
        selected = window.selected_pk()
        request = request_link(self.conn, selected) if selected is not None else None
        dialog = PhoneCallDialog(
            window._repo.authorities(),  # noqa: SLF001
            self.services(),
            request=request,
            authority_pk=request.authority_pk if request else self._last_authority,
            parent=window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._logged(dialog))
        dialog.destroyed.connect(self._forget)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget(self) -> None:
        self.dialog = None

    def _open_intake(self, prefill: IntakePrefill) -> IntakeDialog:
        intake = self._intake.open()
        prefill_intake(intake, prefill)
        return intake

    def _logged(self, dialog: PhoneCallDialog) -> None:
        if dialog.logged_pk is None:
            return
        self._last_authority = dialog.authority_pk()
        message = f"Appel {de_name(dialog.caller.text())} enregistré."
        request = dialog.logged_request
        if request is not None:
            # The window refreshes the request's detail; the sync counts one more change.
            self._window.request_actions.requestChanged.emit(request.pk)
        else:
            self.localChanged.emit()
        if dialog.created_request is not None:
            message += f" Demande {dialog.created_request.number} enregistrée."
        self._window.statusBar().showMessage(message, 10_000)
        self.callLogged.emit(dialog.logged_pk)


def phone_calls_of(window: QObject) -> PhoneCalls | None:
    """The window's phone call log, once installed (the sync connects to ``localChanged``)."""
    return window.findChild(PhoneCalls, "phone-calls")


def _insert_after(container: QWidget, anchor: QAction | None, action: QAction) -> None:
    actions = container.actions()
    if anchor is None or anchor not in actions:
        container.addAction(action)
        return
    following = actions.index(anchor) + 1
    if following < len(actions):
        container.insertAction(actions[following], action)
    else:
        container.addAction(action)


def install_phone_calls(window: MainWindow) -> QAction:
    """« Demande › Appel téléphonique… » (Ctrl+Maj+N), right after « Nouvelle demande… » in the
    menu and the toolbar. Installing twice returns the action already there."""
    existing = window.findChild(QAction, "action-phone-call")
    if existing is not None:
        return existing
    calls = PhoneCalls(window)
    action = request_action(
        window, "Appe&l téléphonique…", name="action-phone-call", shortcut="Ctrl+Shift+N",
        tip="Noter un appel (appelant, numéro, motif, durée) et, au besoin, en faire une demande",
        slot=calls.open,
    )
    anchor = window.findChild(QAction, "action-new-request")
    for bar in request_bars(window):
        _insert_after(bar, anchor, action)
    conn = calls.conn
    window.detail.set_call_source(lambda pk: calls_for_request(conn, pk))
    return action
