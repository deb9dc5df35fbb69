"""Wires the team's work into the window: « Attribuer… », « Notes internes… », « Modifier la
demande… » (menu « Demande », the bannette's and the detail pane's context menus), the
« Toutes / Mes demandes / Mon service » shortcuts, « Administration › Services… », and the
notification of assignments pulled by a sync.

The window's only line: ``install_teamwork(window)``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QWidget

from desktop.store import teamwork
from desktop.store.database import StoreError
from desktop.store.inbox import Choice
from desktop.store.intake import find_citizens
from desktop.store.requests import live_request
from desktop.views.teamwork.dialogs import AssignDialog, EditRequestDialog, NotesDialog
from desktop.views.teamwork.services_dialog import ServicesDialog
from desktop.views.window_actions import request_action, request_bars

if TYPE_CHECKING:
    from desktop.views.main_window import MainWindow

#: (key, menu text, object name, shortcut, tip, slot name)
ACTIONS = (
    ("assign", "Attri&buer…", "action-assign", "Ctrl+Shift+U",
     "Confier les demandes sélectionnées à un agent ou à un service, avec un motif",
     "assign"),
    ("notes", "Notes &internes…", "action-notes", "Ctrl+Shift+I",
     "Lire et ajouter les notes de l'équipe (jamais montrées à l'usager ni imprimées)",
     "notes"),
    ("edit", "Modi&fier la demande…", "action-edit-request", "F2",
     "Corriger l'objet, la démarche ou l'usager ; la modification est inscrite à "
     "l'historique", "edit"),
)
#: The assignment filter's shortcuts: (key of FilterBar.set_assignment, text, shortcut).
FILTER_SHORTCUTS = (
    ("all", "&Toutes les demandes", "Alt+1"),
    ("mine", "&Mes demandes", "Alt+2"),
    ("service", "Mon &service", "Alt+3"),
)
NOTICE_TITLE = "Bannette — demande attribuée"


class TeamworkFlow(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.conn = window._repo.connection  # noqa: SLF001
        self.actions: dict[str, QAction] = {}
        #: The last dialog opened and context menu shown (tests drive them).
        self.dialog: QDialog | None = None
        self.context: QMenu | None = None
        #: What the last edit said (« Les échéances ont été recalculées : … »).
        self.last_message = ""

    @property
    def agent_id(self) -> str | None:
        return self.window._agent_id  # noqa: SLF001 - follows the sync's agent

    def _now(self) -> datetime:
        return self.window.now().replace(microsecond=0)

    def selected_pks(self) -> list[int]:
        rows = sorted(i.row() for i in self.window.table.selectionModel().selectedRows())
        pks = [pk for pk in (self.window.model.pk_at(r) for r in rows) if pk is not None]
        if not pks and self.window.selected_pk() is not None:
            pks = [self.window.selected_pk()]  # type: ignore[list-item]
        return pks

    def _changed(self, pks: list[int]) -> None:
        for pk in pks:
            self.window.request_actions.requestChanged.emit(pk)
        self.update()

    def _show(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def _read(self, pk: int, columns: str) -> Any:
        """The request's ``columns``, or None with the reason in the status bar (deleted by
        a sync meanwhile)."""
        try:
            return live_request(self.conn, pk, columns)
        except StoreError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return None

    def _authorities(self, pks: list[int]) -> set[int]:
        return {int(live_request(self.conn, pk, "authority_pk")[0]) for pk in pks}

    # --- actions ----------------------------------------------------------------------------
    def assign(self) -> AssignDialog | None:
        pks = self.selected_pks()
        if not pks:
            return None
        try:
            authorities = self._authorities(pks)
        except StoreError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return None
        number = live_request(self.conn, pks[0], "number")[0]
        what = f"la demande n° {number}" if len(pks) == 1 else f"{len(pks)} demandes"
        dialog = AssignDialog(what, teamwork.assignable_agents(self.conn, authorities),
                              teamwork.assignable_services(self.conn, authorities),
                              self.agent_id, self.window)

        def apply() -> None:
            agent_id, service_id = dialog.choice()
            teamwork.assign(self.conn, pks, agent_id=agent_id, service_id=service_id,
                            reason=dialog.reason.toPlainText(), by_agent_id=self.agent_id,
                            at=self._now())

        dialog.apply = apply
        dialog.accepted.connect(lambda: self._changed(pks))
        self._show(dialog)
        return dialog

    def notes(self) -> NotesDialog | None:
        pk = self.window.selected_pk()
        row = self._read(pk, "number") if pk is not None else None
        if pk is None or row is None:
            return None
        dialog = NotesDialog(row["number"], teamwork.notes(self.conn, pk), self.window)

        def apply() -> None:
            teamwork.add_note(self.conn, pk, dialog.text.toPlainText(), agent_id=self.agent_id,
                              at=self._now())

        dialog.apply = apply
        dialog.accepted.connect(lambda: self._changed([pk]))
        self._show(dialog)
        return dialog

    def edit(self) -> EditRequestDialog | None:
        pk = self.window.selected_pk()
        row = self._read(pk, "number, subject, procedure_pk, authority_pk, "
                              "(SELECT display_name FROM citizen WHERE pk = citizen_pk) AS citizen"
                         ) if pk is not None else None
        if pk is None or row is None:
            return None
        conn = self.conn
        dialog = EditRequestDialog(
            row["number"], row["subject"],
            teamwork.procedures_of(conn, row["authority_pk"], row["procedure_pk"]),
            row["procedure_pk"], row["citizen"],
            lambda authority, text: find_citizens(conn, authority, text),
            row["authority_pk"], self.window)

        def apply() -> None:
            outcome = teamwork.edit_request(
                conn, pk, subject=dialog.subject.text(),
                procedure_pk=dialog.procedure.currentData(), citizen_pk=dialog.citizen_pk(),
                agent_id=self.agent_id, today=self.window._today(),  # noqa: SLF001
                at=self._now())
            said = outcome.deadlines or ("Demande modifiée." if outcome.changed
                                         else "Rien n'a changé.")
            self.window.statusBar().showMessage(said, 15_000)
            self.last_message = said

        dialog.apply = apply
        dialog.accepted.connect(lambda: self._changed([pk]))
        self._show(dialog)
        return dialog

    def services(self) -> ServicesDialog:
        conn = self.conn
        authorities = [Choice(pk, name) for pk, name in conn.execute(
            "SELECT pk, name FROM authority WHERE deleted = 0 ORDER BY name")]

        def save(authority_pk: int, name: str, members: list[str], active: bool,
                 service_id: str | None) -> str:
            saved = teamwork.save_service(conn, authority_pk=authority_pk, name=name,
                                          member_ids=members, active=active,
                                          service_id=service_id, by_agent_id=self.agent_id)
            self.window.model.reload(data_changed=True)  # renamed services in the column
            return saved

        admin = teamwork.is_admin(conn, self.agent_id)
        note = "" if admin else (
            "Seul un administrateur de la commune peut créer ou modifier ses services : "
            "vous pouvez les consulter.")
        dialog = ServicesDialog(
            authorities, lambda pk: teamwork.services(conn, [pk]),
            lambda pk: teamwork.members_of(conn, pk), save, note=note, read_only=not admin,
            parent=self.window)
        self._show(dialog)
        return dialog

    # --- state ------------------------------------------------------------------------------
    def update(self, *_args: object) -> None:
        selected = self.selected_pks()
        self.actions["assign"].setEnabled(bool(selected))
        for key in ("notes", "edit"):
            self.actions[key].setEnabled(self.window.selected_pk() is not None)

    def notify_assignments(self) -> list[teamwork.AssignmentNotice]:
        """Assignments to this agent (or her services) pulled since the last look: once each."""
        try:
            notices = teamwork.take_assignment_notices(self.conn)
        except StoreError:
            return []
        for notice in notices:
            self.window._notify(NOTICE_TITLE, notice.text)  # noqa: SLF001
        return notices

    def context_menu(self, widget: QWidget, base: QMenu | None = None) -> QMenu:
        """The team's actions, after ``base`` (the detail pane's « Copier »…) when given."""
        menu = base or QMenu(widget)
        if base is not None:
            menu.addSeparator()
        for key in ("assign", "notes", "edit"):
            menu.addAction(self.actions[key])
        if self.context is not None:
            self.context.deleteLater()
        self.context = menu
        return menu

    def pop_context_menu(self, widget: QWidget, position: QPoint,
                         base: QMenu | None = None) -> None:
        self.context_menu(widget, base).popup(widget.mapToGlobal(position))


def _admin_menu(window: MainWindow) -> QMenu:
    """« Administration », shared with the other administration screens (found by name)."""
    found = window.findChild(QMenu, "menu-admin")
    if found is not None:
        return found
    menu = QMenu("Ad&ministration", window)
    menu.setObjectName("menu-admin")
    help_menu = window.findChild(QMenu, "menu-help")
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu.menuAction(), menu)
    else:
        window.menuBar().addMenu(menu)
    return menu


def install_teamwork(window: MainWindow) -> TeamworkFlow:
    flow = TeamworkFlow(window)
    bars = request_bars(window)
    for bar in bars:
        if isinstance(bar, QMenu):
            bar.addSeparator()
    for key, text, name, shortcut, tip, slot in ACTIONS:
        action = request_action(window, text, name=name, shortcut=shortcut, tip=tip,
                                slot=getattr(flow, slot))
        flow.actions[key] = action
        for bar in bars:
            if isinstance(bar, QMenu):  # the toolbar is full enough
                bar.addAction(action)
    view_menu = next((m for m in window.menuBar().findChildren(QMenu)
                      if m.title() == "&Affichage"), None)
    if view_menu is not None:
        view_menu.addSeparator()
    for key, text, shortcut in FILTER_SHORTCUTS:
        action = QAction(text, window)
        action.setObjectName(f"action-filter-{key}")
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False, k=key: window.filters.set_assignment(k))
        window.addAction(action)
        if view_menu is not None:
            view_menu.addAction(action)
        flow.actions[f"filter-{key}"] = action
    services = QAction("&Services…", window)
    services.setObjectName("action-services")
    services.setStatusTip("Créer, renommer ou retirer les services de la commune et choisir "
                          "leurs membres")
    services.triggered.connect(flow.services)
    _admin_menu(window).addAction(services)
    flow.actions["services"] = services

    table = window.table
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    table.customContextMenuRequested.connect(
        lambda pos: flow.pop_context_menu(table.viewport(), pos))
    detail = window.detail
    detail.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    detail.customContextMenuRequested.connect(
        lambda pos: flow.pop_context_menu(detail.viewport(), pos,
                                          detail.createStandardContextMenu(pos)))
    table.selectionModel().selectionChanged.connect(flow.update)
    window.request_actions.requestChanged.connect(flow.update)
    window.model.modelReset.connect(flow.update)
    # A sync reloads the bannette: assignments that came with it are said once.
    window.model.modelReset.connect(flow.notify_assignments)
    flow.update()
    return flow
